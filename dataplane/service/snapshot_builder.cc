#include "service/snapshot_builder.h"

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

// A fixed-size binary key (address, family, port, protocol): builds run at control-update rates,
// so no text formatting here.
std::string vip_key_string(const ServiceSpec& s) {
  std::string k(kVipKeySize, '\0');  // port and protocol first: keys of one VIP address differ early
  k[0] = char(s.port >> 8);
  k[1] = char(s.port & 0xff);
  k[2] = char(s.protocol);
  k[3] = char(s.vip.family);
  std::memcpy(k.data() + 4, s.vip.bytes.data(), 16);
  return k;
}

std::string backend_identity(const BackendSpec& b) {
  if (!b.identity.empty()) return b.identity;
  return b.address.to_string() + ":" + std::to_string(b.port);
}

namespace {
// Backend keys are "<VIP key><identity>": a backend is the same one only within its VIP.
std::string backend_key(const std::string& vkey, const std::string& identity) { return vkey + identity; }
std::string vip_key_of(const std::string& bkey) { return bkey.substr(0, kVipKeySize); }
}  // namespace

SnapshotBuilder::SnapshotBuilder(ForwardingGlobals globals) : globals_(std::move(globals)) {}

FieldErrors SnapshotBuilder::validate(const TableSpec& spec) const {
  FieldErrors errs;
  auto err = [&](std::string path, std::string reason) { errs.push_back({std::move(path), std::move(reason)}); };
  if (spec.services.size() > globals_.max_services)
    err("services", "has " + std::to_string(spec.services.size()) + " services; the limit is " +
                        std::to_string(globals_.max_services));
  std::set<std::string> vips;
  size_t total_backends = 0;
  for (size_t i = 0; i < spec.services.size(); ++i) {
    const ServiceSpec& s = spec.services[i];
    const std::string p = "services[" + std::to_string(i) + "]";
    if (s.vip.family == IpFamily::kNone) err(p + ".vip", "is not an IPv4 or IPv6 address");
    if (s.port == 0) err(p + ".port", "must be 1-65535");
    if (s.protocol != 6 && s.protocol != 17) err(p + ".protocol", "must be tcp or udp");
    if (!vips.insert(vip_key_string(s)).second)
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
    total_backends += s.backends.size();
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
}  // namespace

BuildResult SnapshotBuilder::build(const TableSpec& spec) {
  BuildResult result;
  result.errors = validate(spec);
  if (!result.errors.empty()) return result;

  if (resolver_) resolver_->begin_build();
  auto snap = std::make_unique<ServiceSnapshot>();
  snap->version = spec.version;
  snap->globals = globals_;

  // Keys and identities once per build (they are strings; builds run at update rates).
  std::vector<std::string> vkeys;
  std::vector<std::vector<std::string>> identities;
  vkeys.reserve(spec.services.size());
  identities.reserve(spec.services.size());
  for (const auto& s : spec.services) {
    vkeys.push_back(vip_key_string(s));
    identities.emplace_back();
    for (const auto& b : s.backends) identities.back().push_back(backend_identity(b));
  }
  // Release slots of services/backends that disappeared.
  std::set<std::string> want_services, want_backends;
  for (size_t si = 0; si < spec.services.size(); ++si) {
    want_services.insert(vkeys[si]);
    for (const auto& id : identities[si]) want_backends.insert(backend_key(vkeys[si], id));
  }
  for (auto it = service_slots_.begin(); it != service_slots_.end();) {
    if (!want_services.count(it->first)) {
      service_alloc_.free_slots.push_back(it->second);
      maglev_cache_.erase(it->first);
      it = service_slots_.erase(it);
    } else {
      ++it;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto it = backend_refs_.begin(); it != backend_refs_.end();) {
    if (!want_backends.count(it->first)) {
      const std::string vkey = vip_key_of(it->first);
      const uint32_t slot = backend_slot(it->second);
      if (globals_.removed_backend_grace_ms && want_services.count(vkey) && slot < last_backends_.size() &&
          last_backends_[slot].ref == it->second) {
        retired_[it->first] = {it->second, last_backends_[slot],
                               now + std::chrono::milliseconds(globals_.removed_backend_grace_ms)};
      } else {
        backend_alloc_.free_slots.push_back(slot);
      }
      it = backend_refs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = retired_.begin(); it != retired_.end();) {
    const std::string vkey = vip_key_of(it->first);
    if (want_backends.count(it->first)) {  // back in time: same reference, flows stay put
      backend_refs_[it->first] = it->second.ref;
      it = retired_.erase(it);
    } else if (now >= it->second.until || !want_services.count(vkey)) {
      backend_alloc_.free_slots.push_back(backend_slot(it->second.ref));
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }

  last_maglev_builds_ = 0;
  // Every slot ever handed out exists in every later table, so any flow's reference resolves.
  snap->backends.resize(backend_alloc_.next);
  snap->services.reserve(spec.services.size());
  for (size_t si = 0; si < spec.services.size(); ++si) {
    const ServiceSpec& s = spec.services[si];
    const std::string& vkey = vkeys[si];
    ServiceEntry e;
    e.name = s.name;
    e.vip = s.vip;
    e.port = s.port;
    e.protocol = s.protocol;
    e.mode = s.mode;
    e.gue_port = s.gue_port ? s.gue_port : globals_.gue_port;
    e.mss_clamp = s.mss_clamp;
    auto sit = service_slots_.find(vkey);
    if (sit == service_slots_.end())
      sit = service_slots_
                .emplace(vkey, take_slot(service_alloc_.generation, service_alloc_.free_slots, service_alloc_.next))
                .first;
    e.slot = sit->second;

    const uint32_t msize = s.maglev_size ? s.maglev_size : globals_.maglev_size;
    std::vector<MaglevBackend> mb;
    std::string fingerprint = std::to_string(msize);
    for (size_t bi = 0; bi < s.backends.size(); ++bi) {
      const BackendSpec& b = s.backends[bi];
      const std::string& identity = identities[si][bi];
      const std::string bkey = backend_key(vkey, identity);
      auto bit = backend_refs_.find(bkey);
      if (bit == backend_refs_.end()) {
        uint32_t slot = take_slot(backend_alloc_.generation, backend_alloc_.free_slots, backend_alloc_.next);
        bit = backend_refs_.emplace(bkey, uint32_t(backend_alloc_.generation[slot]) << 16 | slot).first;
      }
      const uint32_t ref = bit->second;
      e.backend_refs.push_back(ref);
      if (snap->backends.size() <= backend_slot(ref)) snap->backends.resize(backend_alloc_.next);
      BackendEntry& be = snap->backends[backend_slot(ref)];
      be.ref = ref;
      be.state = b.state;
      be.service_slot = e.slot;
      be.address = b.address;
      be.port = b.port ? b.port : s.port;
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
      const uint32_t effective = b.state == BackendState::kUp ? b.weight : 0;
      mb.push_back({identity, effective});
      fingerprint += "|" + mb.back().identity + "=" + std::to_string(effective);
    }
    if (s.mode == ForwardingMode::kL7) {  // punted to HAProxy: no Maglev table
      snap->services.push_back(std::move(e));
      continue;
    }
    auto& cached = maglev_cache_[vkey];
    if (!cached.table || cached.fingerprint != fingerprint) {
      cached.table = std::make_shared<const MaglevTable>(MaglevTable::build(mb, msize));
      cached.fingerprint = fingerprint;
      ++last_maglev_builds_;
    }
    e.maglev = cached.table;
    snap->services.push_back(std::move(e));
  }
  // Existing flows only; not in any Maglev table. Retired backends live only while their
  // service does, so the service slot in the saved entry is still right.
  for (const auto& entry : retired_) {
    BackendEntry& be = snap->backends[backend_slot(entry.second.ref)];
    be = entry.second.entry;
    be.state = BackendState::kDrain;
  }
  snap->finalize();
  last_backends_ = snap->backends;
  result.snapshot = std::move(snap);
  return result;
}

}  // namespace edgelb
