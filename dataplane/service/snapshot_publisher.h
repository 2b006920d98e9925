// Publishes ServiceSnapshots to workers with liburcu QSBR.
//
// Writers (control threads, not RCU readers; callers serialise exchange() among themselves):
// exchange() swaps the pointer with rcu_xchg_pointer and hands back the replaced snapshot as
// a Replaced, which waits for a grace period (every registered worker has passed a quiescent
// state, i.e. finished the loop iteration that might hold the old pointer) and then frees the
// old snapshot. The wait need not hold the writers' lock: concurrent waits share grace
// periods, so updates from several callers overlap their waits. publish() does both at once.
// All workers switch atomically from one table version to the next: each burst sees exactly
// one snapshot.
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

  // The snapshot an exchange() replaced (possibly none), still visible to readers until a
  // grace period has passed. wait() (or destruction) waits for that grace period and frees
  // it; afterwards the snapshot given to exchange() is live on every worker. Move-only.
  class Replaced {
   public:
    Replaced() = default;
    Replaced(Replaced&& o) noexcept;
    Replaced& operator=(Replaced&& o) noexcept;
    ~Replaced() { wait(); }
    void wait();

   private:
    friend class SnapshotPublisher;
    Replaced(SnapshotPublisher* p, ServiceSnapshot* old) : publisher_(p), old_(old) {}
    SnapshotPublisher* publisher_ = nullptr;  // null: nothing to wait for
    ServiceSnapshot* old_ = nullptr;
  };

  // Makes `next` current (workers see it from their next burst). Callers serialise exchanges.
  [[nodiscard]] Replaced exchange(std::unique_ptr<ServiceSnapshot> next);
  // exchange() and wait: returns once `next` is live everywhere and the previous one is freed.
  void publish(std::unique_ptr<ServiceSnapshot> next) { exchange(std::move(next)).wait(); }
  // Returns once every registered reader has passed a quiescent state: whatever was current
  // when it was called is live everywhere. Shares grace periods with concurrent callers.
  void wait_for_readers() const;
  // Control-thread view of the current snapshot (valid until the next exchange()).
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
