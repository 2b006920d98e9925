// The mesos-listener's core, without a network: RecordIO framing at every chunk boundary,
// decoding of every shared Mesos fixture, the model fed with the recorded production stream,
// Edge-LB service selection, and what bad input does (and does not) change.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fixtures.h"
#include "mesos/event_decoder.h"
#include "mesos/event_stream.h"
#include "mesos/marathon_id.h"
#include "mesos/master_locator.h"
#include "mesos/mesos_model.h"
#include "mesos/pool_endpoints.h"
#include "mesos/recordio.h"
#include "mesos/service_selector.h"

namespace edgelb::mesos {
namespace {

using nlohmann::json;

const std::string kMesos = test::fixture_path("mesos");
const std::string kStream = kMesos + "/real/dcos-net_operator-api.stream.jsonl";

// Throws (a clear test failure naming the file) when the input is missing.
std::string slurp(const std::string& path) { return test::read_file_or_throw(path); }

std::vector<std::string> stream_lines() {
  std::vector<std::string> out;
  std::istringstream in(slurp(kStream));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string framed(const std::vector<std::string>& records) {
  std::string s;
  for (const auto& r : records) s += recordio_frame(r);
  return s;
}

// Feeds bytes into a fresh stream + model, split at the given positions.
struct Fed {
  MesosModel model;
  StreamCounters counters;
  std::vector<std::string> log;
  EventStream stream{model, counters, "test", [this](const std::string& m) { log.push_back(m); }};
  EventStream::Result feed(const std::string& bytes, std::vector<size_t> cuts = {}) {
    cuts.push_back(bytes.size());
    size_t at = 0;
    EventStream::Result r = EventStream::Result::kOk;
    for (size_t c : cuts) {
      r = stream.feed(std::string_view(bytes).substr(at, c - at));
      at = c;
    }
    return r;
  }
};

std::string task_summary(const ModelView& v) {
  std::string s;
  for (const auto& t : v.tasks)
    s += t->framework_id + "/" + t->task_id + " " + task_state_name(t->state) + " " +
         std::to_string(t->ip_addresses.size()) + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------------
TEST(MarathonTaskId, EveryFormat) {
  struct Case {
    const char* id;
    const char* app;
    const char* container;
  } cases[] = {
      {"docker-on-bridge.0ef76549-2630-11e8-af52-70b3d5800001", "/docker-on-bridge", ""},
      {"group_sub_app.0ef76549-2630-11e8-af52-70b3d5800001", "/group/sub/app", ""},
      {"my.dotted.app.0ef76549-2630-11e8-af52-70b3d5800001", "/my.dotted.app", ""},
      {"legacy_0ef76549", "/legacy", ""},
      {"resident.0ef76549-2630-11e8-af52-70b3d5800001.3", "/resident", ""},
      {"web.instance-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e._app", "/web", ""},
      {"web.instance-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e._app.7", "/web", ""},
      {"web.marathon-6d2a4d5f-2b63-11e8-b4ab-4e5e0a8e9d2e.$anon.2", "/web", ""},
      {"pod-on-host.instance-ea1231bf-2930-11e8-96bf-70b3d5800001.app", "/pod-on-host", "app"},
      {"prod_pods_db.instance-ea1231bf-2930-11e8-96bf-70b3d5800001.sidecar.12", "/prod/pods/db", "sidecar"},
      {"nomarathon", "", ""},
      {".leading", "", ""},
      {"trailing.", "", ""},
  };
  for (const auto& c : cases) {
    MarathonTaskId id = parse_marathon_task_id(c.id);
    EXPECT_EQ(id.app_id, c.app) << c.id;
    EXPECT_EQ(id.container_name, c.container) << c.id;
  }
}

// ---------------------------------------------------------------------------------------------
TEST(RecordIo, EverySplitPositionOfTheRecordedStream) {
  const std::vector<std::string> records = stream_lines();
  ASSERT_EQ(records.size(), 38u);
  const std::string bytes = framed(records);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    RecordIoDecoder d;
    size_t n = 0;
    bool same = true;
    auto on = [&](std::string_view r) { same = same && n < records.size() && r == records[n++]; };
    ASSERT_EQ(d.feed(std::string_view(bytes).substr(0, cut), on), RecordIoDecoder::Status::kOk);
    ASSERT_EQ(d.feed(std::string_view(bytes).substr(cut), on), RecordIoDecoder::Status::kOk);
    ASSERT_TRUE(same && n == records.size() && d.at_boundary()) << "split at " << cut;
  }
  // One byte at a time.
  RecordIoDecoder d;
  size_t n = 0;
  for (char c : bytes)
    ASSERT_EQ(d.feed(std::string_view(&c, 1), [&](std::string_view r) { EXPECT_EQ(r, records[n++]); }),
              RecordIoDecoder::Status::kOk);
  EXPECT_EQ(n, records.size());
}

TEST(RecordIo, EveryPairOfSplitPositionsOfAShortStream) {
  const std::vector<std::string> records = {R"({"type":"HEARTBEAT"})", "", "x", std::string(300, 'y')};
  const std::string bytes = framed(records);
  for (size_t a = 0; a <= bytes.size(); ++a)
    for (size_t b = a; b <= bytes.size(); ++b) {
      RecordIoDecoder d;
      std::vector<std::string> got;
      auto on = [&](std::string_view r) { got.emplace_back(r); };
      d.feed(std::string_view(bytes).substr(0, a), on);
      d.feed(std::string_view(bytes).substr(a, b - a), on);
      d.feed(std::string_view(bytes).substr(b), on);
      ASSERT_EQ(got, records) << a << "," << b;
    }
}

TEST(RecordIo, FramingErrorsAreStickyAndSayWhere) {
  RecordIoDecoder d;
  std::vector<std::string> got;
  auto on = [&](std::string_view r) { got.emplace_back(r); };
  EXPECT_EQ(d.feed("2\n{}1x\n", on), RecordIoDecoder::Status::kBadLength);
  EXPECT_EQ(got, std::vector<std::string>{"{}"});
  EXPECT_NE(d.error().find("unexpected byte 0x78"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("offset 5"), std::string::npos) << d.error();
  EXPECT_EQ(d.feed("2\n{}", on), RecordIoDecoder::Status::kBadLength);  // sticky
  EXPECT_EQ(got.size(), 1u);

  RecordIoDecoder empty;
  EXPECT_EQ(empty.feed("\n", on), RecordIoDecoder::Status::kBadLength);
  RecordIoDecoder huge(1000);
  EXPECT_EQ(huge.feed("1001\n", on), RecordIoDecoder::Status::kTooLarge);
  RecordIoDecoder digits;
  EXPECT_EQ(digits.feed("000000000000000000001\n", on), RecordIoDecoder::Status::kBadLength);
  RecordIoDecoder partial;
  EXPECT_EQ(partial.feed("10\n{\"a\"", on), RecordIoDecoder::Status::kOk);
  EXPECT_FALSE(partial.at_boundary());
  EXPECT_EQ(partial.pending_bytes(), 4u);
}

// ---------------------------------------------------------------------------------------------
TEST(EventDecoder, EveryDocumentationFixture) {
  // Valid as documented.
  std::map<std::string, Event::Type> ok = {
      {"agent_removed.json", Event::Type::kAgentRemoved},
      {"framework_added.json", Event::Type::kFrameworkAdded},
      {"framework_removed.json", Event::Type::kFrameworkRemoved},
      {"framework_updated.json", Event::Type::kFrameworkUpdated},
      {"task_added.json", Event::Type::kTaskAdded},
      {"task_updated.json", Event::Type::kTaskUpdated},
      {"subscribe_request.json", Event::Type::kUnknown},
      {"get_master_response.json", Event::Type::kUnknown},
      {"get_state_response.json", Event::Type::kUnknown},
      {"get_tasks_response.json", Event::Type::kUnknown},
  };
  // Invalid JSON as documented: a placeholder, trailing commas, a doubled brace.
  std::map<std::string, std::string> bad = {
      {"subscribed.json", "invalid JSON"},
      {"heartbeat.json", "invalid JSON"},
      {"agent_added.json", "invalid JSON"},
      {"get_agents_response.json", "invalid JSON"},
  };
  size_t seen = 0;
  for (const std::string& path : test::fixture_files("mesos/doc", ".json")) {
    const std::string name = std::filesystem::path(path).filename();
    Event e;
    std::string error;
    const bool decoded = decode_event(slurp(path), &e, &error);
    if (ok.count(name)) {
      ASSERT_TRUE(decoded) << name << ": " << error;
      EXPECT_EQ(e.type, ok[name]) << name;
    } else {
      ASSERT_TRUE(bad.count(name)) << "unexpected fixture " << name;
      EXPECT_FALSE(decoded) << name;
      EXPECT_NE(error.find(bad[name]), std::string::npos) << name << ": " << error;
    }
    ++seen;
  }
  EXPECT_EQ(seen, ok.size() + bad.size());

  Event e;
  std::string error;
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc/agent_removed.json"), &e, &error));
  EXPECT_EQ(e.agent.id, "c3946a13-75b4-4d3c-9d0e-fc10038dca85-S3");
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc/framework_added.json"), &e, &error));
  EXPECT_EQ(e.framework.name, "inverse-offer-example-framework");
  EXPECT_EQ(e.framework.id, "a9ba2984-99c4-4183-8cd1-f7313426e21c-0147");
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc/task_added.json"), &e, &error));
  EXPECT_EQ(e.task.task_id, "d40f3f3e-bbe3-44af-a230-4cb1eae72f67");
  EXPECT_EQ(e.task.framework_id, "");  // the documentation's example has none
  EXPECT_EQ(e.task.agent_id, "f1c9cdc5-195e-41a7-a0d7-adaa9af07f81");
  // The outdated Mesos 1.0 TASK_UPDATED layout is still understood.
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc/task_updated.json"), &e, &error));
  EXPECT_EQ(e.update.task_id, "42154f1b-adcd-4421-bf13-8bd11adfafaf");
  EXPECT_EQ(e.update.framework_id, "49154f1b-8cf6-4421-bf13-8bd11dccd1f1");
  EXPECT_EQ(e.update.state, TaskState::kRunning);

  // The responses' payloads decode with the same readers.
  ClusterSnapshot s = decode_state(json::parse(slurp(kMesos + "/doc/get_state_response.json"))["get_state"]);
  ASSERT_EQ(s.agents.size(), 1u);
  EXPECT_EQ(s.agents[0].hostname, "myhost");
  EXPECT_EQ(s.agents[0].ip, "127.0.1.1");  // from the pid: the host name is not an address
  ASSERT_EQ(s.frameworks.size(), 1u);
  EXPECT_EQ(s.frameworks[0].name, "default");
  EXPECT_TRUE(s.tasks.empty());  // its only task is in completed_tasks
  const json tasks = json::parse(slurp(kMesos + "/doc/get_tasks_response.json"))["get_tasks"]["tasks"];
  Task t = decode_task(tasks[0]);
  EXPECT_EQ(t.state, TaskState::kRunning);
  EXPECT_EQ(t.ip_addresses, std::vector<std::string>{"127.0.1.1"});
  EXPECT_EQ(
      master_url_from_info(json::parse(slurp(kMesos + "/doc/get_master_response.json"))["get_master"]["master_info"]),
      "http://127.0.1.1:34626");
}

TEST(EventDecoder, StrictCopiesAndRealCaptures) {
  Event e;
  std::string error;
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc-strict/heartbeat.json"), &e, &error)) << error;
  EXPECT_EQ(e.type, Event::Type::kHeartbeat);
  ASSERT_TRUE(decode_event(slurp(kMesos + "/doc-strict/agent_added.json"), &e, &error)) << error;
  EXPECT_EQ(e.type, Event::Type::kAgentAdded);
  EXPECT_EQ(e.agent.ip, "172.31.2.24");
  EXPECT_EQ(e.agent.port, 5051u);
  const json agents = json::parse(slurp(kMesos + "/doc-strict/get_agents_response.json"))["get_agents"]["agents"];
  EXPECT_EQ(decode_agent(agents[0]).id, "3669ea49-c3c4-4b13-adee-05b8f9cb2562-S0");

  ASSERT_TRUE(decode_event(slurp(kMesos + "/real/subscribed.json"), &e, &error)) << error;
  EXPECT_EQ(e.type, Event::Type::kSubscribed);
  EXPECT_EQ(e.snapshot.heartbeat_interval_seconds, 15.0);
  EXPECT_EQ(e.snapshot.agents.size(), 2u);
  EXPECT_EQ(e.snapshot.frameworks.size(), 1u);
  ASSERT_TRUE(decode_event(slurp(kMesos + "/real/task_added.json"), &e, &error)) << error;
  EXPECT_EQ(e.task.app_id, "");  // the model sets it, once it knows the framework is Marathon
  EXPECT_EQ(e.task.network, NetworkMode::kBridge);
  ASSERT_EQ(e.task.ports.size(), 1u);
  EXPECT_EQ(e.task.ports[0].number, 20560u);
  EXPECT_FALSE(e.task.ports[0].container_scope);
  ASSERT_EQ(e.task.port_mappings.size(), 1u);
  EXPECT_EQ(e.task.port_mappings[0].container_port, 8080u);
  ASSERT_TRUE(decode_event(slurp(kMesos + "/real/task_updated.json"), &e, &error)) << error;
  EXPECT_EQ(e.update.ip_addresses, std::vector<std::string>{"172.18.0.2"});
  ASSERT_TRUE(decode_event(slurp(kMesos + "/real/framework_updated.json"), &e, &error)) << error;
  EXPECT_EQ(e.framework.name, "marathon");
  ASSERT_TRUE(decode_event(slurp(kMesos + "/real/framework_removed.json"), &e, &error)) << error;
  EXPECT_EQ(e.framework.name, "hello-world");
  for (const auto& line : stream_lines()) ASSERT_TRUE(decode_event(line, &e, &error)) << error;
}

TEST(EventDecoder, ErrorsNameThePath) {
  Event e;
  std::string error;
  EXPECT_FALSE(decode_event("[1]", &e, &error));
  EXPECT_EQ(error, "$: an event must be a JSON object");
  EXPECT_FALSE(decode_event(R"({"type":"TASK_ADDED","task_added":{"task":{"name":"x"}}})", &e, &error));
  EXPECT_EQ(error, "$.task_added.task.task_id.value: required string missing");
  EXPECT_FALSE(decode_event(
      R"({"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"f"},"status":{"task_id":{"value":"t"}},"state":"TASK_NAPPING"}})",
      &e, &error));
  EXPECT_EQ(error, "$.task_updated.state: unknown task state \"TASK_NAPPING\"");
  EXPECT_FALSE(decode_event(R"({"type":"AGENT_ADDED","agent_added":{}})", &e, &error));
  EXPECT_EQ(error, "$.agent_added.agent: required object missing");
  ASSERT_TRUE(decode_event(R"({"type":"FUTURE_EVENT","future_event":{}})", &e, &error));
  EXPECT_EQ(e.type, Event::Type::kUnknown);
  EXPECT_EQ(e.type_name, "FUTURE_EVENT");
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
ModelView one_task(const Task& t, const Agent& a) {
  ModelView v;
  v.tasks.push_back(std::make_shared<const Task>(t));
  v.agents.push_back(std::make_shared<const Agent>(a));
  auto f = std::make_shared<Framework>();
  f->id = t.framework_id;
  f->name = "marathon";
  v.frameworks.push_back(f);
  return v;
}

TEST(ServiceSelector, ReadinessHealthAndPortMappings) {
  Task t;
  t.framework_id = "fw";
  t.task_id = "web.instance-00000000-0000-4000-8000-000000000001._app.1";
  t.app_id = "/web";
  t.agent_id = "a";
  t.state = TaskState::kRunning;
  t.network = NetworkMode::kContainer;
  t.ip_addresses = {"198.19.0.5", "2001:db8::5"};
  t.ports = {{8080, "http", "tcp", true, "dcos"}, {9090, "admin", "tcp", true, "dcos"}};
  t.port_mappings = {{31001, 8080, "tcp"}};
  Agent a{"a", "agent-1.example", "198.18.0.1", 5051};
  const json sel = R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"http"}})"_json;
  auto render = [](const std::vector<Endpoint>& eps) {
    std::string s;
    for (const auto& e : eps) s += e.address + ":" + std::to_string(e.port) + (e.ready ? "" : "(not ready)") + " ";
    return s;
  };
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "198.19.0.5:8080 2001:db8::5:8080 ");
  // AGENT_IP on a container port: through the port mapping to the host port.
  EXPECT_EQ(render(ServiceSelector(
                       R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"http","type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, a))),
            "198.18.0.1:31001 ");
  // ... and none for a container port without a mapping.
  EXPECT_EQ(render(ServiceSelector(
                       R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"admin","type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, a))),
            "");
  EXPECT_EQ(ServiceSelector(R"({"marathon":{"serviceID":"/web"},"endpoint":{"allPorts":true}})"_json)
                .endpoints(one_task(t, a))
                .size(),
            4u);
  // A health check without a report yet: not ready. Unhealthy: not ready. Healthy: ready.
  t.has_health_check = true;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a), true)),
            "198.19.0.5:8080(not ready) 2001:db8::5:8080(not ready) ");
  t.healthy = false;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  t.healthy = true;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "198.19.0.5:8080 2001:db8::5:8080 ");
  t.state = TaskState::kKilling;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  // An agent without a known IP: its host name.
  t.state = TaskState::kRunning;
  Agent named{"a", "agent-1.example", "", 5051};
  EXPECT_EQ(render(ServiceSelector(R"({"marathon":{"serviceID":"/web"},"endpoint":{"port":80,"type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, named))),
            "agent-1.example:80 ");
  // Patterns are unanchored; frameworkNamePattern looks the name up.
  EXPECT_TRUE(ServiceSelector(R"({"mesos":{"frameworkNamePattern":"ratho"},"endpoint":{"port":1}})"_json)
                  .selects(t, one_task(t, a)));
  EXPECT_FALSE(ServiceSelector(R"({"mesos":{"frameworkNamePattern":"^ratho"},"endpoint":{"port":1}})"_json)
                   .selects(t, one_task(t, a)));
}

TEST(ServiceSelector, UnusableSelectorsSayWhy) {
  auto why = [](const char* s) {
    try {
      ServiceSelector(json::parse(s));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why(R"({"endpoint":{"port":1}})"), "needs a marathon or mesos selector");
  EXPECT_EQ(why(R"({"marathon":{"serviceID":"/a"},"endpoint":{}})"), "endpoint: needs one of port, portName, allPorts");
  EXPECT_EQ(why(R"({"marathon":{"serviceID":"/a"},"endpoint":{"port":1,"type":"SOMEWHERE"}})"),
            "endpoint.type: unknown type \"SOMEWHERE\"");
  EXPECT_NE(why(R"({"marathon":{"serviceIDPattern":"("},"endpoint":{"port":1}})")
                .find("marathon.serviceIDPattern: invalid pattern"),
            std::string::npos);
}

TEST(PoolEndpoints, BackendsAndFastPathVips) {
  Fed f;
  ASSERT_EQ(f.feed(framed(stream_lines())), EventStream::Result::kOk);
  const json pool = R"({"name":"p","haproxy":{"backends":[
      {"name":"web","protocol":"TCP","services":[{"marathon":{"serviceID":"/docker-on-host"},"endpoint":{"portName":"http"}}]},
      {"name":"api","protocol":"TCP","services":[{"marathon":{"serviceID":"/ucr-on-host"},"endpoint":{"portName":"http"}},
                                {"marathon":{"serviceID":"/nothing"},"endpoint":{"portName":"http"}}]}]},
    "fastPath":{"vips":[{"address":"198.18.0.10","port":80,"backend":"web"},
                        {"address":"198.18.0.11","port":8080,"protocol":"TCP","services":[{"mesos":{"taskNamePattern":"^docker-on-dcos$"},"endpoint":{"portName":"http"}}]}]}})"_json;
  auto r = pool_endpoints(pool, f.model.snapshot());
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].path, "haproxy.backends[0].services[0]");
  EXPECT_EQ(r[0].backend, "web");
  ASSERT_EQ(r[0].endpoints.size(), 1u);
  EXPECT_EQ(r[0].endpoints[0].address + ":" + std::to_string(r[0].endpoints[0].port), "172.17.0.4:31168");
  EXPECT_EQ(r[1].endpoints[0].address, "172.17.0.3");
  EXPECT_TRUE(r[2].endpoints.empty());
  EXPECT_EQ(r[3].path, "fastPath.vips[0].services[0]");
  EXPECT_EQ(r[3].endpoints, r[0].endpoints);
  EXPECT_EQ(r[4].path, "fastPath.vips[1].services[0]");
  ASSERT_EQ(r[4].endpoints.size(), 1u);
  EXPECT_EQ(r[4].endpoints[0].address, "9.0.2.130");
  EXPECT_THROW(
      pool_endpoints(
          R"({"haproxy":{"backends":[{"name":"x","protocol":"TCP","services":[{"endpoint":{"port":1}}]}]}})"_json,
          f.model.snapshot()),
      std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Regression inputs of our own, in the shapes real clusters send (DC/OS SDK frameworks, Marathon
// pods on the overlay): each shows a bug found by trying real recordings.
// The stream starts with SUBSCRIBED: an empty cluster here, the test's events follow.
const std::string kEmptySubscribed = R"({"type":"SUBSCRIBED","subscribed":{"get_state":{}}})";
std::string framework_added(const std::string& id, const std::string& name) {
  return json{{"type", "FRAMEWORK_ADDED"},
              {"framework_added",
               {{"framework", {{"framework_info", {{"id", {{"value", id}}}, {"name", name}}}, {"active", true}}}}}}
      .dump();
}
std::string agent_added(const std::string& id, const std::string& ip) {
  return json{
      {"type", "AGENT_ADDED"},
      {"agent_added", {{"agent", {{"agent_info", {{"id", {{"value", id}}}, {"hostname", ip}, {"port", 5051}}}}}}}}
      .dump();
}
// A running task with discovery ports [{number, name, protocol}] and, when `network` is given, a
// status naming that virtual network with `ip` (how SDK tasks and pods on the overlay report it).
std::string task_added(const std::string& fw, const std::string& id, const std::string& name, const json& ports,
                       const std::string& network = "", const std::string& ip = "") {
  json task = {{"name", name},
               {"task_id", {{"value", id}}},
               {"framework_id", {{"value", fw}}},
               {"agent_id", {{"value", "a1"}}},
               {"state", "TASK_RUNNING"},
               {"discovery", {{"visibility", "EXTERNAL"}, {"name", name}, {"ports", {{"ports", ports}}}}}};
  if (!network.empty())
    task["statuses"] = json::array(
        {{{"task_id", {{"value", id}}},
          {"state", "TASK_RUNNING"},
          {"container_status",
           {{"network_infos",
             json::array({{{"name", network}, {"ip_addresses", json::array({{{"ip_address", ip}}})}}})}}}}});
  return json{{"type", "TASK_ADDED"}, {"task_added", {{"task", task}}}}.dump();
}
std::string endpoints_text(const std::vector<Endpoint>& eps) {
  std::string s;
  for (const auto& e : eps)
    s += e.address + ":" + std::to_string(e.port) + "/" + e.protocol + " " + endpoint_type_name(e.type) + "\n";
  return s;
}

TEST(RealInputRegression, AutoIpUsesTheVirtualNetworkNamedOnlyInTheStatus) {
  Fed f;
  const json http = json::array({{{"number", 8080}, {"name", "http"}, {"protocol", "tcp"}}});
  ASSERT_EQ(f.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           task_added("fw-sdk", "hello-0-server__4f3c1a2e-0000-4000-8000-000000000001",
                                      "hello-0-server", http, "dcos", "198.19.7.5")})),
            EventStream::Result::kOk);
  ModelView v = f.model.snapshot();
  ASSERT_EQ(v.tasks.size(), 1u);
  EXPECT_EQ(v.tasks[0]->network, NetworkMode::kContainer);
  EXPECT_EQ(v.tasks[0]->network_name, "dcos");
  const json sel =
      R"({"mesos":{"frameworkName":"hello-world","taskNamePattern":"^hello-.*-server$"},"endpoint":{"portName":"http"}})"_json;
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(v)), "198.19.7.5:8080/tcp CONTAINER_IP\n");
  // The same when the network arrives with a later TASK_UPDATED (TASK_ADDED is staged, no status).
  Fed g;
  json staged = json::parse(task_added("fw-sdk", "hello-1-server__0", "hello-1-server", http));
  staged["task_added"]["task"]["state"] = "TASK_STAGING";
  const std::string update =
      R"({"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"fw-sdk"},"state":"TASK_RUNNING",
      "status":{"task_id":{"value":"hello-1-server__0"},"state":"TASK_RUNNING","agent_id":{"value":"a1"},
      "container_status":{"network_infos":[{"name":"dcos","ip_addresses":[{"protocol":"IPv4","ip_address":"198.19.7.6"}]}]}}}})";
  ASSERT_EQ(g.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           staged.dump(), update})),
            EventStream::Result::kOk);
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(g.model.snapshot())), "198.19.7.6:8080/tcp CONTAINER_IP\n");
  // A host-network task reports its agent's IP with no network name: AUTO_IP stays AGENT_IP.
  Fed h;
  ASSERT_EQ(h.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           task_added("fw-sdk", "hello-2-server__0", "hello-2-server", http, "", "")})),
            EventStream::Result::kOk);
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(h.model.snapshot())), "198.18.1.1:8080/tcp AGENT_IP\n");
}

TEST(RealInputRegression, OnlyMarathonFrameworkTasksHaveMarathonAppIds) {
  Fed f;
  const json http = json::array({{{"number", 31000}, {"name", "http"}, {"protocol", "tcp"}}});
  ASSERT_EQ(f.feed(framed(
                {kEmptySubscribed, agent_added("a1", "198.18.1.1"),
                 // Tasks before their framework: ids appear once the framework is known.
                 task_added("fw-m", "web.instance-00000000-0000-4000-8000-000000000001._app.1", "web", http),
                 framework_added("fw-m", "marathon"), framework_added("fw-sdk", "kafka"),
                 task_added("fw-sdk", "kafka-0-broker__4f3c1a2e-0000-4000-8000-000000000001", "kafka-0-broker", http),
                 framework_added("fw-mom", "marathon-user"),
                 task_added("fw-mom", "team_api.instance-00000000-0000-4000-8000-000000000002._app.1", "api", http)})),
            EventStream::Result::kOk);
  ModelView v = f.model.snapshot();
  std::map<std::string, std::string> app;
  for (const auto& t : v.tasks) app[t->name] = t->app_id;
  EXPECT_EQ(app["web"], "/web");
  EXPECT_EQ(app["kafka-0-broker"], "");  // would parse as "/kafka-0-broker/" if read as Marathon's
  EXPECT_EQ(app["api"], "/team/api");
  const json broad = R"({"marathon":{"serviceIDPattern":".*"},"endpoint":{"portName":"http"}})"_json;
  std::set<std::string> selected;
  for (const auto& e : ServiceSelector(broad).endpoints(v)) selected.insert(e.task_name);
  EXPECT_EQ(selected, (std::set<std::string>{"web", "api"}));
}

TEST(RealInputRegression, ProtocolsAreKeptApartAndEndpointsAreNotDuplicated) {
  Fed f;
  const json ports = json::array({{{"number", 53}, {"name", "dns"}, {"protocol", "tcp"}},
                                  {{"number", 53}, {"name", "dns"}, {"protocol", "udp"}},
                                  {{"number", 8125}, {"name", "statsd"}, {"protocol", "udp"}},
                                  {{"number", 5353}, {"name", "mdns"}, {"protocol", "udp,tcp"}}});
  ASSERT_EQ(
      f.feed(framed({kEmptySubscribed, framework_added("fw-m", "marathon"), agent_added("a1", "198.18.1.1"),
                     task_added("fw-m", "dns.instance-00000000-0000-4000-8000-000000000001._app.1", "dns", ports)})),
      EventStream::Result::kOk);
  const json pool = R"({"name":"p","haproxy":{"backends":[
      {"name":"dns-tcp","protocol":"TCP","services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"portName":"dns"}}]},
      {"name":"all","protocol":"TCP","services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"allPorts":true}}]}]},
    "fastPath":{"vips":[{"address":"198.18.0.10","port":53,"protocol":"UDP","backend":"dns-tcp"},
                        {"address":"198.18.0.10","port":8125,"protocol":"UDP",
                         "services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"portName":"statsd"}}]}]}})"_json;
  auto r = pool_endpoints(pool, f.model.snapshot());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(endpoints_text(r[0].endpoints), "198.18.1.1:53/tcp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[1].endpoints), "198.18.1.1:53/tcp AGENT_IP\n198.18.1.1:5353/tcp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[2].endpoints), "198.18.1.1:53/udp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[3].endpoints), "198.18.1.1:8125/udp AGENT_IP\n");
}

TEST(RealInputRegression, AddressEndpointWithoutSelectorIsOneFixedServer) {
  const json pool = R"({"name":"p","haproxy":{"backends":[{"name":"ext","protocol":"TCP","services":[
      {"endpoint":{"type":"ADDRESS","address":"api.example.com","port":443}},
      {"endpoint":{"type":"ADDRESS","address":"2001:db8::10","port":8443}}]}]}})"_json;
  auto r = pool_endpoints(pool, ModelView{});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(endpoints_text(r[0].endpoints), "api.example.com:443/tcp ADDRESS\n");
  ASSERT_EQ(r[1].endpoints.size(), 1u);
  EXPECT_TRUE(r[1].endpoints[0].ipv6);
  EXPECT_TRUE(r[1].endpoints[0].ready);
  EXPECT_THROW(ServiceSelector(R"({"endpoint":{"type":"ADDRESS","address":"a.example","portName":"http"}})"_json),
               std::invalid_argument);
}

TEST(MasterLocator, GroupChildrenInfoAndRedirects) {
  EXPECT_EQ(
      leading_child({"log_replicas", "json.info_0000000012", "info_0000000001", "json.info_0000000007", "json.info_x"}),
      "json.info_0000000007");
  EXPECT_EQ(leading_child({"log_replicas"}), "");
  EXPECT_EQ(master_url_from_info(R"({"address":{"hostname":"m1","ip":"198.18.0.2","port":5050}})"_json),
            "http://198.18.0.2:5050");
  EXPECT_EQ(master_url_from_info(R"({"hostname":"m1","port":5050})"_json), "http://m1:5050");
  EXPECT_EQ(master_url_from_info(R"({"ip":16842879,"port":34626})"_json), "http://127.0.1.1:34626");
  EXPECT_EQ(master_url_from_info(R"({"address":{"ip":"2001:db8::2","port":5050}})"_json), "http://[2001:db8::2]:5050");
  EXPECT_THROW(master_url_from_info(R"({"hostname":"m1"})"_json), std::runtime_error);
  EXPECT_EQ(redirect_base("//198.18.0.3:5050/api/v1", "http://198.18.0.2:5050"), "http://198.18.0.3:5050");
  EXPECT_EQ(redirect_base("https://m3:5050/api/v1", "http://m2:5050"), "https://m3:5050");
  EXPECT_THROW(redirect_base("/relative", "http://m2:5050"), std::runtime_error);
  EXPECT_EQ(make_master_locator("198.18.0.2:5050, http://198.18.0.3:5050/api/v1")->describe(),
            "http://198.18.0.2:5050,http://198.18.0.3:5050");
  EXPECT_THROW(make_master_locator("zk://127.0.0.1:2181"), std::invalid_argument);
}

}  // namespace
}  // namespace edgelb::mesos
