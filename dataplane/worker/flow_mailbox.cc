#include "worker/flow_mailbox.h"

#include <chrono>
#include <thread>

namespace edgelb {

bool FlowMailbox::request(const FlowQuery& q, uint32_t timeout_ms, FlowListing* out) {
  std::lock_guard lk(mu_);
  query_ = q;
  result_ = FlowListing{};
  result_.flows.reserve(q.limit);
  cursor_ = 0;
  state_.store(kPosted, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (state_.load(std::memory_order_acquire) == kDone) {
      *out = std::move(result_);
      state_.store(kIdle, std::memory_order_release);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      int posted = kPosted;
      if (state_.compare_exchange_strong(posted, kIdle, std::memory_order_acq_rel)) return false;
      // kScanning: the worker is inside a chunk; it ends shortly (kPosted or kDone).
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace edgelb
