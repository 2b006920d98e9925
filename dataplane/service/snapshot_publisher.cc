#define _LGPL_SOURCE 1
#include "service/snapshot_publisher.h"

#include <urcu/urcu-qsbr.h>

#include <chrono>

namespace edgelb {

SnapshotPublisher::~SnapshotPublisher() { delete current_; }

const ServiceSnapshot* SnapshotPublisher::current() const { return rcu_dereference(current_); }

void SnapshotPublisher::publish(std::unique_ptr<ServiceSnapshot> next) {
  ServiceSnapshot* raw = next.release();
  // rcu_xchg_pointer is rcu_assign_pointer that also returns the old value: everything
  // written into *raw is visible to readers before the pointer is.
  ServiceSnapshot* old = rcu_xchg_pointer(&current_, raw);
  auto t0 = std::chrono::steady_clock::now();
  urcu_qsbr_synchronize_rcu();
  auto ns =
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  last_grace_ns_.store(ns, std::memory_order_relaxed);
  if (ns > max_grace_ns_.load(std::memory_order_relaxed)) max_grace_ns_.store(ns, std::memory_order_relaxed);
  publishes_.fetch_add(1, std::memory_order_relaxed);
  delete old;
}

const ServiceSnapshot* SnapshotPublisher::reader_current() const { return rcu_dereference(current_); }

void SnapshotPublisher::reader_register() { urcu_qsbr_register_thread(); }
void SnapshotPublisher::reader_unregister() { urcu_qsbr_unregister_thread(); }
void SnapshotPublisher::reader_quiescent() { urcu_qsbr_quiescent_state(); }
void SnapshotPublisher::reader_offline() { urcu_qsbr_thread_offline(); }
void SnapshotPublisher::reader_online() { urcu_qsbr_thread_online(); }

}  // namespace edgelb
