#include "mesos/event_stream.h"

#include "mesos/event_decoder.h"

namespace edgelb::mesos {
namespace {

std::string excerpt(std::string_view record) {
  std::string s(record.substr(0, 120));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return record.size() > 120 ? s + "..." : s;
}

}  // namespace

EventStream::EventStream(MesosModel& model, StreamCounters& counters, std::string context, Log log)
    : model_(model),
      counters_(counters),
      context_(std::move(context)),
      log_(std::move(log)),
      last_event_(std::chrono::steady_clock::now()) {}

void EventStream::log_once(const std::string& kind, const std::string& message) {
  if (!log_ || !logged_.insert(kind).second) return;
  log_(context_ + ": " + message + " (further " + kind + " on this subscription are only counted)");
}

EventStream::Result EventStream::feed(std::string_view bytes) {
  if (reset_) return Result::kReset;
  const auto status = decoder_.feed(bytes, [this](std::string_view r) {
    if (!reset_) on_record(r);
  });
  if (status != RecordIoDecoder::Status::kOk && !reset_) {
    counters_.framing_errors++;
    reset_ = true;
    reset_reason_ = "RecordIO framing error: " + decoder_.error();
    log_once("framing errors", reset_reason_ + "; resubscribing");
  }
  return reset_ ? Result::kReset : Result::kOk;
}

void EventStream::finish() {
  if (!reset_ && !decoder_.at_boundary()) {
    counters_.truncated_records++;
    log_once("truncated records", "stream ended inside a record (" + std::to_string(decoder_.pending_bytes()) +
                                      " bytes of it received, stream offset " + std::to_string(decoder_.offset()) +
                                      ")");
  }
}

void EventStream::on_record(std::string_view record) {
  counters_.records++;
  last_event_ = std::chrono::steady_clock::now();
  std::string error;
  if (!decode_event(record, &event_, &error)) {
    counters_.invalid_records++;
    log_once("invalid records",
             "record " + std::to_string(decoder_.records()) + " skipped: " + error + " in \"" + excerpt(record) + "\"");
    return;
  }
  if (!subscribed_ && event_.type != Event::Type::kSubscribed) {
    counters_.protocol_errors++;
    reset_ = true;
    reset_reason_ = "first event is " + event_.type_name + ", not SUBSCRIBED";
    log_once("protocol errors", reset_reason_ + "; resubscribing");
    return;
  }
  if (event_.type == Event::Type::kSubscribed) {
    subscribed_ = true;
    heartbeat_interval_ = event_.snapshot.heartbeat_interval_seconds;
    counters_.subscribed++;
  }
  switch (model_.apply(event_)) {
    case MesosModel::ApplyResult::kChanged: counters_.events_applied++; break;
    case MesosModel::ApplyResult::kUnknownTask:
      counters_.unknown_tasks++;
      log_once("unknown tasks", "TASK_UPDATED for unknown task " + event_.update.framework_id + "/" +
                                    event_.update.task_id + " (" + task_state_name(event_.update.state) + ") ignored");
      break;
    case MesosModel::ApplyResult::kIgnored:
      counters_.unknown_event_types++;
      log_once("unknown event types", "event type " + event_.type_name + " ignored");
      break;
    case MesosModel::ApplyResult::kUnchanged:
      if (event_.type == Event::Type::kHeartbeat) counters_.heartbeats++;
      break;
  }
}

}  // namespace edgelb::mesos
