#include "service/snapshot_builder.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace edgelb {

const char* forwarding_mode_name(ForwardingMode m) {
  switch (m) {
    case ForwardingMode::kDsr: return "dsr";
    case ForwardingMode::kIpip: return "ipip";
    case ForwardingMode::kGue: return "gue";
    case ForwardingMode::kL7: return "l7";
    case ForwardingMode::kNat: return "nat";
  }
  return "unknown";
}

const char* backend_state_name(BackendState s) {
  switch (s) {
    case BackendState::kUp: return "up";
    case BackendState::kDrain: return "drain";
    case BackendState::kDown: return "down";
  }
  return "unknown";
}

std::optional<ForwardingMode> parse_forwarding_mode(const std::string& s) {
  if (s == "dsr") return ForwardingMode::kDsr;
  if (s == "ipip") return ForwardingMode::kIpip;
  if (s == "gue") return ForwardingMode::kGue;
  if (s == "l7") return ForwardingMode::kL7;
  if (s == "nat") return ForwardingMode::kNat;
  return std::nullopt;
}

std::optional<BackendState> parse_backend_state(const std::string& s) {
  if (s == "up") return BackendState::kUp;
  if (s == "drain") return BackendState::kDrain;
  if (s == "down") return BackendState::kDown;
  return std::nullopt;
}

VipKey vip_key(const ServiceSpec& s) {
  VipKey k{};
  k[0] = uint8_t(s.port >> 8);
  k[1] = uint8_t(s.port & 0xff);
  k[2] = s.protocol;
  k[3] = uint8_t(s.vip.family);
  std::memcpy(k.data() + 4, s.vip.bytes.data(), 16);
  return k;
}

std::string backend_identity(const BackendSpec& b) {
  if (!b.identity.empty()) return b.identity;
  return b.address.to_string() + ":" + std::to_string(b.port);
}

SnapshotBuilder::SnapshotBuilder(ForwardingGlobals globals) : globals_(std::move(globals)) {}

bool SnapshotBuilder::built_as(const ServiceSpec& s) const {
  auto it = services_.find(vip_key(s));
  return it != services_.end() && it->second.spec == s;
}

FieldErrors SnapshotBuilder::validate(const TableSpec& spec) const {
  std::vector<char> unchanged(spec.services.size());
  for (size_t i = 0; i < spec.services.size(); ++i) unchanged[i] = built_as(spec.services[i]);
  return validate(spec, unchanged);
}

FieldErrors SnapshotBuilder::validate(const TableSpec& spec, const std::vector<char>& unchanged) const {
  FieldErrors errs;
  auto err = [&](std::string path, std::string reason) { errs.push_back({std::move(path), std::move(reason)}); };
  if (spec.services.size() > globals_.max_services)
    err("services", "has " + std::to_string(spec.services.size()) + " services; the limit is " +
                        std::to_string(globals_.max_services));
  std::set<VipKey> vips;
  size_t total_backends = 0;
  for (size_t i = 0; i < spec.services.size(); ++i) {
    const ServiceSpec& s = spec.services[i];
    const VipKey key = vip_key(s);
    total_backends += s.backends.size();
    const bool duplicate = !vips.insert(key).second;
    if (!duplicate && unchanged[i]) continue;  // built before exactly like this, so valid
    const std::string p = "services[" + std::to_string(i) + "]";
    if (s.vip.family == IpFamily::kNone) err(p + ".vip", "is not an IPv4 or IPv6 address");
    if (s.port == 0) err(p + ".port", "must be 1-65535");
    if (s.protocol != 6 && s.protocol != 17) err(p + ".protocol", "must be tcp or udp");
    if (duplicate)
      err(p, "duplicates VIP " + s.vip.to_string() + ":" + std::to_string(s.port) + "/" +
                 (s.protocol == 6 ? "tcp" : "udp"));
    const uint32_t msize = s.maglev_size ? s.maglev_size : globals_.maglev_size;
    if (!MaglevTable::is_prime(msize)) err(p + ".maglev_table_size", std::to_string(msize) + " is not prime");
    if (s.backends.size() >= msize || s.backends.size() > MaglevTable::kMaxBackends)
      err(p + ".backends", "has " + std::to_string(s.backends.size()) +
                               " backends; must be fewer than the Maglev table size " + std::to_string(msize));
    if (s.mode == ForwardingMode::kNat) {
      bool pool_has_family = false;
      for (const auto& a : globals_.nat_pool) pool_has_family = pool_has_family || a.family == s.vip.family;
      if (!pool_has_family)
        err(p + ".forwarding",
            std::string("nat needs an ") + (s.vip.is_v6() ? "IPv6" : "IPv4") + " address in forwarding.nat.pool");
    }
    if (s.mss_clamp && s.mode != ForwardingMode::kNat && s.mode != ForwardingMode::kIpip &&
        s.mode != ForwardingMode::kGue)
      err(p + ".mss_clamp", "applies to nat, ipip and gue services only");
    if (s.mss_clamp && (s.mss_clamp < 536 || s.mss_clamp > 9000)) err(p + ".mss_clamp", "must be 536-9000");
    if (s.mss_clamp && s.protocol != 6) err(p + ".mss_clamp", "applies to TCP services only");
    if (s.mode == ForwardingMode::kL7 && !s.backends.empty())
      err(p + ".backends", "an l7 VIP is served by HAProxy on this host; it takes no backends here");
    std::set<std::string> ids;
    for (size_t j = 0; j < s.backends.size(); ++j) {
      const BackendSpec& b = s.backends[j];
      const std::string bp = p + ".backends[" + std::to_string(j) + "]";
      if (b.address.family == IpFamily::kNone) err(bp + ".address", "is not an IPv4 or IPv6 address");
      if (b.weight > 65535) err(bp + ".weight", "must be 0-65535");
      if (!ids.insert(backend_identity(b)).second) err(bp, "duplicates backend " + backend_identity(b));
      if (s.mode == ForwardingMode::kNat) {
        if (b.address.family != s.vip.family)
          err(bp + ".address", "NAT needs the backend in the VIP's address family (no NAT64)");
      } else if (s.mode == ForwardingMode::kDsr) {
        if (b.address.family != s.vip.family) err(bp + ".address", "DSR needs the backend in the VIP's address family");
        if (b.port != 0 && b.port != s.port)
          err(bp + ".port", "DSR cannot change the destination port (backend port must equal the VIP port)");
      } else {
        if (b.address.is_v4() && !globals_.encap_source_v4)
          err(bp + ".address", "an IPv4 tunnel backend needs encap.ipv4_source_prefix");
        if (b.address.is_v6() && !globals_.encap_source_v6)
          err(bp + ".address", "an IPv6 tunnel backend needs encap.ipv6_source_prefix");
        if (b.port != 0 && b.port != s.port)
          err(bp + ".port", "tunnel modes keep the inner destination port (backend port must equal the VIP port)");
      }
    }
  }
  if (total_backends > globals_.max_backends || total_backends > 65536)
    err("services", "have " + std::to_string(total_backends) + " backends in all; the limit is " +
                        std::to_string(globals_.max_backends));
  return errs;
}

namespace {
uint32_t take_slot(std::vector<uint16_t>& gen, std::vector<uint32_t>& free_slots, uint32_t& next) {
  uint32_t slot;
  if (!free_slots.empty()) {
    slot = free_slots.back();
    free_slots.pop_back();
  } else {
    slot = next++;
    gen.resize(next, 0);
  }
  if (++gen[slot] == 0) gen[slot] = 1;  // generation 0 never appears, so ref 0 means "none"
  return slot;
}

// Positions of `ids` in sorted order (slots are released in identity order, as they always were).
std::vector<size_t> sorted_positions(const std::vector<std::string>& ids) {
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  return order;
}
}  // namespace

// Releases what this build drops, before anything is allocated: slots of VIPs that are gone
// (and all their backends), backends that left a changed service (retired for their grace
// time when configured, else freed), and retired backends whose time is up. Retired backends
// that come back stay in `retired` for plan_changed() to revive.
void SnapshotBuilder::release_removed(const std::vector<ServicePlan>& plans,
                                      std::chrono::steady_clock::time_point now) {
  std::map<const ServiceState*, const ServicePlan*> plan_of;
  for (const auto& p : plans)
    if (p.state) plan_of[p.state] = &p;
  auto free_backend = [&](uint32_t ref) { backend_alloc_.free_slots.push_back(backend_slot(ref)); };
  for (auto& [key, st] : services_) {
    auto pit = plan_of.find(&st);
    if (pit == plan_of.end()) {
      service_alloc_.free_slots.push_back(st.slot);
      for (size_t i : sorted_positions(st.identities)) free_backend(st.backend_refs[i]);
      continue;
    }
    if (!pit->second->changed) continue;
    for (size_t i : sorted_positions(st.identities)) {
      if (pit->second->wants(st.identities[i])) continue;
      const uint32_t ref = st.backend_refs[i];
      const uint32_t slot = backend_slot(ref);
      if (globals_.removed_backend_grace_ms && slot < last_backends_.size() && last_backends_[slot].ref == ref)
        st.retired[st.identities[i]] = {ref, last_backends_[slot],
                                        now + std::chrono::milliseconds(globals_.removed_backend_grace_ms)};
      else
        free_backend(ref);
    }
  }
  for (auto it = services_.begin(); it != services_.end();) {
    ServiceState& st = it->second;
    auto pit = plan_of.find(&st);
    const bool gone = pit == plan_of.end();
    for (auto r = st.retired.begin(); r != st.retired.end();) {
      const bool back = !gone && pit->second->changed && pit->second->wants(r->first);
      if (!back && (gone || now >= r->second.until)) {
        free_backend(r->second.ref);
        r = st.retired.erase(r);
      } else {
        ++r;
      }
    }
    it = gone ? services_.erase(it) : std::next(it);
  }
}

void SnapshotBuilder::fill_backend(BackendEntry& be, uint32_t ref, const ServiceSpec& s, const BackendSpec& b,
                                   uint32_t service_slot) const {
  be.ref = ref;
  be.state = b.state;
  be.service_slot = service_slot;
  be.address = b.address;
  be.port = b.port ? b.port : s.port;
  be.has_next_hop = false;
  be.next_hop = {};
  if (b.mac) {
    be.next_hop = *b.mac;
    be.has_next_hop = true;
  } else if (auto mac = resolver_ ? resolver_->next_hop(b.address) : std::nullopt) {
    be.next_hop = *mac;
    be.has_next_hop = true;
  } else if (s.mode != ForwardingMode::kDsr && globals_.gateway_mac) {
    be.next_hop = *globals_.gateway_mac;
    be.has_next_hop = true;
  }
}

// A service that differs from its last build: references for its backends (kept, revived from
// retirement, or new), and its Maglev table when the inputs changed.
void SnapshotBuilder::plan_changed(ServiceState& st, const ServiceSpec& s, std::vector<std::string> identities) {
  std::map<std::string, uint32_t> current;
  for (size_t i = 0; i < st.identities.size(); ++i) current.emplace(st.identities[i], st.backend_refs[i]);
  std::vector<uint32_t> refs;
  std::vector<MaglevBackend> inputs;
  refs.reserve(s.backends.size());
  inputs.reserve(s.backends.size());
  for (size_t bi = 0; bi < s.backends.size(); ++bi) {
    uint32_t ref;
    if (auto c = current.find(identities[bi]); c != current.end()) {
      ref = c->second;
    } else if (auto r = st.retired.find(identities[bi]); r != st.retired.end()) {
      ref = r->second.ref;  // back in time: same reference, flows stay put
      st.retired.erase(r);
    } else {
      const uint32_t slot = take_slot(backend_alloc_.generation, backend_alloc_.free_slots, backend_alloc_.next);
      ref = uint32_t(backend_alloc_.generation[slot]) << 16 | slot;
    }
    refs.push_back(ref);
    const BackendSpec& b = s.backends[bi];
    inputs.push_back({identities[bi], b.state == BackendState::kUp ? b.weight : 0});
  }
  const uint32_t msize = s.maglev_size ? s.maglev_size : globals_.maglev_size;
  if (s.mode != ForwardingMode::kL7 && (!st.maglev || st.maglev_size != msize || st.maglev_inputs != inputs)) {
    st.maglev = std::make_shared<const MaglevTable>(MaglevTable::build(inputs, msize));
    st.maglev_size = msize;
    st.maglev_inputs = std::move(inputs);
    ++last_maglev_builds_;
  }
  st.spec = s;
  st.identities = std::move(identities);
  st.backend_refs = std::move(refs);
}

BuildResult SnapshotBuilder::build(const TableSpec& spec) {
  BuildResult result;
  std::vector<ServicePlan> plans(spec.services.size());
  std::vector<char> unchanged(spec.services.size());
  for (size_t si = 0; si < spec.services.size(); ++si) {
    const ServiceSpec& s = spec.services[si];
    ServicePlan& p = plans[si];
    if (auto it = services_.find(vip_key(s)); it != services_.end()) {
      p.state = &it->second;
      p.changed = !(it->second.spec == s);
    }
    unchanged[si] = !p.changed;
  }
  result.errors = validate(spec, unchanged);
  if (!result.errors.empty()) return result;

  if (resolver_) resolver_->begin_build();
  auto snap = std::make_unique<ServiceSnapshot>();
  snap->version = spec.version;
  snap->draining = draining_;
  snap->globals = globals_;
  for (size_t si = 0; si < spec.services.size(); ++si) {
    ServicePlan& p = plans[si];
    if (!p.changed) continue;
    for (const auto& b : spec.services[si].backends) p.identities.push_back(backend_identity(b));
    p.sorted_identities = p.identities;
    std::sort(p.sorted_identities.begin(), p.sorted_identities.end());
  }
  release_removed(plans, std::chrono::steady_clock::now());

  last_maglev_builds_ = 0;
  snap->services.reserve(spec.services.size());
  for (size_t si = 0; si < spec.services.size(); ++si) {
    const ServiceSpec& s = spec.services[si];
    ServicePlan& p = plans[si];
    if (!p.state) {
      p.state = &services_[vip_key(s)];
      p.state->slot = take_slot(service_alloc_.generation, service_alloc_.free_slots, service_alloc_.next);
    }
    if (p.changed) plan_changed(*p.state, s, std::move(p.identities));
  }
  // Every slot ever handed out exists in every later table, so any flow's reference resolves.
  snap->backends.resize(backend_alloc_.next);
  for (size_t si = 0; si < spec.services.size(); ++si) {
    const ServiceSpec& s = spec.services[si];
    const ServiceState& st = *plans[si].state;
    ServiceEntry e;
    e.name = s.name;
    e.vip = s.vip;
    e.port = s.port;
    e.protocol = s.protocol;
    e.mode = s.mode;
    e.gue_port = s.gue_port ? s.gue_port : globals_.gue_port;
    e.mss_clamp = s.mss_clamp;
    e.slot = st.slot;
    e.backend_refs = st.backend_refs;
    for (size_t bi = 0; bi < s.backends.size(); ++bi)
      fill_backend(snap->backends[backend_slot(st.backend_refs[bi])], st.backend_refs[bi], s, s.backends[bi], st.slot);
    if (s.mode != ForwardingMode::kL7) e.maglev = st.maglev;  // L7 is punted to HAProxy: no Maglev table
    snap->services.push_back(std::move(e));
  }
  // Existing flows only; not in any Maglev table. Retired backends live only while their
  // service does, so the service slot in the saved entry is still right.
  for (const auto& [key, st] : services_)
    for (const auto& [id, r] : st.retired) {
      BackendEntry& be = snap->backends[backend_slot(r.ref)];
      be = r.entry;
      be.state = BackendState::kDrain;
    }
  snap->finalize();
  last_backends_ = snap->backends;
  result.snapshot = std::move(snap);
  return result;
}

}  // namespace edgelb
