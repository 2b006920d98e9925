// The mailbox through which the control thread asks one worker for the flows it tracks
// (conntrack/flow_query.h), without sharing its table: the control side posts a query and
// waits; the worker, between bursts, scans its own table one chunk of buckets at a time and
// hands back at most `limit` matching records.
//
// States: kIdle -> kPosted (control) -> kScanning (worker, one chunk) -> kPosted ... -> kDone
// (worker) -> kIdle (control). The control side may withdraw a kPosted request (kPosted ->
// kIdle) but waits out a kScanning chunk, so the worker never writes a listing nobody owns.
// Thread-safety: request() from control threads (serialised here); posted()/serve() from the
// owning worker only.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "conntrack/flow_query.h"
#include "conntrack/flow_table.h"

namespace edgelb {

class FlowMailbox {
 public:
  static constexpr uint32_t kBucketsPerChunk = 2048;  // ~16K entries: tens of microseconds

  // Control side: posts `q` and waits for the worker's listing. False when the worker did not
  // finish within `timeout_ms` (not running, or stalled).
  bool request(const FlowQuery& q, uint32_t timeout_ms, FlowListing* out);

  // Worker side: a request waits (checked once per loop).
  bool posted() const { return state_.load(std::memory_order_acquire) == kPosted; }
  // Worker side: scans the next chunk of `flows`. describe(entry, expires_in_ms, &record) fills
  // a record for an entry whose key matches and returns whether it is listed.
  template <typename Describe>
  void serve(const FlowTable& flows, uint32_t now_ms, Describe&& describe);

 private:
  enum State : int { kIdle, kPosted, kScanning, kDone };
  std::mutex mu_;  // one request at a time
  std::atomic<int> state_{kIdle};
  FlowQuery query_;
  FlowListing result_;
  uint64_t cursor_ = 0;
};

template <typename Describe>
void FlowMailbox::serve(const FlowTable& flows, uint32_t now_ms, Describe&& describe) {
  int posted = kPosted;
  if (!state_.compare_exchange_strong(posted, kScanning, std::memory_order_acq_rel)) return;
  cursor_ = flows.scan(cursor_, kBucketsPerChunk, now_ms, [&](const FlowEntry& e, uint32_t expires_in) {
    if (result_.truncated || !query_.matches_key(e.key)) return;
    FlowRecord r;
    if (!describe(e, expires_in, &r)) return;
    if (query_.backend.family != IpFamily::kNone && (!r.backend_known || !(r.backend == query_.backend))) return;
    if (result_.flows.size() >= query_.limit) {
      result_.truncated = true;
      return;
    }
    result_.flows.push_back(r);
  });
  const bool done = cursor_ >= flows.buckets() || result_.truncated;
  state_.store(done ? kDone : kPosted, std::memory_order_release);
}

}  // namespace edgelb
