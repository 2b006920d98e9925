// The 5-tuple that identifies a flow toward a VIP, and the deterministic hash over it.
// The hash must be identical on every worker and every appliance (Maglev consistency across
// ECMP peers), so it has no random seed. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>

#include "packet/ip_address.h"

namespace edgelb {

struct FlowKey {
  uint8_t src[16];    // client address (IPv4 in the first 4 bytes, rest zero)
  uint8_t dst[16];    // VIP address
  uint16_t src_port;  // host byte order
  uint16_t dst_port;
  uint8_t proto;
  uint8_t family;  // 4 or 6

  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(FlowKey)) == 0; }
};
static_assert(sizeof(FlowKey) == 38, "FlowKey must stay packed at 38 bytes");

inline uint64_t mix64(uint64_t x) {
  // splitmix64 finaliser: full avalanche, a few cycles.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// 64-bit hash of a flow key. Keys must be zero-filled where unused (see FlowKey).
inline uint64_t flow_hash(const FlowKey& k) {
  uint64_t w[5] = {0, 0, 0, 0, 0};
  std::memcpy(w, &k, sizeof(FlowKey));
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint64_t x : w) h = mix64(h ^ x);
  return h;
}

// Hash of an arbitrary byte string with a seed (used for Maglev's backend permutations).
uint64_t hash_bytes(const void* data, size_t len, uint64_t seed);

}  // namespace edgelb
