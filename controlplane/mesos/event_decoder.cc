#include "mesos/event_decoder.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::mesos {
namespace {

using json = nlohmann::json;

struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// {"value": "..."} ids (FrameworkID, AgentID, TaskID).
std::string id_value(const json& j, const char* key, const std::string& where, bool required) {
  const json& v = member(member(j, key), "value");
  if (v.is_string() && !v.get_ref<const std::string&>().empty()) return v.get<std::string>();
  if (required) throw DecodeError(where + "." + key + ".value: required string missing");
  return {};
}

uint32_t port_number(const json& v) {
  if (!v.is_number_integer() && !v.is_number_unsigned()) return 0;
  const int64_t n = v.get<int64_t>();
  return n >= 0 && n <= 65535 ? static_cast<uint32_t>(n) : 0;
}

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// The Mesos CNI bridge: ports are reached on the agent through port mappings, not a virtual network.
constexpr const char* kMesosBridge = "mesos-bridge";

// A virtual network named by a NetworkInfo (Mesos CNI or Docker user network), else "".
std::string virtual_network_name(const json& network_info) {
  std::string name = string_or(network_info, "name");
  return name == kMesosBridge ? "" : name;
}

// Addresses from container_status.network_infos[].ip_addresses[].ip_address, and the first
// virtual network named there (host-network tasks report their agent's IP with no name).
bool status_ips(const json& status, std::vector<std::string>* out, std::string* network_name) {
  const json& infos = member(member(status, "container_status"), "network_infos");
  if (!infos.is_array()) return false;
  bool any = false;
  for (const json& ni : infos) {
    if (network_name->empty()) *network_name = virtual_network_name(ni);
    for (const json& a : member(ni, "ip_addresses").is_array() ? member(ni, "ip_addresses") : json::array()) {
      std::string ip = string_or(a, "ip_address");
      if (ip.empty() || !is_ip_literal(ip)) continue;
      out->push_back(std::move(ip));
      any = true;
    }
  }
  return any;
}

std::optional<bool> status_healthy(const json& status) {
  const json& h = member(status, "healthy");
  if (h.is_boolean()) return h.get<bool>();
  return std::nullopt;
}

void read_port_mappings(const json& list, std::vector<PortMapping>* out) {
  if (!list.is_array()) return;
  for (const json& m : list) {
    PortMapping pm;
    pm.host_port = port_number(member(m, "host_port"));
    pm.container_port = port_number(member(m, "container_port"));
    pm.protocol = string_or(m, "protocol");
    if (pm.protocol.empty()) pm.protocol = "tcp";
    if (pm.host_port || pm.container_port) out->push_back(std::move(pm));
  }
}

void read_container(const json& c, Task* t) {
  const std::string type = string_or(c, "type");
  const json& infos = member(c, "network_infos");
  if (type == "DOCKER") {
    const json& docker = member(c, "docker");
    const std::string net = string_or(docker, "network");
    t->network = net == "BRIDGE" ? NetworkMode::kBridge : net == "USER" ? NetworkMode::kContainer : NetworkMode::kHost;
    read_port_mappings(member(docker, "port_mappings"), &t->port_mappings);
  }
  if (infos.is_array() && !infos.empty()) {
    bool bridge = false;
    for (const json& ni : infos) {
      if (string_or(ni, "name") == kMesosBridge || member(ni, "port_mappings").is_array())
        bridge = true;
      else if (t->network_name.empty())
        t->network_name = virtual_network_name(ni);
      read_port_mappings(member(ni, "port_mappings"), &t->port_mappings);
    }
    if (type != "DOCKER") t->network = bridge ? NetworkMode::kBridge : NetworkMode::kContainer;
  }
}

void read_discovery(const json& d, Task* t) {
  const json& ports = member(member(d, "ports"), "ports");
  if (!ports.is_array()) return;
  for (const json& p : ports) {
    DiscoveryPort dp;
    dp.number = port_number(member(p, "number"));
    dp.name = string_or(p, "name");
    dp.protocol = string_or(p, "protocol");
    if (dp.protocol.empty()) dp.protocol = "tcp";
    const json& labels = member(member(p, "labels"), "labels");
    if (labels.is_array())
      for (const json& l : labels) {
        const std::string key = string_or(l, "key");
        if (key == "network-scope") {
          dp.scope_labelled = true;
          dp.container_scope = string_or(l, "value") == "container";
        }
        if (key == "network-name") dp.network_name = string_or(l, "value");
      }
    t->ports.push_back(std::move(dp));
  }
}

Task task_from(const json& j, const std::string& where) {
  if (!j.is_object()) throw DecodeError(where + ": not an object");
  Task t;
  t.task_id = id_value(j, "task_id", where, true);
  // The documentation's TASK_ADDED example has no framework_id (Mesos requires one).
  t.framework_id = id_value(j, "framework_id", where, false);
  t.agent_id = id_value(j, "agent_id", where, false);
  t.name = string_or(j, "name");
  const json& state = member(j, "state");
  if (state.is_string()) t.state = parse_task_state(state.get<std::string>());
  t.has_health_check = member(j, "health_check").is_object();
  const json& statuses = member(j, "statuses");
  std::string status_network;
  if (statuses.is_array()) {
    for (const json& s : statuses) {  // oldest first: later statuses win
      std::vector<std::string> ips;
      std::string network;
      if (status_ips(s, &ips, &network)) t.ip_addresses = std::move(ips);
      if (!network.empty()) status_network = std::move(network);
      if (auto h = status_healthy(s)) {
        t.healthy = h;
        t.has_health_check = true;
      }
    }
  }
  read_container(member(j, "container"), &t);
  read_discovery(member(j, "discovery"), &t);
  // Pods carry their network on the executor; the ports' network-scope labels still tell, and so
  // does a virtual network named in a status (SDK framework tasks on the overlay).
  if (t.network == NetworkMode::kHost)
    for (const DiscoveryPort& p : t.ports)
      if (p.container_scope) t.network = NetworkMode::kContainer;
  apply_status_network(status_network, &t);
  const json& labels = member(member(j, "labels"), "labels");
  if (labels.is_array())
    for (const json& l : labels) t.labels.emplace_back(string_or(l, "key"), string_or(l, "value"));
  return t;
}

Agent agent_from(const json& j, const std::string& where) {
  const json& info = member(j, "agent_info");
  if (!info.is_object()) throw DecodeError(where + ".agent_info: required object missing");
  Agent a;
  a.id = id_value(info, "id", where + ".agent_info", true);
  a.hostname = string_or(info, "hostname");
  a.port = port_number(member(info, "port"));
  if (is_ip_literal(a.hostname)) {
    a.ip = a.hostname;
  } else {  // "slave(1)@10.0.0.4:5051"
    const std::string pid = string_or(j, "pid");
    const size_t at = pid.find('@'), colon = pid.rfind(':');
    if (at != std::string::npos && colon != std::string::npos && colon > at) {
      std::string ip = pid.substr(at + 1, colon - at - 1);
      if (is_ip_literal(ip)) a.ip = std::move(ip);
    }
  }
  return a;
}

Framework framework_from_info(const json& info, const std::string& where) {
  if (!info.is_object()) throw DecodeError(where + ": required object missing");
  Framework f;
  f.id = id_value(info, "id", where, true);
  f.name = string_or(info, "name");
  return f;
}

Framework framework_from(const json& j, const std::string& where) {
  Framework f = framework_from_info(member(j, "framework_info"), where + ".framework_info");
  const json& active = member(j, "active");
  f.active = active.is_boolean() ? active.get<bool>() : true;
  return f;
}

const json& required_object(const json& j, const char* key, const std::string& where) {
  const json& v = member(j, key);
  if (!v.is_object()) throw DecodeError(where + "." + key + ": required object missing");
  return v;
}

ClusterSnapshot state_from(const json& s, const std::string& where) {
  if (!s.is_object()) throw DecodeError(where + ": not an object");
  ClusterSnapshot out;
  const json& fw = member(member(s, "get_frameworks"), "frameworks");
  if (fw.is_array())
    for (size_t i = 0; i < fw.size(); ++i)
      out.frameworks.push_back(framework_from(fw[i], where + ".get_frameworks.frameworks[" + std::to_string(i) + "]"));
  const json& ag = member(member(s, "get_agents"), "agents");
  if (ag.is_array())
    for (size_t i = 0; i < ag.size(); ++i)
      out.agents.push_back(agent_from(ag[i], where + ".get_agents.agents[" + std::to_string(i) + "]"));
  for (const char* list : {"tasks", "orphan_tasks"}) {
    const json& tasks = member(member(s, "get_tasks"), list);
    if (!tasks.is_array()) continue;
    for (size_t i = 0; i < tasks.size(); ++i) {
      Task t = task_from(tasks[i], where + ".get_tasks." + list + "[" + std::to_string(i) + "]");
      if (!is_terminal(t.state)) out.tasks.push_back(std::move(t));
    }
  }
  return out;
}

void decode(const json& j, Event* e) {
  if (!j.is_object()) throw DecodeError("$: an event must be a JSON object");
  const json& type = member(j, "type");
  if (!type.is_string()) throw DecodeError("$.type: required string missing");
  e->type_name = type.get<std::string>();
  const std::string& t = e->type_name;
  if (t == "SUBSCRIBED") {
    const json& sub = required_object(j, "subscribed", "$");
    e->type = Event::Type::kSubscribed;
    e->snapshot = state_from(required_object(sub, "get_state", "$.subscribed"), "$.subscribed.get_state");
    const json& hb = member(sub, "heartbeat_interval_seconds");
    if (hb.is_number()) e->snapshot.heartbeat_interval_seconds = hb.get<double>();
  } else if (t == "TASK_ADDED") {
    e->type = Event::Type::kTaskAdded;
    e->task = task_from(member(required_object(j, "task_added", "$"), "task"), "$.task_added.task");
  } else if (t == "TASK_UPDATED") {
    e->type = Event::Type::kTaskUpdated;
    const json& u = required_object(j, "task_updated", "$");
    TaskStatusUpdate& up = e->update;
    up.framework_id = id_value(u, "framework_id", "$.task_updated", true);
    const json& status = member(u, "status");
    const json& src = status.is_object() ? status : u;  // Mesos 1.0 put task_id and state at the top
    const std::string where = status.is_object() ? "$.task_updated.status" : "$.task_updated";
    up.task_id = id_value(src, "task_id", where, true);
    up.agent_id = id_value(src, "agent_id", where, false);
    if (up.agent_id.empty()) up.agent_id = id_value(u, "agent_id", "$.task_updated", false);
    const json& state = member(u, "state").is_string() ? member(u, "state") : member(src, "state");
    if (!state.is_string()) throw DecodeError("$.task_updated.state: required string missing");
    up.state = parse_task_state(state.get<std::string>());
    if (up.state == TaskState::kUnrecognized)
      throw DecodeError("$.task_updated.state: unknown task state \"" + state.get<std::string>() + "\"");
    up.healthy = status_healthy(status);
    up.has_ip_addresses = status_ips(status, &up.ip_addresses, &up.network_name);
  } else if (t == "AGENT_ADDED") {
    e->type = Event::Type::kAgentAdded;
    e->agent = agent_from(required_object(required_object(j, "agent_added", "$"), "agent", "$.agent_added"),
                          "$.agent_added.agent");
  } else if (t == "AGENT_REMOVED") {
    e->type = Event::Type::kAgentRemoved;
    e->agent.id = id_value(required_object(j, "agent_removed", "$"), "agent_id", "$.agent_removed", true);
  } else if (t == "FRAMEWORK_ADDED" || t == "FRAMEWORK_UPDATED") {
    const bool added = t == "FRAMEWORK_ADDED";
    const std::string key = added ? "framework_added" : "framework_updated";
    e->type = added ? Event::Type::kFrameworkAdded : Event::Type::kFrameworkUpdated;
    e->framework = framework_from(required_object(required_object(j, key.c_str(), "$"), "framework", "$." + key),
                                  "$." + key + ".framework");
  } else if (t == "FRAMEWORK_REMOVED") {
    e->type = Event::Type::kFrameworkRemoved;
    e->framework = framework_from_info(member(required_object(j, "framework_removed", "$"), "framework_info"),
                                       "$.framework_removed.framework_info");
  } else if (t == "HEARTBEAT") {
    e->type = Event::Type::kHeartbeat;
  } else {
    e->type = Event::Type::kUnknown;
  }
}

}  // namespace

bool decode_event(std::string_view text, Event* out, std::string* error) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    *error = std::string("invalid JSON: ") + e.what();
    return false;
  }
  try {
    *out = Event();
    decode(j, out);
    return true;
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
}

ClusterSnapshot decode_state(const json& s) { return state_from(s, "$"); }
Task decode_task(const json& t) { return task_from(t, "$"); }
Agent decode_agent(const json& a) { return agent_from(a, "$"); }
Framework decode_framework(const json& f) { return framework_from(f, "$"); }

const char* task_state_name(TaskState s) {
  switch (s) {
    case TaskState::kStaging: return "TASK_STAGING";
    case TaskState::kStarting: return "TASK_STARTING";
    case TaskState::kRunning: return "TASK_RUNNING";
    case TaskState::kKilling: return "TASK_KILLING";
    case TaskState::kFinished: return "TASK_FINISHED";
    case TaskState::kFailed: return "TASK_FAILED";
    case TaskState::kKilled: return "TASK_KILLED";
    case TaskState::kError: return "TASK_ERROR";
    case TaskState::kLost: return "TASK_LOST";
    case TaskState::kDropped: return "TASK_DROPPED";
    case TaskState::kUnreachable: return "TASK_UNREACHABLE";
    case TaskState::kGone: return "TASK_GONE";
    case TaskState::kGoneByOperator: return "TASK_GONE_BY_OPERATOR";
    case TaskState::kUnknown: return "TASK_UNKNOWN";
    case TaskState::kUnrecognized: break;
  }
  return "UNRECOGNIZED";
}

TaskState parse_task_state(std::string_view name) {
  for (int i = 1; i <= static_cast<int>(TaskState::kUnknown); ++i)
    if (name == task_state_name(static_cast<TaskState>(i))) return static_cast<TaskState>(i);
  return TaskState::kUnrecognized;
}

bool is_terminal(TaskState s) {
  switch (s) {
    case TaskState::kFinished:
    case TaskState::kFailed:
    case TaskState::kKilled:
    case TaskState::kError:
    case TaskState::kLost:
    case TaskState::kDropped:
    case TaskState::kGone:
    case TaskState::kGoneByOperator: return true;
    default: return false;
  }
}

void apply_status_network(const std::string& network_name, Task* t) {
  if (network_name.empty()) return;
  t->network = NetworkMode::kContainer;
  t->network_name = network_name;
}

bool is_marathon_framework(const Framework& f) { return f.name == "marathon" || f.name.rfind("marathon-", 0) == 0; }

const char* network_mode_name(NetworkMode m) {
  switch (m) {
    case NetworkMode::kHost: return "HOST";
    case NetworkMode::kBridge: return "BRIDGE";
    case NetworkMode::kContainer: return "CONTAINER";
  }
  return "HOST";
}

}  // namespace edgelb::mesos
