// The live model fed with the recorded production stream: replay, resubscription without
// churn, every split position, bad input counted without touching the model, the change log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/event_decoder.h"
#include "mesos/event_stream.h"
#include "mesos/mesos_model.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

// The recorded production stream: 12 Marathon tasks (apps and pods on host, bridge, overlay
// and IPv6 networks), all running at the end. Expectations read off the events by hand.
class RecordedStream : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(fed.feed(framed(stream_lines())), EventStream::Result::kOk); }
  std::vector<std::string> eps(const json& service, bool all = false) {
    std::vector<std::string> out;
    for (const Endpoint& e : ServiceSelector(service).endpoints(fed.model.snapshot(), all))
      out.push_back((e.ipv6 ? "[" + e.address + "]" : e.address) + ":" + std::to_string(e.port) + " " +
                    endpoint_type_name(e.type));
    std::sort(out.begin(), out.end());
    return out;
  }
  Fed fed;
};

TEST_F(RecordedStream, ModelAfterReplay) {
  EXPECT_EQ(fed.counters.records, 38u);
  EXPECT_EQ(fed.counters.subscribed, 1u);
  EXPECT_EQ(fed.counters.invalid_records + fed.counters.unknown_tasks + fed.counters.framing_errors, 0u);
  const ModelView v = fed.model.snapshot();
  ASSERT_EQ(v.tasks.size(), 12u);
  for (const auto& t : v.tasks) {
    EXPECT_EQ(t->state, TaskState::kRunning) << t->task_id;
    EXPECT_TRUE(t->ready()) << t->task_id;
  }
  ASSERT_EQ(v.frameworks.size(), 2u);  // metronome (snapshot) + marathon (FRAMEWORK_UPDATED)
  EXPECT_EQ(v.framework("30257977-0153-499d-a5b0-35afd842ef4d-0001")->name, "marathon");
  ASSERT_EQ(v.agents.size(), 2u);
  EXPECT_EQ(v.agent("30257977-0153-499d-a5b0-35afd842ef4d-S1")->ip, "172.17.0.3");
}

TEST_F(RecordedStream, EndpointsForSelectors) {
  // Bridge: the discovery port is the host port -> agent S0.
  EXPECT_EQ(eps(R"({"marathon":{"serviceID":"/docker-on-bridge"},"endpoint":{"portName":"http"}})"_json),
            std::vector<std::string>{"172.17.0.4:20560 AGENT_IP"});
  // ... and its container side through the port mapping.
  EXPECT_EQ(
      eps(R"({"marathon":{"serviceID":"docker-on-bridge"},"endpoint":{"portName":"http","type":"CONTAINER_IP"}})"_json),
      std::vector<std::string>{"172.18.0.2:8080 CONTAINER_IP"});
  // Overlay (network-scope=container): the container IP.
  EXPECT_EQ(eps(R"({"marathon":{"serviceID":"/docker-on-dcos"},"endpoint":{"portName":"http"}})"_json),
            std::vector<std::string>{"9.0.2.130:8080 CONTAINER_IP"});
  // IPv4 + IPv6 overlay.
  EXPECT_EQ(eps(R"({"marathon":{"serviceID":"/docker-on-ipv6"},"endpoint":{"portName":"http"}})"_json),
            (std::vector<std::string>{"172.19.0.2:8080 CONTAINER_IP", "[fd01:b::2:8000:0:2]:8080 CONTAINER_IP"}));
  // Host networking, UCR, on agent S1.
  EXPECT_EQ(eps(R"({"marathon":{"serviceID":"/ucr-on-host"},"endpoint":{"portName":"http"}})"_json),
            std::vector<std::string>{"172.17.0.3:10323 AGENT_IP"});
  // UCR bridge: CNI port mapping 15263 -> 8080.
  EXPECT_EQ(
      eps(R"({"marathon":{"serviceID":"/ucr-on-bridge"},"endpoint":{"portName":"http","type":"CONTAINER_IP"}})"_json),
      std::vector<std::string>{"172.31.254.3:8080 CONTAINER_IP"});
  // Pods need their container named.
  EXPECT_TRUE(eps(R"({"marathon":{"serviceID":"/pod-on-host"},"endpoint":{"portName":"http"}})"_json).empty());
  EXPECT_EQ(
      eps(R"({"marathon":{"serviceIDPattern":"^/pod-","containerName":"app"},"endpoint":{"portName":"http"}})"_json),
      (std::vector<std::string>{"172.17.0.3:2254 AGENT_IP", "172.17.0.4:28064 AGENT_IP", "9.0.1.3:8080 CONTAINER_IP"}));
  // Mesos selectors: framework name, task name; AGENT_IP with a fixed port; ADDRESS.
  EXPECT_EQ(
      eps(R"({"mesos":{"frameworkName":"marathon","taskNamePattern":"^none-on-host$"},"endpoint":{"port":13977,"type":"AGENT_IP"}})"_json),
      std::vector<std::string>{"172.17.0.4:13977 AGENT_IP"});
  EXPECT_EQ(
      eps(R"({"mesos":{"taskID":"docker-on-host.116271db-2630-11e8-af52-70b3d5800001"},"endpoint":{"port":80,"type":"ADDRESS","address":"198.18.0.9"}})"_json),
      std::vector<std::string>{"198.18.0.9:80 ADDRESS"});
  EXPECT_TRUE(eps(R"({"mesos":{"frameworkName":"metronome"},"endpoint":{"allPorts":true}})"_json).empty());
  // Every named http port of every app (not the pods): 8 apps have one; none-on-dcos and
  // ucr-on-dcos only have an unassigned "default" port 0.
  EXPECT_EQ(eps(R"({"marathon":{"serviceIDPattern":".*"},"endpoint":{"allPorts":true}})"_json).size(), 8u);
}

TEST_F(RecordedStream, ResubscribingWithTheSameStateChangesNothing) {
  const uint64_t rev = fed.model.revision();
  // The state the master would send now, as one SUBSCRIBED event.
  ModelView v = fed.model.snapshot();
  Event sub;
  sub.type = Event::Type::kSubscribed;
  for (const auto& f : v.frameworks) sub.snapshot.frameworks.push_back(*f);
  for (const auto& a : v.agents) sub.snapshot.agents.push_back(*a);
  for (const auto& t : v.tasks) sub.snapshot.tasks.push_back(*t);
  EXPECT_EQ(fed.model.apply(sub), MesosModel::ApplyResult::kUnchanged);
  EXPECT_EQ(fed.model.revision(), rev);
  // One task gone, one changed, an agent gone: exactly those changes, tasks after agents.
  sub.snapshot.tasks.erase(sub.snapshot.tasks.begin());
  sub.snapshot.tasks[0].healthy = false;
  sub.snapshot.tasks[0].has_health_check = true;
  sub.snapshot.agents.pop_back();
  EXPECT_EQ(fed.model.apply(sub), MesosModel::ApplyResult::kChanged);
  std::vector<Change> changes;
  ASSERT_TRUE(fed.model.changes_since(rev, &changes, 100));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, Change::Kind::kAgentRemove);
  EXPECT_EQ(changes[1].kind, Change::Kind::kTaskRemove);
  EXPECT_EQ(changes[2].kind, Change::Kind::kTaskUpsert);
  EXPECT_FALSE(changes[2].task->ready());
  EXPECT_EQ(changes[2].revision, rev + 3);
}

TEST(EventStreamModel, EverySplitPositionGivesTheSameModel) {
  // A stream with every event kind, fed in two pieces split at every byte (kept small: the
  // cost grows with the square of its length).
  const std::vector<std::string> lines = stream_lines();
  std::vector<std::string> records = {
      R"({"type":"SUBSCRIBED","subscribed":{"get_state":{"get_agents":{"agents":[)"
      R"({"agent_info":{"hostname":"172.17.0.4","id":{"value":"30257977-0153-499d-a5b0-35afd842ef4d-S0"}}},)"
      R"({"agent_info":{"hostname":"172.17.0.3","id":{"value":"30257977-0153-499d-a5b0-35afd842ef4d-S1"}}}]}},)"
      R"("heartbeat_interval_seconds":15.0}})",
      lines[1],
      lines[2],
      lines[4],
      lines[6],
      lines[3]};
  records.push_back(slurp(kMesos + "/doc-strict/agent_added.json"));
  records.push_back(slurp(kMesos + "/doc-strict/heartbeat.json"));
  records.push_back(slurp(kMesos + "/doc/framework_added.json"));
  records.push_back(slurp(kMesos + "/doc/agent_removed.json"));
  records.push_back(slurp(kMesos + "/real/framework_removed.json"));
  const std::string bytes = framed(records);
  Fed reference;
  ASSERT_EQ(reference.feed(bytes), EventStream::Result::kOk);
  const std::string expected = task_summary(reference.model.snapshot());
  // Agent c3946a13-...-S3 came and went; the framework removal names one the model never had.
  ASSERT_EQ(reference.model.snapshot().agents.size(), 2u);
  ASSERT_EQ(reference.model.snapshot().frameworks.size(), 2u);
  ASSERT_EQ(reference.model.task_count(), 2u);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    Fed f;
    ASSERT_EQ(f.feed(bytes, {cut}), EventStream::Result::kOk);
    ASSERT_EQ(f.model.revision(), reference.model.revision()) << cut;
    ASSERT_EQ(task_summary(f.model.snapshot()), expected) << cut;
  }
}

// ---------------------------------------------------------------------------------------------
TEST(EventStreamBadInput, CountedLoggedOnceAndTheModelKeepsItsState) {
  Fed f;
  ASSERT_EQ(f.feed(framed({stream_lines()[0], stream_lines()[1], stream_lines()[2]})), EventStream::Result::kOk);
  const uint64_t rev = f.model.revision();
  const std::string before = task_summary(f.model.snapshot());
  // Invalid JSON (twice), an event that is not valid, an unknown task, an unknown type.
  EXPECT_EQ(
      f.feed(framed(
          {"{not json", "{\"type\":", R"({"type":"TASK_ADDED","task_added":{}})",
           R"({"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"f"},"status":{"task_id":{"value":"ghost"}},"state":"TASK_RUNNING"}})",
           R"({"type":"NEW_THING"})"})),
      EventStream::Result::kOk);
  EXPECT_EQ(f.counters.invalid_records, 3u);
  EXPECT_EQ(f.counters.unknown_tasks, 1u);
  EXPECT_EQ(f.counters.unknown_event_types, 1u);
  EXPECT_EQ(f.model.revision(), rev);
  EXPECT_EQ(task_summary(f.model.snapshot()), before);
  ASSERT_EQ(f.log.size(), 3u);  // once per kind
  EXPECT_NE(f.log[0].find("record 4 skipped: invalid JSON"), std::string::npos) << f.log[0];
  EXPECT_NE(f.log[1].find("unknown task f/ghost"), std::string::npos) << f.log[1];
  EXPECT_NE(f.log[2].find("NEW_THING"), std::string::npos) << f.log[2];
  // A malformed length: reset (resubscribe), nothing after it is applied.
  EXPECT_EQ(f.feed("4x\n" + framed({stream_lines()[3]})), EventStream::Result::kReset);
  EXPECT_EQ(f.counters.framing_errors, 1u);
  EXPECT_NE(f.stream.reset_reason().find("RecordIO framing error"), std::string::npos);
  EXPECT_EQ(f.model.revision(), rev);

  // A stream cut inside a record.
  Fed t;
  const std::string s = framed({stream_lines()[0]}) + framed({stream_lines()[2]}).substr(0, 50);
  EXPECT_EQ(t.feed(s), EventStream::Result::kOk);
  t.stream.finish();
  EXPECT_EQ(t.counters.truncated_records, 1u);
  EXPECT_EQ(t.model.task_count(), 0u);

  // The first event must be SUBSCRIBED.
  Fed p;
  EXPECT_EQ(p.feed(framed({stream_lines()[2]})), EventStream::Result::kReset);
  EXPECT_EQ(p.counters.protocol_errors, 1u);
  EXPECT_FALSE(p.model.has_snapshot());
}

TEST(MesosModel, ChangeLogOverflowMeansResync) {
  MesosModel m(4);
  Event sub;
  sub.type = Event::Type::kSubscribed;
  m.apply(sub);
  for (int i = 0; i < 6; ++i) {
    Event e;
    e.type = Event::Type::kAgentAdded;
    e.agent.id = "a" + std::to_string(i);
    e.agent.hostname = "198.18.0." + std::to_string(i + 1);
    m.apply(e);
  }
  EXPECT_EQ(m.revision(), 6u);
  std::vector<Change> c;
  EXPECT_FALSE(m.changes_since(1, &c, 100));  // revisions 3..6 are kept
  EXPECT_TRUE(m.changes_since(2, &c, 100));
  EXPECT_EQ(c.size(), 4u);
  EXPECT_FALSE(m.changes_since(7, &c, 100));  // the future
  c.clear();
  EXPECT_TRUE(m.changes_since(6, &c, 100));
  EXPECT_TRUE(c.empty());
  // Removing an agent removes its tasks.
  Event t;
  t.type = Event::Type::kTaskAdded;
  t.task.framework_id = "f";
  t.task.task_id = "t";
  t.task.agent_id = "a1";
  t.task.state = TaskState::kRunning;
  m.apply(t);
  EXPECT_EQ(m.task_count(), 1u);
  Event r;
  r.type = Event::Type::kAgentRemoved;
  r.agent.id = "a1";
  m.apply(r);
  EXPECT_EQ(m.task_count(), 0u);
}

}  // namespace
}  // namespace edgelb::mesos
