// edgelb-mesos-sim's cluster state, kept as Mesos operator API JSON (what GET_STATE returns),
// and the control operations that change it. Every operation returns the events a real master
// would stream for it (already applied to the state), in order.
//
// Operations (JSON objects, "op" selects; see docs/mesos.md for every field):
//   add_framework {id, name}            remove_framework {id}
//   add_agent {id, hostname, port}      remove_agent {id}
//   add_task {framework_id, task_id, name, agent_id, state, network, network_name, ips,
//             ports:[{number,name,protocol,scope}], port_mappings, health_check, healthy}
//   update_task {framework_id, task_id, state?, healthy?, ips?}     kill_task {framework_id, task_id}
//   scale {framework_id, app_id, instances, agents:[ids], port, port_name, network, ...}
//   event {event: <any Mesos event JSON>}   applied when understood, streamed as given
// Not thread-safe: the master serialises access.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgelb::mesos_sim {

using nlohmann::json;

class SimState {
 public:
  // Applies a Mesos event to the state (SUBSCRIBED replaces it). Unknown types change nothing.
  void apply(const json& event);
  // The SUBSCRIBED event for a new subscriber.
  json subscribed(double heartbeat_interval_seconds) const;
  // Runs one control operation. Throws std::invalid_argument with the reason.
  std::vector<json> op(const json& request);

  size_t task_count() const { return tasks_.size(); }
  size_t agent_count() const { return agents_.size(); }
  size_t framework_count() const { return frameworks_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;  // framework id, task id
  std::vector<json> add_task(const json& r);
  std::vector<json> update_task(const json& r, const std::string& state);
  std::vector<json> scale(const json& r);
  json status_for(const json& task, const std::string& state, const json& healthy);  // advances clock_

  std::map<std::string, json> frameworks_;
  std::map<std::string, json> agents_;
  std::map<Key, json> tasks_;
  std::map<std::string, std::vector<std::string>> app_tasks_;  // scale: app id -> task ids, oldest first
  uint64_t next_uuid_ = 1;
  double clock_ = 1.7e9;  // status timestamps: deterministic, increasing
};

}  // namespace edgelb::mesos_sim
