#include "packet/flow_key.h"

namespace edgelb {

uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = mix64(seed ^ (len * 0x9e3779b97f4a7c15ULL));
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w);
    p += 8;
    len -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, len);
  return mix64(h ^ tail ^ (uint64_t(len) << 56));
}

}  // namespace edgelb
