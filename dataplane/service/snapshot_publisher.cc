#define _LGPL_SOURCE 1
#include "service/snapshot_publisher.h"

#include <urcu/urcu-qsbr.h>

#include <chrono>

namespace edgelb {

SnapshotPublisher::~SnapshotPublisher() { delete current_; }

const ServiceSnapshot* SnapshotPublisher::current() const { return rcu_dereference(current_); }

SnapshotPublisher::Replaced SnapshotPublisher::exchange(std::unique_ptr<ServiceSnapshot> next) {
  // rcu_xchg_pointer is rcu_assign_pointer that also returns the old value: everything
  // written into *next is visible to readers before the pointer is.
  return Replaced(this, rcu_xchg_pointer(&current_, next.release()));
}

void SnapshotPublisher::wait_for_readers() const { urcu_qsbr_synchronize_rcu(); }

SnapshotPublisher::Replaced::Replaced(Replaced&& o) noexcept : publisher_(o.publisher_), old_(o.old_) {
  o.publisher_ = nullptr;
  o.old_ = nullptr;
}

SnapshotPublisher::Replaced& SnapshotPublisher::Replaced::operator=(Replaced&& o) noexcept {
  if (this != &o) {
    wait();
    publisher_ = o.publisher_;
    old_ = o.old_;
    o.publisher_ = nullptr;
    o.old_ = nullptr;
  }
  return *this;
}

void SnapshotPublisher::Replaced::wait() {
  if (!publisher_) return;
  const auto t0 = std::chrono::steady_clock::now();
  urcu_qsbr_synchronize_rcu();
  const auto ns =
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  publisher_->last_grace_ns_.store(ns, std::memory_order_relaxed);
  uint64_t max = publisher_->max_grace_ns_.load(std::memory_order_relaxed);
  while (ns > max && !publisher_->max_grace_ns_.compare_exchange_weak(max, ns, std::memory_order_relaxed)) {
  }
  publisher_->publishes_.fetch_add(1, std::memory_order_relaxed);
  delete old_;
  publisher_ = nullptr;
  old_ = nullptr;
}

const ServiceSnapshot* SnapshotPublisher::reader_current() const { return rcu_dereference(current_); }

void SnapshotPublisher::reader_register() { urcu_qsbr_register_thread(); }
void SnapshotPublisher::reader_unregister() { urcu_qsbr_unregister_thread(); }
void SnapshotPublisher::reader_quiescent() { urcu_qsbr_quiescent_state(); }
void SnapshotPublisher::reader_offline() { urcu_qsbr_thread_offline(); }
void SnapshotPublisher::reader_online() { urcu_qsbr_thread_online(); }

}  // namespace edgelb
