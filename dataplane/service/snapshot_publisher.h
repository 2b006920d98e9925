// Publishes ServiceSnapshots to workers with liburcu QSBR.
//
// Writer (one control thread, not an RCU reader): publish() swaps the pointer with
// rcu_xchg_pointer, waits for a grace period (every registered worker has passed a quiescent
// state, i.e. finished the loop iteration that might hold the old pointer) and then frees the
// old snapshot. All workers switch atomically from one table version to the next: each burst
// sees exactly one snapshot.
//
// Readers (workers): register with reader_register(), call reader_current() at the start of a
// burst, use the pointer only until reader_quiescent() at the end of the loop iteration, and
// reader_unregister() before exiting. A reader that blocks must go offline first.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "service/service_snapshot.h"

namespace edgelb {

class SnapshotPublisher {
 public:
  SnapshotPublisher() = default;
  ~SnapshotPublisher();  // frees the current snapshot; all readers must have unregistered
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Control thread: publishes `next`, waits one grace period, frees the previous snapshot.
  void publish(std::unique_ptr<ServiceSnapshot> next);
  // Control-thread view of the current snapshot (valid until the next publish()).
  const ServiceSnapshot* current() const;

  uint64_t publishes() const { return publishes_.load(std::memory_order_relaxed); }
  uint64_t last_grace_period_ns() const { return last_grace_ns_.load(std::memory_order_relaxed); }
  uint64_t max_grace_period_ns() const { return max_grace_ns_.load(std::memory_order_relaxed); }

  // Worker side.
  static void reader_register();
  static void reader_unregister();
  static void reader_quiescent();
  static void reader_offline();
  static void reader_online();
  const ServiceSnapshot* reader_current() const;

 private:
  // Only accessed through liburcu's rcu_xchg_pointer / rcu_dereference.
  ServiceSnapshot* current_ = nullptr;
  std::atomic<uint64_t> publishes_{0};
  std::atomic<uint64_t> last_grace_ns_{0};
  std::atomic<uint64_t> max_grace_ns_{0};
};

}  // namespace edgelb
