// Mesos v1 operator API events decoded from every recorded fixture (documentation, strict
// copies, real captures), and decoding errors that name the JSON path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/event_decoder.h"
#include "mesos/master_locator.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

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

}  // namespace
}  // namespace edgelb::mesos
