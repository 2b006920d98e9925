// Shared by the mesos-listener's tests: the recorded inputs (tests/fixtures/mesos), RecordIO
// framing, a stream + model fed with bytes split at given positions, and events of our own in
// the shapes real clusters send. Header-only, test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "mesos/event_stream.h"
#include "mesos/mesos_model.h"
#include "mesos/recordio.h"
#include "mesos/service_selector.h"

namespace edgelb::mesos::testing {

using nlohmann::json;

inline const std::string kMesos = test::fixture_path("mesos");
inline const std::string kStream = kMesos + "/real/dcos-net_operator-api.stream.jsonl";

// Throws (a clear test failure naming the file) when the input is missing.
inline std::string slurp(const std::string& path) { return test::read_file_or_throw(path); }

inline std::vector<std::string> stream_lines() {
  std::vector<std::string> out;
  std::istringstream in(slurp(kStream));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

inline std::string framed(const std::vector<std::string>& records) {
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

inline std::string task_summary(const ModelView& v) {
  std::string s;
  for (const auto& t : v.tasks)
    s += t->framework_id + "/" + t->task_id + " " + task_state_name(t->state) + " " +
         std::to_string(t->ip_addresses.size()) + "\n";
  return s;
}

// Regression inputs of our own, in the shapes real clusters send (DC/OS SDK frameworks, Marathon
// pods on the overlay): each shows a bug found by trying real recordings.
// The stream starts with SUBSCRIBED: an empty cluster here, the test's events follow.
inline const std::string kEmptySubscribed = R"({"type":"SUBSCRIBED","subscribed":{"get_state":{}}})";
inline std::string framework_added(const std::string& id, const std::string& name) {
  return json{{"type", "FRAMEWORK_ADDED"},
              {"framework_added",
               {{"framework", {{"framework_info", {{"id", {{"value", id}}}, {"name", name}}}, {"active", true}}}}}}
      .dump();
}
inline std::string agent_added(const std::string& id, const std::string& ip) {
  return json{
      {"type", "AGENT_ADDED"},
      {"agent_added", {{"agent", {{"agent_info", {{"id", {{"value", id}}}, {"hostname", ip}, {"port", 5051}}}}}}}}
      .dump();
}
// A running task with discovery ports [{number, name, protocol}] and, when `network` is given, a
// status naming that virtual network with `ip` (how SDK tasks and pods on the overlay report it).
inline std::string task_added(const std::string& fw, const std::string& id, const std::string& name, const json& ports,
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
inline std::string endpoints_text(const std::vector<Endpoint>& eps) {
  std::string s;
  for (const auto& e : eps)
    s += e.address + ":" + std::to_string(e.port) + "/" + e.protocol + " " + endpoint_type_name(e.type) + "\n";
  return s;
}

}  // namespace edgelb::mesos::testing
