#include "agent/fastpath_plan.h"

#include <algorithm>

namespace edgelb::cp {
namespace {

std::string vip_key(const ServiceSpec& s) {
  return s.vip.to_string() + "|" + std::to_string(s.port) + "|" + (s.protocol == 17 ? "udp" : "tcp");
}

std::string vip_text(const ServiceSpec& s) {
  const std::string a = s.vip.is_v6() ? "[" + s.vip.to_string() + "]" : s.vip.to_string();
  return a + ":" + std::to_string(s.port) + "/" + (s.protocol == 17 ? "UDP" : "TCP");
}

ForwardingMode mode_of(Forwarding f) {
  switch (f) {
    case Forwarding::kIpip: return ForwardingMode::kIpip;
    case Forwarding::kGue: return ForwardingMode::kGue;
    case Forwarding::kNat: return ForwardingMode::kNat;
    case Forwarding::kDsr: break;
  }
  return ForwardingMode::kDsr;
}

struct Candidate {
  PlannedService planned;
  std::vector<std::string> errors;  // input problems: the VIP keeps its last good plan
  std::vector<HealthTarget> checks;
};

Candidate candidate(const std::string& pool, const std::string& path, const std::string& name) {
  Candidate c;
  c.planned.pool = pool;
  c.planned.path = path;
  c.planned.spec.name = pool + "/" + name;
  return c;
}

// One fastPath VIP of a pool.
Candidate fast_path_vip(const FastPathPoolInput& in, size_t index, const HealthVerdicts& health) {
  const FastPathVip& vip = in.model->vips[index];
  Candidate c = candidate(in.name, "fastPath.vips[" + std::to_string(index) + "]", vip.name);
  ServiceSpec& s = c.planned.spec;
  s.port = static_cast<uint16_t>(vip.port);
  s.protocol = vip.protocol == VipProtocol::kUdp ? 17 : 6;
  s.mode = mode_of(vip.forwarding);
  if (vip.forwarding == Forwarding::kGue) s.gue_port = static_cast<uint16_t>(vip.gue_port);
  if (vip.mss_clamp) s.mss_clamp = static_cast<uint16_t>(*vip.mss_clamp);
  auto addr = IpAddress::parse(vip.address);
  if (!addr) {
    c.errors.push_back(c.planned.path + ".address: \"" + vip.address + "\" is not an IP address");
    return c;
  }
  s.vip = *addr;
  const bool checked = vip.health_check && vip.health_check->type != VipHealthCheck::Type::kNone;
  const auto& selectors = in.model->vip_services(vip);
  std::set<std::string> seen;
  for (size_t j = 0; j < selectors.size(); ++j) {
    const std::string path = c.planned.path + ".services[" + std::to_string(j) + "]";
    auto it = in.endpoints->find(path);
    if (it == in.endpoints->end()) continue;
    const uint32_t weight = selectors[j].weight;
    for (const haproxy::ServerEndpoint& e : it->second) {
      const std::string where = path + ": endpoint " + e.address + ":" + std::to_string(e.port) +
                                (e.task_id.empty() ? "" : " (task " + e.task_id + ")");
      auto ba = IpAddress::parse(e.address);
      if (!ba) {
        c.errors.push_back(where + " is not an IP address; the fast path needs one");
        continue;
      }
      if ((s.mode == ForwardingMode::kDsr || s.mode == ForwardingMode::kNat) && ba->family != s.vip.family) {
        c.errors.push_back(where + " is " + (ba->is_v6() ? "IPv6" : "IPv4") + " but the VIP is " +
                           (s.vip.is_v6() ? "IPv6" : "IPv4") + "; " + forwarding_name(vip.forwarding) +
                           " needs one address family");
        continue;
      }
      if (s.mode != ForwardingMode::kNat && e.port != vip.port) {
        c.errors.push_back(where + ": " + forwarding_name(vip.forwarding) +
                           " keeps the destination port, so the task must serve the VIP port " +
                           std::to_string(vip.port));
        continue;
      }
      BackendSpec b;
      b.address = *ba;
      b.port = s.mode == ForwardingMode::kNat ? static_cast<uint16_t>(e.port) : 0;
      b.identity = (ba->is_v6() ? "[" + ba->to_string() + "]" : ba->to_string()) + ":" + std::to_string(e.port);
      if (!seen.insert(b.identity).second) continue;  // selected by two services[] entries
      b.weight = weight;
      bool failing = false;
      if (checked) {
        c.checks.push_back(
            {s.name, b.identity, ba->to_string(), vip.health_check->port.value_or(e.port), *vip.health_check});
        auto h = health.find(c.checks.back().key());
        failing = h != health.end() && !h->second;
      }
      if (failing)
        b.state = BackendState::kDown;  // failing its checks: its flows move now
      else if (!e.ready)
        b.state = BackendState::kDrain;  // killing or unhealthy in Mesos: keeps its flows
      s.backends.push_back(std::move(b));
    }
  }
  std::sort(s.backends.begin(), s.backends.end(),
            [](const BackendSpec& a, const BackendSpec& b) { return a.identity < b.identity; });
  return c;
}

// One HAProxy frontend of a pool: punted to the kernel.
std::optional<Candidate> l7_frontend(const FastPathPoolInput& in, size_t index, const std::string& node_address) {
  const Frontend& f = in.model->frontends[index];
  Candidate c = candidate(in.name, "haproxy.frontends[" + std::to_string(index) + "]", f.name);
  ServiceSpec& s = c.planned.spec;
  s.protocol = 6;
  s.mode = ForwardingMode::kL7;
  uint32_t port = f.bind_port;
  if (port == 0 && in.ports) {
    auto it = in.ports->find(c.planned.path);
    if (it != in.ports->end()) port = it->second;
  }
  if (port == 0) return std::nullopt;  // not allocated yet
  s.port = static_cast<uint16_t>(port);
  std::string address = f.bind_address;
  if (address == "::") return std::nullopt;  // all IPv6 addresses: none is a VIP of its own
  if (address.empty() || address == "0.0.0.0") address = node_address;
  auto addr = IpAddress::parse(address);
  if (!addr) {
    c.errors.push_back(c.planned.path + ".bindAddress: \"" + address +
                       "\" is not an IP address (node.address must be one for the fast path)");
    return c;
  }
  s.vip = *addr;
  return c;
}

}  // namespace

FastPathPlan FastPathPlanner::plan(const std::vector<FastPathPoolInput>& pools, const HealthVerdicts& health) {
  std::vector<Candidate> candidates;
  for (const auto& in : pools) {
    if (!in.model || !in.endpoints) continue;
    for (size_t i = 0; i < in.model->vips.size(); ++i) candidates.push_back(fast_path_vip(in, i, health));
    for (size_t i = 0; i < in.model->frontends.size(); ++i)
      if (auto c = l7_frontend(in, i, node_address_)) candidates.push_back(std::move(*c));
  }
  FastPathPlan out;
  // Ownership of each VIP: the pool that held it keeps it; otherwise the first claim wins.
  std::map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].planned.spec.vip.family != IpFamily::kNone)
      by_key[vip_key(candidates[i].planned.spec)].push_back(i);
  std::map<std::string, std::string> owners;
  std::set<size_t> refused;
  for (const auto& [key, idx] : by_key) {
    size_t winner = idx.front();
    auto held = owners_.find(key);
    if (held != owners_.end())
      for (size_t i : idx)
        if (candidates[i].planned.pool == held->second) {
          winner = i;
          break;
        }
    owners[key] = candidates[winner].planned.pool;
    for (size_t i : idx) {
      if (i == winner) continue;
      refused.insert(i);
      const Candidate& w = candidates[winner];
      const Candidate& l = candidates[i];
      const std::string what = vip_text(l.planned.spec);
      if (w.planned.pool == l.planned.pool) {
        out.errors[l.planned.pool].push_back(l.planned.path + ": " + what + " is also " + w.planned.path +
                                             " of this pool; refused");
        continue;
      }
      out.errors[l.planned.pool].push_back(l.planned.path + ": " + what + " is already served by pool " +
                                           w.planned.pool + " on this node; refused here");
      out.errors[w.planned.pool].push_back(w.planned.path + ": " + what + " is also claimed by pool " + l.planned.pool +
                                           " (" + l.planned.path + "), which was refused");
    }
  }
  owners_ = std::move(owners);

  std::map<std::string, PlannedService> good;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (refused.count(i)) continue;
    Candidate& c = candidates[i];
    const std::string name = c.planned.spec.name;
    if (!c.errors.empty()) {
      for (auto& e : c.errors) out.errors[c.planned.pool].push_back(std::move(e));
      auto last = last_good_.find(name);
      if (last != last_good_.end() && last->second.pool == c.planned.pool && last->second.path == c.planned.path)
        good[name] = last->second;  // bad input changes nothing
      continue;
    }
    for (auto& t : c.checks) out.checks.push_back(std::move(t));
    good[name] = std::move(c.planned);
  }
  std::sort(out.checks.begin(), out.checks.end(),
            [](const HealthTarget& a, const HealthTarget& b) { return a.key() < b.key(); });
  last_good_ = good;
  for (auto& [name, p] : good) {
    out.owner_of[name] = p.pool;
    out.services.push_back(std::move(p));
  }
  return out;
}

}  // namespace edgelb::cp
