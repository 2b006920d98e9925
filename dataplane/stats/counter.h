// A 64-bit counter written by exactly one thread (its worker) and read by any thread.
// Writes are a relaxed load + store (a plain `add` on x86, no locked instruction); reads see a
// value that was current at some recent point. Never call add() from two threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace edgelb {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace edgelb
