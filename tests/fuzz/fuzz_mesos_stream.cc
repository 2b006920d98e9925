// libFuzzer target: the mesos-listener's wire input. Bytes as they come off the SUBSCRIBE
// stream (RecordIO framing + JSON events), chunked at fuzzer-chosen sizes, into a real
// EventStream and MesosModel. Nothing may crash or leak, and the change log must describe the
// model exactly: replaying every recorded change from nothing yields the model's own state
// (what a Watch client starting at revision 0 without a resync would build).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "mesos/event_stream.h"
#include "mesos/mesos_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgelb::mesos;
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  MesosModel model(1u << 20);  // large enough to keep every change of one input
  StreamCounters counters;
  EventStream stream(model, counters, "fuzz", nullptr);
  for (size_t i = 0; i < bytes.size(); i += chunk)
    if (stream.feed(bytes.substr(i, chunk)) == EventStream::Result::kReset) break;
  stream.finish();
  std::vector<Change> changes;
  if (!model.changes_since(0, &changes, SIZE_MAX)) __builtin_trap();
  std::map<std::pair<std::string, std::string>, const Task*> tasks;
  std::map<std::string, const Agent*> agents;
  std::map<std::string, const Framework*> frameworks;
  for (const Change& c : changes) {
    switch (c.kind) {
      case Change::Kind::kTaskUpsert: tasks[{c.task->framework_id, c.task->task_id}] = c.task.get(); break;
      case Change::Kind::kTaskRemove: tasks.erase({c.task->framework_id, c.task->task_id}); break;
      case Change::Kind::kAgentUpsert: agents[c.agent->id] = c.agent.get(); break;
      case Change::Kind::kAgentRemove: agents.erase(c.agent->id); break;
      case Change::Kind::kFrameworkUpsert: frameworks[c.framework->id] = c.framework.get(); break;
      case Change::Kind::kFrameworkRemove: frameworks.erase(c.framework->id); break;
    }
  }
  const ModelView v = model.snapshot();
  if (v.tasks.size() != tasks.size() || v.agents.size() != agents.size() || v.frameworks.size() != frameworks.size())
    __builtin_trap();
  for (const auto& t : v.tasks)
    if (auto it = tasks.find({t->framework_id, t->task_id}); it == tasks.end() || !(*it->second == *t))
      __builtin_trap();
  for (const auto& a : v.agents)
    if (auto it = agents.find(a->id); it == agents.end() || !(*it->second == *a)) __builtin_trap();
  for (const auto& f : v.frameworks)
    if (auto it = frameworks.find(f->id); it == frameworks.end() || !(*it->second == *f)) __builtin_trap();
  return 0;
}
