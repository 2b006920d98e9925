// libFuzzer target: the mesos-listener's wire input. Bytes as they come off the SUBSCRIBE
// stream (RecordIO framing + JSON events), chunked at fuzzer-chosen sizes, into a real
// EventStream and MesosModel. Nothing may crash, leak or leave the model inconsistent
// (the task count must match a full snapshot).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mesos/event_stream.h"
#include "mesos/mesos_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgelb::mesos;
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  MesosModel model(64);
  StreamCounters counters;
  EventStream stream(model, counters, "fuzz", nullptr);
  for (size_t i = 0; i < bytes.size(); i += chunk)
    if (stream.feed(bytes.substr(i, chunk)) == EventStream::Result::kReset) break;
  stream.finish();
  if (model.snapshot().tasks.size() != model.task_count()) __builtin_trap();
  return 0;
}
