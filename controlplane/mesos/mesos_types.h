// The slice of the Mesos v1 operator API model that load balancing needs: frameworks, agents
// and tasks, reduced to the fields that select a task and say how to reach it. Plain values;
// copies are independent. See docs/mesos.md for how each field is read off the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgelb::mesos {

// Mesos TaskState (mesos.proto), plus kUnrecognized for a name this build does not know.
enum class TaskState : uint8_t {
  kUnrecognized,
  kStaging,
  kStarting,
  kRunning,
  kKilling,
  kFinished,
  kFailed,
  kKilled,
  kError,
  kLost,
  kDropped,
  kUnreachable,
  kGone,
  kGoneByOperator,
  kUnknown,
};
const char* task_state_name(TaskState s);
TaskState parse_task_state(std::string_view name);  // kUnrecognized when unknown
// Terminal per Mesos: the task will never run again (FINISHED, FAILED, KILLED, ERROR, LOST,
// DROPPED, GONE, GONE_BY_OPERATOR). UNREACHABLE and UNKNOWN are not terminal.
bool is_terminal(TaskState s);

// How the task's network is attached: decides AUTO_IP and which port number is reachable where.
enum class NetworkMode : uint8_t { kHost, kBridge, kContainer };
const char* network_mode_name(NetworkMode m);

struct DiscoveryPort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;          // "tcp", "udp", ... as given
  bool container_scope = false;  // label network-scope=container (Marathon): number is a container port
  std::string network_name;      // label network-name
  bool scope_labelled = false;   // a network-scope label was given (else the task's network decides)
  bool operator==(const DiscoveryPort&) const = default;
};

struct PortMapping {
  uint32_t host_port = 0;
  uint32_t container_port = 0;
  std::string protocol;
  bool operator==(const PortMapping&) const = default;
};

struct Task {
  std::string framework_id;
  std::string task_id;
  std::string name;
  std::string agent_id;
  TaskState state = TaskState::kStaging;
  bool has_health_check = false;  // TaskInfo.health_check set, or a status reported `healthy`
  std::optional<bool> healthy;    // from the latest status that carried it
  NetworkMode network = NetworkMode::kHost;
  // The virtual (CNI / Docker user) network the task is on, e.g. "dcos"; "" when none is named.
  // Read from TaskInfo.container and from statuses' container_status.network_infos[].name (SDK
  // framework tasks and Marathon pods name their overlay only there).
  std::string network_name;
  std::vector<std::string> ip_addresses;   // container IPs (IPv4/IPv6) from the latest status with any
  std::vector<DiscoveryPort> ports;        // TaskInfo.discovery.ports
  std::vector<PortMapping> port_mappings;  // Docker or Mesos CNI port mappings
  std::vector<std::pair<std::string, std::string>> labels;
  // Marathon: the app or pod id ("/group/app") and the pod container name, recovered from the
  // task id (marathon_id.h). Set by the model only for tasks of a Marathon framework
  // (is_marathon_framework); empty for every other framework's tasks, whatever their id looks like.
  std::string app_id;
  std::string container_name;

  // Running, and healthy when the task has a health check (no report yet means not ready).
  bool ready() const { return state == TaskState::kRunning && (!has_health_check || healthy.value_or(false)); }
  bool operator==(const Task&) const = default;
};

struct Agent {
  std::string id;
  std::string hostname;
  std::string ip;  // hostname when it is an IP literal, else the IP in the agent's pid; may be empty
  uint32_t port = 0;
  // Where AGENT_IP endpoints point: the IP when known, else the host name.
  const std::string& address() const { return ip.empty() ? hostname : ip; }
  bool operator==(const Agent&) const = default;
};

struct Framework {
  std::string id;
  std::string name;
  bool active = true;
  bool operator==(const Framework&) const = default;
};

// Marathon registers as "marathon"; Marathon-on-Marathon instances (DC/OS) as "marathon-<name>",
// e.g. "marathon-user". Only their tasks carry Marathon app ids.
bool is_marathon_framework(const Framework& f);

// A status that names a virtual network puts the task on it (CONTAINER, network_name); "" keeps it.
void apply_status_network(const std::string& network_name, Task* t);

// TASK_UPDATED (Mesos >= 1.1: {framework_id, status, state}; the 1.0 layout is also read).
struct TaskStatusUpdate {
  std::string framework_id;
  std::string task_id;
  std::string agent_id;
  TaskState state = TaskState::kUnrecognized;
  std::optional<bool> healthy;
  bool has_ip_addresses = false;  // the status carried network_infos with addresses
  std::vector<std::string> ip_addresses;
  std::string network_name;  // a virtual network named in the status ("" when none)
};

// The SUBSCRIBED snapshot (get_state): active tasks only (tasks + orphan_tasks).
struct ClusterSnapshot {
  std::vector<Framework> frameworks;
  std::vector<Agent> agents;
  std::vector<Task> tasks;
  double heartbeat_interval_seconds = 0;  // 0: the master sends none
};

struct Event {
  enum class Type {
    kSubscribed,
    kTaskAdded,
    kTaskUpdated,
    kAgentAdded,
    kAgentRemoved,
    kFrameworkAdded,
    kFrameworkUpdated,
    kFrameworkRemoved,
    kHeartbeat,
    kUnknown,  // a type this build does not handle: ignored and counted
  };
  Type type = Type::kUnknown;
  std::string type_name;     // as on the wire
  ClusterSnapshot snapshot;  // kSubscribed
  Task task;                 // kTaskAdded
  TaskStatusUpdate update;   // kTaskUpdated
  Agent agent;               // kAgentAdded; kAgentRemoved: id only
  Framework framework;       // kFramework*; kFrameworkRemoved: id and name
};

}  // namespace edgelb::mesos
