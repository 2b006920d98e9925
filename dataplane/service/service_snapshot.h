// An immutable, fully-built service table that workers read without locks.
//
// Workers obtain it through SnapshotPublisher::reader_current() once per burst and never keep
// it across a quiescent state. Nothing in it changes after publication; the control side
// builds a new one and swaps the pointer (see SnapshotPublisher).
//
// Backends live in one table-wide array indexed by a stable slot; a backend reference is
// (generation << 16 | slot), so a flow that remembers a reference can tell, with one load,
// whether its backend still exists (same reference), is draining, or is down/removed.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "maglev/maglev.h"
#include "packet/ip_address.h"
#include "service/service_spec.h"

namespace edgelb {

inline uint32_t backend_slot(uint32_t ref) { return ref & 0xffff; }

struct BackendEntry {
  uint32_t ref = 0;  // 0: slot unused
  BackendState state = BackendState::kDown;
  bool has_next_hop = false;
  uint32_t service_slot = 0;
  IpAddress address;
  uint16_t port = 0;
  MacAddress next_hop;
};

struct ServiceEntry {
  std::string name;
  IpAddress vip;
  uint16_t port = 0;
  uint8_t protocol = 0;
  ForwardingMode mode = ForwardingMode::kDsr;
  uint16_t gue_port = 0;
  uint16_t mss_clamp = 0;              // NAT (both ways), IPIP/GUE (client SYNs): clamp MSS (0: off)
  uint32_t slot = 0;                   // stable per VIP; indexes per-VIP counters
  std::vector<uint32_t> backend_refs;  // Maglev entry index -> backend reference
  std::shared_ptr<const MaglevTable> maglev;
};

class ServiceSnapshot {
 public:
  uint64_t version = 0;
  // The node drains (edgelb-dpctl drain): packets of tracked flows go on, new flows (a TCP SYN,
  // a UDP packet without a flow, a SYN to an L7 VIP) are dropped as node_draining.
  bool draining = false;
  ForwardingGlobals globals;
  std::vector<ServiceEntry> services;
  std::vector<BackendEntry> backends;  // indexed by backend slot

  // Finds the service for a VIP address (16 bytes, IPv4 zero-padded), port and protocol.
  const ServiceEntry* find(const uint8_t* addr, uint8_t family, uint16_t port, uint8_t proto) const {
    if (index_mask_ == 0) return nullptr;
    uint64_t h = key_hash(addr, family, port, proto);
    for (uint64_t i = h & index_mask_;; i = (i + 1) & index_mask_) {
      int32_t s = index_[i];
      if (s < 0) return nullptr;
      const ServiceEntry& e = services[s];
      if (e.port == port && e.protocol == proto && uint8_t(e.vip.family) == family &&
          std::memcmp(e.vip.bytes.data(), addr, 16) == 0)
        return &e;
    }
  }
  // What this host is for an address: kVipAddress (some service uses it), kHostAddress (one
  // of globals.local_addresses) and/or kNatAddress (globals.nat_pool); 0 for anything else.
  static constexpr uint8_t kVipAddress = 1, kHostAddress = 2, kNatAddress = 4;
  uint8_t address_kind(const uint8_t* addr, uint8_t family) const {
    if (address_mask_ == 0) return 0;
    for (uint64_t i = key_hash(addr, family, 0, 0) & address_mask_;; i = (i + 1) & address_mask_) {
      int32_t a = address_index_[i];
      if (a < 0) return 0;
      const LocalAddress& v = local_addresses_[a];
      if (uint8_t(v.address.family) == family && std::memcmp(v.address.bytes.data(), addr, 16) == 0) return v.kind;
    }
  }
  bool is_vip_address(const uint8_t* addr, uint8_t family) const { return address_kind(addr, family) & kVipAddress; }
  // The entry in `ref`'s slot (compare its ref to tell whether it is still the same backend);
  // an empty entry for slots this table does not have.
  const BackendEntry& backend(uint32_t ref) const {
    static const BackendEntry kNone{};
    const uint32_t slot = backend_slot(ref);
    return slot < backends.size() ? backends[slot] : kNone;
  }

  // Builds the lookup indexes; called once by SnapshotBuilder before publication.
  void finalize();

 private:
  // The index hash (lookups only; the flow hash that Maglev uses is flow_hash()): three
  // independent multiplies and a fold, as every balanced packet pays for it.
  static uint64_t key_hash(const uint8_t* addr, uint8_t family, uint16_t port, uint8_t proto) {
    uint64_t w[2];
    std::memcpy(w, addr, 16);
    const uint64_t h = w[0] * 0x9e3779b97f4a7c15ULL + w[1] * 0xc2b2ae3d27d4eb4fULL +
                       (uint64_t(port) << 16 | uint64_t(proto) << 8 | family) * 0x165667b19e3779f9ULL;
    return h ^ (h >> 32);
  }
  std::vector<int32_t> index_;
  uint64_t index_mask_ = 0;
  struct LocalAddress {
    IpAddress address;
    uint8_t kind = 0;
  };
  std::vector<LocalAddress> local_addresses_;
  std::vector<int32_t> address_index_;
  uint64_t address_mask_ = 0;
};

}  // namespace edgelb
