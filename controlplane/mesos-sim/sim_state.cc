#include "mesos-sim/sim_state.h"

#include <cstdio>
#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::mesos_sim {
namespace {

std::string required(const json& r, const char* key) {
  const json& v = member(r, key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    throw std::invalid_argument(std::string("\"") + key + "\" (string) is required");
  return v.get<std::string>();
}

std::string id_of(const json& j, const char* key) {
  const json& v = member(member(j, key), "value");
  return v.is_string() ? v.get<std::string>() : std::string();
}

json id(const std::string& v) { return json{{"value", v}}; }

bool terminal(const std::string& s) {
  return s == "TASK_FINISHED" || s == "TASK_FAILED" || s == "TASK_KILLED" || s == "TASK_ERROR" || s == "TASK_LOST" ||
         s == "TASK_DROPPED" || s == "TASK_GONE" || s == "TASK_GONE_BY_OPERATOR";
}

}  // namespace

void SimState::apply(const json& e) {
  const std::string type = member(e, "type").is_string() ? e["type"].get<std::string>() : "";
  if (type == "SUBSCRIBED") {
    frameworks_.clear();
    agents_.clear();
    tasks_.clear();
    const json& s = member(member(e, "subscribed"), "get_state");
    for (const json& f : member(member(s, "get_frameworks"), "frameworks"))
      frameworks_[id_of(member(f, "framework_info"), "id")] = f;
    for (const json& a : member(member(s, "get_agents"), "agents")) agents_[id_of(member(a, "agent_info"), "id")] = a;
    for (const json& t : member(member(s, "get_tasks"), "tasks"))
      tasks_[{id_of(t, "framework_id"), id_of(t, "task_id")}] = t;
  } else if (type == "TASK_ADDED") {
    const json& t = member(member(e, "task_added"), "task");
    tasks_[{id_of(t, "framework_id"), id_of(t, "task_id")}] = t;
  } else if (type == "TASK_UPDATED") {
    const json& u = member(e, "task_updated");
    const json& st = member(u, "status");
    auto it = tasks_.find({id_of(u, "framework_id"), id_of(st, "task_id")});
    if (it == tasks_.end()) return;
    const std::string state = member(u, "state").is_string() ? u["state"].get<std::string>() : "";
    if (terminal(state)) {
      tasks_.erase(it);
      return;
    }
    it->second["state"] = state;
    it->second["statuses"].push_back(st);
    it->second["status_update_state"] = state;
  } else if (type == "AGENT_ADDED") {
    const json& a = member(member(e, "agent_added"), "agent");
    agents_[id_of(member(a, "agent_info"), "id")] = a;
  } else if (type == "AGENT_REMOVED") {
    const std::string aid = id_of(member(e, "agent_removed"), "agent_id");
    agents_.erase(aid);
    for (auto it = tasks_.begin(); it != tasks_.end();)
      it = id_of(it->second, "agent_id") == aid ? tasks_.erase(it) : std::next(it);
  } else if (type == "FRAMEWORK_ADDED" || type == "FRAMEWORK_UPDATED") {
    const json& f = member(member(e, type == "FRAMEWORK_ADDED" ? "framework_added" : "framework_updated"), "framework");
    frameworks_[id_of(member(f, "framework_info"), "id")] = f;
  } else if (type == "FRAMEWORK_REMOVED") {
    const std::string fid = id_of(member(member(e, "framework_removed"), "framework_info"), "id");
    frameworks_.erase(fid);
    for (auto it = tasks_.begin(); it != tasks_.end();) it = it->first.first == fid ? tasks_.erase(it) : std::next(it);
  }
}

json SimState::subscribed(double heartbeat) const {
  json fw = json::array(), ag = json::array(), tasks = json::array();
  for (const auto& [k, f] : frameworks_) fw.push_back(f);
  for (const auto& [k, a] : agents_) ag.push_back(a);
  for (const auto& [k, t] : tasks_) {
    json copy = t;
    copy.erase("sim_ips");  // the simulator's own notes
    copy.erase("sim_network_name");
    tasks.push_back(std::move(copy));
  }
  json state = {{"get_frameworks", {{"frameworks", fw}}},
                {"get_agents", {{"agents", ag}}},
                {"get_tasks", {{"tasks", tasks}}},
                {"get_executors", json::object()}};
  json sub = {{"get_state", state}};
  if (heartbeat > 0) sub["heartbeat_interval_seconds"] = heartbeat;
  return json{{"type", "SUBSCRIBED"}, {"subscribed", sub}};
}

json SimState::status_for(const json& task, const std::string& state, const json& healthy) {
  clock_ += 0.001;
  json st = {{"task_id", task["task_id"]},
             {"agent_id", task["agent_id"]},
             {"state", state},
             {"source", "SOURCE_EXECUTOR"},
             {"timestamp", clock_}};
  if (healthy.is_boolean()) st["healthy"] = healthy;
  const json& ips = member(task, "sim_ips");
  if (ips.is_array() && !ips.empty()) {
    json addrs = json::array();
    for (const json& ip : ips)
      addrs.push_back(
          {{"protocol", ip.get<std::string>().find(':') == std::string::npos ? "IPv4" : "IPv6"}, {"ip_address", ip}});
    json ni = {{"ip_addresses", addrs}};
    if (member(task, "sim_network_name").is_string()) ni["name"] = task["sim_network_name"];
    st["container_status"] = {{"network_infos", json::array({ni})}};
  }
  return st;
}

std::vector<json> SimState::add_task(const json& r) {
  const std::string fid = required(r, "framework_id"), tid = required(r, "task_id"), aid = required(r, "agent_id");
  if (tasks_.count({fid, tid})) throw std::invalid_argument("task " + fid + "/" + tid + " exists");
  const std::string state = member(r, "state").is_string() ? r["state"].get<std::string>() : "TASK_RUNNING";
  const std::string network = member(r, "network").is_string() ? r["network"].get<std::string>() : "host";
  const std::string net_name = member(r, "network_name").is_string() ? r["network_name"].get<std::string>() : "dcos";
  json task = {{"name", member(r, "name").is_string() ? r["name"].get<std::string>() : tid},
               {"task_id", id(tid)},
               {"framework_id", id(fid)},
               {"agent_id", id(aid)},
               {"state", "TASK_STAGING"},
               {"resources", json::array()}};
  json ports = json::array();
  for (const json& p : member(r, "ports").is_array() ? r["ports"] : json::array()) {
    json port = {{"number", member(p, "number").is_number() ? p["number"] : json(0)},
                 {"name", member(p, "name").is_string() ? p["name"] : json("default")},
                 {"protocol", member(p, "protocol").is_string() ? p["protocol"] : json("tcp")}};
    const std::string scope = member(p, "scope").is_string() ? p["scope"].get<std::string>()
                              : network == "container"       ? "container"
                                                             : "host";
    json labels = json::array({{{"key", "network-scope"}, {"value", scope}}});
    if (scope == "container") labels.push_back({{"key", "network-name"}, {"value", net_name}});
    port["labels"] = {{"labels", labels}};
    ports.push_back(port);
  }
  task["discovery"] = {{"visibility", "FRAMEWORK"}, {"name", task["name"]}, {"ports", {{"ports", ports}}}};
  json mappings = json::array();
  for (const json& m : member(r, "port_mappings").is_array() ? r["port_mappings"] : json::array())
    mappings.push_back({{"host_port", m.value("host_port", 0)},
                        {"container_port", m.value("container_port", 0)},
                        {"protocol", m.value("protocol", "tcp")}});
  json container = {{"type", "MESOS"}, {"mesos", json::object()}};
  if (network == "bridge")
    container["network_infos"] = json::array({{{"name", "mesos-bridge"}, {"port_mappings", mappings}}});
  else if (network == "container")
    container["network_infos"] = json::array({{{"name", net_name}}});
  task["container"] = container;
  if (member(r, "health_check").is_boolean() && r["health_check"].get<bool>())
    task["health_check"] = {{"type", "TCP"}, {"tcp", {{"port", 0}}}};
  // The simulator's own notes (not Mesos fields) for later status updates.
  task["sim_ips"] = member(r, "ips").is_array() ? r["ips"] : json::array();
  if (network == "container" || network == "bridge")
    task["sim_network_name"] = network == "bridge" ? "mesos-bridge" : net_name;
  if (!agents_.count(aid)) throw std::invalid_argument("unknown agent " + aid);
  if (!frameworks_.count(fid)) throw std::invalid_argument("unknown framework " + fid);
  tasks_[{fid, tid}] = task;
  json added = task;
  added.erase("sim_ips");
  added.erase("sim_network_name");
  std::vector<json> out{{{"type", "TASK_ADDED"}, {"task_added", {{"task", added}}}}};
  for (json& e : update_task(json{{"framework_id", fid}, {"task_id", tid}, {"healthy", member(r, "healthy")}}, state))
    out.push_back(std::move(e));
  return out;
}

std::vector<json> SimState::update_task(const json& r, const std::string& state_in) {
  const std::string fid = required(r, "framework_id"), tid = required(r, "task_id");
  auto it = tasks_.find({fid, tid});
  if (it == tasks_.end()) throw std::invalid_argument("unknown task " + fid + "/" + tid);
  json& task = it->second;
  if (member(r, "ips").is_array()) task["sim_ips"] = r["ips"];
  std::string state = state_in.empty() ? (member(r, "state").is_string() ? r["state"].get<std::string>()
                                                                         : task["state"].get<std::string>())
                                       : state_in;
  json healthy = member(r, "healthy");
  if (!healthy.is_boolean()) {  // keep reporting the last health
    const json& sts = member(task, "statuses");
    if (sts.is_array() && !sts.empty()) healthy = member(sts.back(), "healthy");
  }
  json st = status_for(task, state, healthy);
  if (terminal(state)) {
    tasks_.erase(it);
    for (auto& [app, ids] : app_tasks_) std::erase(ids, tid);
  } else {
    task["state"] = state;
    task["statuses"].push_back(st);
  }
  return {{{"type", "TASK_UPDATED"}, {"task_updated", {{"framework_id", id(fid)}, {"status", st}, {"state", state}}}}};
}

std::vector<json> SimState::scale(const json& r) {
  const std::string fid = required(r, "framework_id"), app = required(r, "app_id");
  const json& inst = member(r, "instances");
  if (!inst.is_number_integer() || inst.get<int64_t>() < 0 || inst.get<int64_t>() > 1000000)
    throw std::invalid_argument("\"instances\" must be an integer in [0, 1000000]");
  const size_t want = inst.get<size_t>();
  std::vector<std::string> agents;
  for (const json& a : member(r, "agents").is_array() ? r["agents"] : json::array())
    agents.push_back(a.get<std::string>());
  if (agents.empty())
    for (const auto& [aid, a] : agents_) agents.push_back(aid);
  if (agents.empty()) throw std::invalid_argument("no agents to place tasks on");
  for (const auto& a : agents)
    if (!agents_.count(a)) throw std::invalid_argument("unknown agent " + a);
  if (!frameworks_.count(fid)) throw std::invalid_argument("unknown framework " + fid);
  std::string safe = app.substr(app[0] == '/' ? 1 : 0);
  for (char& c : safe)
    if (c == '/') c = '_';
  auto& ids = app_tasks_[fid + " " + app];
  std::vector<json> out;
  while (ids.size() < want) {
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(next_uuid_++));
    const std::string tid = safe + "." + uuid;
    json t = r;
    t["task_id"] = tid;
    t["name"] = safe;
    t["agent_id"] = agents[ids.size() % agents.size()];
    const uint32_t base = member(r, "port").is_number_integer() ? r["port"].get<uint32_t>() : 0;
    const bool container = member(r, "network").is_string() && r["network"] == "container";
    if (base) {
      // Host networking: a distinct host port per task on the same agent; container: the same port.
      const uint32_t number = container ? base : base + static_cast<uint32_t>(ids.size() / agents.size());
      t["ports"] = json::array({{{"number", number}, {"name", r.value("port_name", "http")}}});
    }
    if (container && !member(r, "ips").is_array()) {
      const size_t n = ids.size() + 1;  // 198.19.x.y: the benchmarking range
      t["ips"] = json::array({"198.19." + std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255)});
    }
    for (json& e : add_task(t)) out.push_back(std::move(e));
    ids.push_back(tid);
  }
  while (ids.size() > want) {  // newest first, as Marathon's default kill selection; update_task drops it from ids
    const std::string tid = ids.back();
    for (json& e : update_task(json{{"framework_id", fid}, {"task_id", tid}}, "TASK_KILLED"))
      out.push_back(std::move(e));
  }
  return out;
}

std::vector<json> SimState::op(const json& r) {
  if (!r.is_object()) throw std::invalid_argument("an operation is a JSON object with \"op\"");
  const std::string op = required(r, "op");  // "after_ms" (scenarios) is not the state's business
  std::vector<json> out;
  if (op == "add_framework") {
    json f = {{"framework_info", {{"id", id(required(r, "id"))}, {"name", required(r, "name")}, {"user", "root"}}},
              {"active", true},
              {"connected", true}};
    out.push_back({{"type", "FRAMEWORK_ADDED"}, {"framework_added", {{"framework", f}}}});
  } else if (op == "remove_framework") {
    auto it = frameworks_.find(required(r, "id"));
    if (it == frameworks_.end()) throw std::invalid_argument("unknown framework " + r["id"].get<std::string>());
    out.push_back(
        {{"type", "FRAMEWORK_REMOVED"}, {"framework_removed", {{"framework_info", it->second["framework_info"]}}}});
  } else if (op == "add_agent") {
    const std::string host = required(r, "hostname");
    const int port = member(r, "port").is_number_integer() ? r["port"].get<int>() : 5051;
    json a = {{"agent_info", {{"id", id(required(r, "id"))}, {"hostname", host}, {"port", port}}},
              {"active", true},
              {"pid", "slave(1)@" + host + ":" + std::to_string(port)},
              {"version", "1.11.0"}};
    out.push_back({{"type", "AGENT_ADDED"}, {"agent_added", {{"agent", a}}}});
  } else if (op == "remove_agent") {
    const std::string aid = required(r, "id");
    if (!agents_.count(aid)) throw std::invalid_argument("unknown agent " + aid);
    out.push_back({{"type", "AGENT_REMOVED"}, {"agent_removed", {{"agent_id", id(aid)}}}});
  } else if (op == "add_task") {
    return add_task(r);
  } else if (op == "update_task") {
    return update_task(r, "");
  } else if (op == "kill_task") {
    return update_task(r, "TASK_KILLED");
  } else if (op == "scale") {
    return scale(r);
  } else if (op == "event") {
    if (!member(r, "event").is_object()) throw std::invalid_argument("\"event\" (object) is required");
    out.push_back(r["event"]);
  } else {
    throw std::invalid_argument("unknown op \"" + op + "\"");
  }
  for (const json& e : out) apply(e);
  return out;
}

}  // namespace edgelb::mesos_sim
