#include "maglev/maglev.h"

#include <algorithm>

#include "packet/flow_key.h"

namespace edgelb {

bool MaglevTable::is_prime(uint32_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint32_t d = 3; uint64_t(d) * d <= n; d += 2)
    if (n % d == 0) return false;
  return true;
}

MaglevTable MaglevTable::build(std::span<const MaglevBackend> backends, uint32_t size) {
  MaglevTable t;
  t.entries_.assign(size, kEmpty);
  const size_t n = backends.size();
  uint32_t max_weight = 0;
  for (const auto& b : backends) max_weight = std::max(max_weight, b.weight);
  if (n == 0 || max_weight == 0 || size < 2) return t;

  constexpr uint64_t kSeedOffset = 0x6d61676c65763031ULL;  // two independent hash seeds
  constexpr uint64_t kSeedSkip = 0x736b69702d736565ULL;
  std::vector<uint32_t> position(n), skip(n);
  std::vector<uint64_t> credit(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto& id = backends[i].identity;
    position[i] = static_cast<uint32_t>(hash_bytes(id.data(), id.size(), kSeedOffset) % size);
    skip[i] = static_cast<uint32_t>(hash_bytes(id.data(), id.size(), kSeedSkip) % (size - 1)) + 1;
  }

  uint16_t* entries = t.entries_.data();
  // Occupancy bitmap: 8 KiB for M=65537, so the probe loop stays in L1.
  std::vector<uint64_t> taken((size + 63) / 64, 0);
  uint32_t filled = 0;
  while (true) {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t w = backends[i].weight;
      if (w == 0) continue;
      credit[i] += w;
      while (credit[i] >= max_weight) {
        credit[i] -= max_weight;
        uint32_t pos = position[i];
        while (taken[pos >> 6] & (1ull << (pos & 63))) {
          pos += skip[i];
          if (pos >= size) pos -= size;
        }
        taken[pos >> 6] |= 1ull << (pos & 63);
        entries[pos] = static_cast<uint16_t>(i);
        pos += skip[i];
        if (pos >= size) pos -= size;
        position[i] = pos;
        if (++filled == size) return t;
      }
    }
  }
}

}  // namespace edgelb
