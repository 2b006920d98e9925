// Maglev consistent hashing (Eisenbud et al., NSDI'16, section 3.4), with weights.
// Each backend's permutation comes from two independent hashes of its stable identity string
// (offset = h1 mod M, skip = h2 mod (M-1) + 1); backends then take turns claiming their next
// preferred free slot, a backend of weight w taking w/max_weight turns per round. Weight 0
// (drain) claims nothing. Thread-safety: pure functions; the table is immutable once built.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace edgelb {

struct MaglevBackend {
  std::string identity;  // stable across restarts and appliances, e.g. "198.18.2.1:80"
  uint32_t weight = 1;
  bool operator==(const MaglevBackend&) const = default;
};

class MaglevTable {
 public:
  static constexpr uint16_t kEmpty = 0xffff;
  static constexpr uint32_t kDefaultSize = 65537;
  static constexpr uint32_t kMaxBackends = 0xfffe;

  // Builds a table of `size` entries (size must be prime and > number of backends; checked by
  // the caller through valid_size()). Entries are indexes into `backends`, or kEmpty when no
  // backend has a non-zero weight.
  static MaglevTable build(std::span<const MaglevBackend> backends, uint32_t size);
  static bool is_prime(uint32_t n);
  static bool valid_size(uint32_t size, size_t backends) { return is_prime(size) && size > backends; }

  uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
  // Picks the entry for a 64-bit flow hash (multiply-shift range reduction, no division).
  uint16_t lookup(uint64_t hash) const {
    return entries_[static_cast<uint32_t>(((hash >> 32) * entries_.size()) >> 32)];
  }
  const std::vector<uint16_t>& entries() const { return entries_; }

 private:
  std::vector<uint16_t> entries_;
};

}  // namespace edgelb
