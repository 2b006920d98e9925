#include "haproxy/server_slots.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <tuple>

namespace edgelb::haproxy {
namespace {

const std::vector<ServerEndpoint>& endpoints_of(const EndpointsByService& all, size_t b, size_t s) {
  static const std::vector<ServerEndpoint> kNone;
  auto it = all.find(service_path(b, s));
  return it == all.end() ? kNone : it->second;
}

// An endpoint still in a slot: fixed slots go by address and port; a dynamic server is named
// by its task, so another task at the same address is another server.
bool same(const SlotGroup& g, const ServerEndpoint& slot, const ServerEndpoint& e) {
  return slot.same_server(e) && (!g.dynamic || slot.task_id == e.task_id);
}

bool name_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-'; }

std::string first_word(const std::string& line, std::string* rest = nullptr) {
  const size_t start = line.find_first_not_of(' ');
  if (start == std::string::npos) return "";
  const size_t end = line.find(' ', start);
  if (rest) *rest = end == std::string::npos ? "" : line.substr(end + 1);
  std::string w = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
  for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

// A name for `e` no other server of its backend has (`taken`), as task_server_name() says.
std::string unique_name(const ServerEndpoint& e, size_t service, const std::set<std::string>& taken) {
  std::string name = task_server_name(e);
  if (taken.count(name)) name += "_" + std::to_string(e.port);
  if (taken.count(name)) name += "_s" + std::to_string(service);
  for (int n = 2; taken.count(name); ++n) name = task_server_name(e) + "_" + std::to_string(n);
  return name;
}

// Sorted by (address, port), one entry per server (the first wins).
std::vector<ServerEndpoint> unique_sorted(std::vector<ServerEndpoint> v) {
  std::stable_sort(v.begin(), v.end(), [](const ServerEndpoint& a, const ServerEndpoint& b) {
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  v.erase(std::unique(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.same_server(b); }), v.end());
  return v;
}

}  // namespace

std::string service_path(size_t backend, size_t service) {
  return "haproxy.backends[" + std::to_string(backend) + "].services[" + std::to_string(service) + "]";
}

std::string slot_name(const SlotGroup& g, size_t slot) {
  if (g.dynamic) return g.slots.at(slot).name;
  return "s" + std::to_string(g.service) + (g.fixed ? std::string("_fixed") : "_" + std::to_string(slot + 1));
}

std::string task_server_name(const ServerEndpoint& e) {
  std::string name = e.task_id.empty() ? "agentip_" + e.address + "_" + std::to_string(e.port) : e.task_id;
  for (auto& c : name)
    if (!name_char(static_cast<unsigned char>(c))) c = '_';
  return name;
}

bool takes_dynamic_servers(const cp::Backend& b) {
  if (b.rewrite_http && b.rewrite_http->sticky) return false;  // cookie: not on dynamic servers
  std::string balance = b.balance, hash_type;
  for (const std::string& line : b.misc) {
    std::string rest;
    const std::string keyword = first_word(line, &rest);
    if (keyword == "cookie") return false;
    if (keyword == "balance") balance = rest;
    if (keyword == "hash-type") hash_type = rest;
  }
  const std::string algorithm = first_word(balance);
  if (algorithm.empty() || algorithm == "roundrobin" || algorithm == "leastconn" || algorithm == "first" ||
      algorithm == "random")
    return true;
  if (algorithm == "static-rr") return false;
  return first_word(hash_type) == "consistent";  // hashing: only the consistent tree takes new servers
}

size_t slot_count_for(size_t endpoints) { return std::max<size_t>(8, 2 * endpoints); }

ServerSlots ServerSlots::plan(const cp::PoolModel& pool, const EndpointsByService& endpoints,
                              const std::set<std::string>& slot_backends) {
  ServerSlots out;
  out.slot_backends_ = slot_backends;
  for (size_t b = 0; b < pool.backends.size(); ++b) {
    const bool dynamic = !slot_backends.count(pool.backends[b].name) && takes_dynamic_servers(pool.backends[b]);
    for (size_t s = 0; s < pool.backends[b].services.size(); ++s) {
      SlotGroup g;
      g.backend = b;
      g.service = s;
      g.backend_name = pool.backends[b].name;
      g.fixed = pool.backends[b].services[s].fixed_address();
      g.dynamic = dynamic && !g.fixed;
      if (!g.fixed && !g.dynamic) g.slots.resize(slot_count_for(endpoints_of(endpoints, b, s).size()));
      out.groups_.push_back(std::move(g));
    }
  }
  // Servers go into the empty groups as an update places them (names: first come, first named).
  if (!out.update(endpoints, nullptr)) throw std::logic_error("ServerSlots::plan: a fresh group overflowed");
  return out;
}

ServerSlots ServerSlots::replan(const cp::PoolModel& pool, const EndpointsByService& endpoints) const {
  ServerSlots out = plan(pool, {}, slot_backends_);
  for (SlotGroup& g : out.groups_) {
    if (g.fixed) continue;
    auto old = std::find_if(groups_.begin(), groups_.end(), [&](const SlotGroup& o) {
      return !o.fixed && o.backend_name == g.backend_name && o.service == g.service;
    });
    const auto eps = unique_sorted(endpoints_of(endpoints, g.backend, g.service));
    if (g.dynamic) {
      // Wanted servers keep their names; the rest are dropped (no free slots in between).
      g.slots.clear();
      if (old != groups_.end())
        for (const Slot& s : old->slots)
          if (s.server && !s.draining &&
              std::any_of(eps.begin(), eps.end(), [&](const auto& e) { return same(g, *s.server, e); }))
            g.slots.push_back({s.server, false, old->dynamic ? s.name : ""});
      continue;
    }
    size_t size = slot_count_for(eps.size());
    if (old != groups_.end() && !old->dynamic) {
      // Keep wanted servers where they are; the rest of the old slots start free.
      std::vector<Slot> kept(old->slots.size());
      for (size_t k = 0; k < old->slots.size(); ++k) {
        const Slot& s = old->slots[k];
        if (s.server && std::any_of(eps.begin(), eps.end(), [&](const auto& e) { return e.same_server(*s.server); })) {
          kept[k].server = s.server;
          size = std::max(size, k + 1);
        }
      }
      kept.resize(size);
      g.slots = std::move(kept);
    } else {
      g.slots.resize(size);
    }
  }
  // Place the rest (and refresh readiness) as an update would; nothing is left draining.
  if (!out.update(endpoints, nullptr)) return plan(pool, endpoints, slot_backends_);
  for (SlotGroup& g : out.groups_)
    for (Slot& s : g.slots)
      if (s.draining) s = Slot{};
  return out;
}

bool ServerSlots::update(const EndpointsByService& endpoints, std::vector<SlotChange>* changes) {
  std::vector<SlotGroup> next = groups_;
  std::vector<SlotChange> made;
  // Names in use per backend (dynamic groups): a server keeps its name until it is released.
  std::map<std::string, std::set<std::string>> taken;
  for (const SlotGroup& g : next)
    if (g.dynamic)
      for (const Slot& s : g.slots)
        if (s.server && !s.name.empty()) taken[g.backend_name].insert(s.name);
  for (size_t gi = 0; gi < next.size(); ++gi) {
    SlotGroup& g = next[gi];
    if (g.fixed) continue;
    auto eps = unique_sorted(endpoints_of(endpoints, g.backend, g.service));
    std::vector<bool> kept(eps.size(), false);
    std::vector<Slot> before = g.slots;
    // Endpoints still present keep their slot (a draining one comes back); the rest drain.
    for (Slot& slot : g.slots) {
      if (!slot.server) continue;
      auto it = std::find_if(eps.begin(), eps.end(), [&](const auto& e) { return same(g, *slot.server, e); });
      if (it == eps.end()) {
        slot.draining = true;
      } else if (!kept[it - eps.begin()]) {
        kept[it - eps.begin()] = true;
        slot.server = *it;
        slot.draining = false;
      }
      if (g.dynamic && slot.name.empty()) {  // carried over from a fixed-slot group
        slot.name = unique_name(*slot.server, g.service, taken[g.backend_name]);
        taken[g.backend_name].insert(slot.name);
      }
    }
    size_t free_slot = 0;
    for (size_t k = 0; k < eps.size(); ++k) {
      if (kept[k]) continue;
      while (free_slot < g.slots.size() && g.slots[free_slot].server) ++free_slot;
      if (free_slot == g.slots.size()) {
        if (!g.dynamic) return false;
        g.slots.emplace_back();
      }
      Slot& slot = g.slots[free_slot];
      slot.server = eps[k];
      slot.draining = false;
      if (g.dynamic) {
        slot.name = unique_name(eps[k], g.service, taken[g.backend_name]);
        taken[g.backend_name].insert(slot.name);
      }
    }
    before.resize(g.slots.size());
    for (size_t k = 0; k < g.slots.size(); ++k)
      if (!(g.slots[k] == before[k])) made.push_back({gi, k, before[k], g.slots[k]});
  }
  groups_ = std::move(next);
  if (changes) changes->insert(changes->end(), made.begin(), made.end());
  return true;
}

bool ServerSlots::release(size_t group, size_t slot) {
  if (group >= groups_.size() || slot >= groups_[group].slots.size()) return false;
  Slot& s = groups_[group].slots[slot];
  if (!s.draining) return false;
  s = Slot{};  // a dynamic group's free entry: not rendered, reused by the next new server
  return true;
}

bool ServerSlots::fits(const cp::PoolModel& pool) const {
  size_t gi = 0;
  for (size_t b = 0; b < pool.backends.size(); ++b)
    for (size_t s = 0; s < pool.backends[b].services.size(); ++s, ++gi)
      if (gi >= groups_.size() || groups_[gi].backend != b || groups_[gi].service != s ||
          groups_[gi].backend_name != pool.backends[b].name ||
          groups_[gi].fixed != pool.backends[b].services[s].fixed_address())
        return false;
  return gi == groups_.size();
}

EndpointsByService ServerSlots::endpoints() const {
  EndpointsByService out;
  for (const SlotGroup& g : groups_)
    for (const Slot& s : g.slots)
      if (s.server && !s.draining) out[service_path(g.backend, g.service)].push_back(*s.server);
  return out;
}

}  // namespace edgelb::haproxy
