// One subscription's event stream, transport-free: bytes of the SUBSCRIBE response body in,
// model updates out. RecordIO-decodes (any chunking), JSON-decodes each record, and applies it
// to the model. The first event must be SUBSCRIBED.
//
// Bad input is counted and logged once per kind per subscription, with context:
//   a framing error (bad or oversized length), a non-SUBSCRIBED first event
//       -> feed() returns kReset: the caller drops the connection and resubscribes;
//   a record that is not valid JSON or not a valid event, a TASK_UPDATED for an unknown task,
//   an unknown event type -> counted and skipped; the model is left as it was.
// The model is never half-updated (MesosModel::apply is atomic). Not thread-safe: one stream
// per connection, driven by one thread; the counters are shared atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "mesos/mesos_model.h"
#include "mesos/recordio.h"

namespace edgelb::mesos {

struct StreamCounters {
  std::atomic<uint64_t> records{0};         // RecordIO records received
  std::atomic<uint64_t> events_applied{0};  // events that changed the model
  std::atomic<uint64_t> subscribed{0};      // SUBSCRIBED snapshots applied
  std::atomic<uint64_t> heartbeats{0};
  std::atomic<uint64_t> unknown_event_types{0};
  std::atomic<uint64_t> unknown_tasks{0};      // TASK_UPDATED for a task the model does not have
  std::atomic<uint64_t> invalid_records{0};    // not JSON, or not a valid event
  std::atomic<uint64_t> framing_errors{0};     // bad record length: subscription reset
  std::atomic<uint64_t> truncated_records{0};  // the stream ended inside a record
  std::atomic<uint64_t> protocol_errors{0};    // first event not SUBSCRIBED: subscription reset
};

class EventStream {
 public:
  enum class Result { kOk, kReset };
  using Log = std::function<void(const std::string&)>;

  EventStream(MesosModel& model, StreamCounters& counters, std::string context, Log log);

  Result feed(std::string_view bytes);
  // The stream ended (connection closed). Counts a record cut short.
  void finish();

  bool subscribed() const { return subscribed_; }
  double heartbeat_interval_seconds() const { return heartbeat_interval_; }
  std::chrono::steady_clock::time_point last_event() const { return last_event_; }
  const std::string& reset_reason() const { return reset_reason_; }

 private:
  void on_record(std::string_view record);
  void log_once(const std::string& kind, const std::string& message);

  MesosModel& model_;
  StreamCounters& counters_;
  std::string context_;
  Log log_;
  RecordIoDecoder decoder_;
  bool subscribed_ = false;
  bool reset_ = false;
  double heartbeat_interval_ = 0;
  std::chrono::steady_clock::time_point last_event_;
  std::string reset_reason_;
  std::set<std::string> logged_;
  Event event_;  // the record being applied
};

}  // namespace edgelb::mesos
