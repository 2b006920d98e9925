// What the flow table stores per flow, in two layouts: a 32-byte IPv4 entry (two per cache
// line) and a 64-byte IPv6 entry (one per line). The key sits in the entry itself, next to the
// state, so a lookup that has prefetched a bucket compares keys without another memory access.
// Thread-safety: plain data, owned by the worker whose table holds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/flow_key.h"

namespace edgelb {

enum class FlowState : uint8_t { kUdp = 0, kSynSent = 1, kEstablished = 2, kClosing = 3 };
const char* flow_state_name(FlowState s);  // "udp", "syn_sent", "established", "closing"

// The mutable part of a flow, the same in both layouts: what the pipeline reads and updates.
struct FlowMeta {
  static constexpr uint8_t kNat = 1;  // flags: a full-NAT flow (nat_session is valid)
  uint8_t used;                       // 0 = the way is empty
  uint8_t proto;                      // part of the key
  FlowState state;
  uint8_t flags;
  uint32_t backend_ref;  // ServiceSnapshot backend reference (slot | generation << 16)
  uint32_t deadline;     // now_ms-relative expiry (wrapping)
  union {
    uint32_t created_ms;   // plain flows
    uint32_t nat_session;  // NAT flows: their NatTable session (which keeps created_ms)
  };
};
static_assert(sizeof(FlowMeta) == 16);

// What both layouts hold: the client and VIP addresses (N bytes each), the ports, the index of
// the flow's other candidate bucket (as first ^ second, so an entry can be moved there when its
// bucket is needed), then the meta.
template <size_t N>
struct FlowEntryFields {
  uint8_t src[N];
  uint8_t dst[N];
  uint16_t src_port;
  uint16_t dst_port;
  uint32_t other_bucket;  // first ^ second candidate bucket
  FlowMeta meta;

  void store(const FlowKey& k) {
    std::memcpy(src, k.src, N);
    std::memcpy(dst, k.dst, N);
    src_port = k.src_port;
    dst_port = k.dst_port;
    meta.proto = k.proto;
  }
  FlowKey key() const {
    FlowKey k{};
    std::memcpy(k.src, src, N);
    std::memcpy(k.dst, dst, N);
    k.src_port = src_port;
    k.dst_port = dst_port;
    k.proto = meta.proto;
    k.family = N == 4 ? 4 : 6;
    return k;
  }
};

// IPv4 flow: the 12 key bytes compare as one 64-bit and one 32-bit word.
struct FlowEntryV4 : FlowEntryFields<4> {
  struct Probe {  // the key in the entry's form, made once per lookup
    uint64_t addresses;
    uint32_t ports;
    uint8_t proto;
  };
  static Probe probe(const FlowKey& k) {
    Probe p;
    uint8_t a[8];
    std::memcpy(a, k.src, 4);
    std::memcpy(a + 4, k.dst, 4);
    std::memcpy(&p.addresses, a, 8);
    const uint16_t ports[2] = {k.src_port, k.dst_port};
    std::memcpy(&p.ports, ports, 4);
    p.proto = k.proto;
    return p;
  }
  bool matches(const Probe& p) const {
    uint64_t a;
    uint32_t ports;
    std::memcpy(&a, src, 8);
    std::memcpy(&ports, &src_port, 4);
    return a == p.addresses && ports == p.ports && meta.proto == p.proto;
  }
};
static_assert(sizeof(FlowEntryV4) == 32);

// IPv6 flow: one cache line.
struct alignas(64) FlowEntryV6 : FlowEntryFields<16> {
  using Probe = const FlowKey&;
  static Probe probe(const FlowKey& k) { return k; }
  bool matches(const FlowKey& k) const {
    return std::memcmp(src, k.src, 32) == 0 && src_port == k.src_port && dst_port == k.dst_port &&
           meta.proto == k.proto;
  }
};
static_assert(sizeof(FlowEntryV6) == 64);

// A flow as listings see it (either layout, key widened).
struct FlowEntry {
  static constexpr uint8_t kNat = FlowMeta::kNat;
  FlowKey key;
  FlowState state;
  uint8_t flags;
  uint32_t backend_ref;
  union {
    uint32_t created_ms;
    uint32_t nat_session;
  };
};

}  // namespace edgelb
