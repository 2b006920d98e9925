// A token bucket in TSC time: rate_per_s tokens per second, at most `burst` saved up. Used by
// a worker to bound what it punts to the kernel, so a flood at the host cannot starve the
// fast path or the kernel. Single-threaded (one per worker and port); no DPDK dependency.
#pragma once

#include <cstdint>

namespace edgelb {

class TokenBucket {
 public:
  TokenBucket() = default;
  // rate_per_s == 0 means unlimited.
  TokenBucket(uint64_t rate_per_s, uint64_t burst, uint64_t tsc_hz, uint64_t now_tsc)
      : rate_(rate_per_s), burst_(burst ? burst : 1), hz_(tsc_hz ? tsc_hz : 1), last_(now_tsc), tokens_(burst_ * hz_) {}

  // Takes one token at time `now_tsc`; false when the bucket is empty.
  bool take(uint64_t now_tsc) {
    if (rate_ == 0) return true;
    if (now_tsc > last_) {
      // Tokens are kept scaled by hz so refills stay exact in integers.
      const unsigned __int128 add = (unsigned __int128)(now_tsc - last_) * rate_;
      const unsigned __int128 cap = (unsigned __int128)burst_ * hz_;
      const unsigned __int128 t = tokens_ + add;
      tokens_ = uint64_t(t > cap ? cap : t);
      last_ = now_tsc;
    }
    if (tokens_ < hz_) return false;
    tokens_ -= hz_;
    return true;
  }

 private:
  uint64_t rate_ = 0, burst_ = 1, hz_ = 1, last_ = 0, tokens_ = 0;
};

}  // namespace edgelb
