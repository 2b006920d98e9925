#include "mesos/service_selector.h"

#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::mesos {
namespace {

using json = nlohmann::json;

std::optional<std::string> opt_string(const json& j, const char* key, const std::string& where) {
  const json& v = member(j, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) throw std::invalid_argument(where + "." + key + ": must be a string");
  return v.get<std::string>();
}

// A port the endpoint kind resolves: number, its name, and whether it is a container port.
struct PortRef {
  uint32_t number;
  std::string name;
  bool container_scope;
};

std::optional<uint32_t> map_port(const Task& t, uint32_t number, bool from_container) {
  for (const PortMapping& m : t.port_mappings) {
    if (from_container && m.container_port == number && m.host_port) return m.host_port;
    if (!from_container && m.host_port == number && m.container_port) return m.container_port;
  }
  return std::nullopt;
}

}  // namespace

const char* endpoint_type_name(EndpointType t) {
  switch (t) {
    case EndpointType::kAutoIp: return "AUTO_IP";
    case EndpointType::kAgentIp: return "AGENT_IP";
    case EndpointType::kContainerIp: return "CONTAINER_IP";
    case EndpointType::kAddress: return "ADDRESS";
  }
  return "AUTO_IP";
}

bool ServiceSelector::Match::operator()(const std::string& value) const {
  if (exact) return value == *exact;
  if (pattern) return pattern->search(value);
  return true;
}

// A discovery port's protocol field may list several ("udp,tcp").
bool serves_protocol(const std::string& listed, const std::string& protocol) {
  size_t at = 0;
  while (at <= listed.size()) {
    size_t end = listed.find(',', at);
    if (end == std::string::npos) end = listed.size();
    if (listed.compare(at, end - at, protocol) == 0) return true;
    at = end + 1;
  }
  return false;
}

ServiceSelector::ServiceSelector(const json& s, std::string protocol) : protocol_(std::move(protocol)) {
  if (protocol_ != "tcp" && protocol_ != "udp")
    throw std::invalid_argument("protocol must be tcp or udp, got " + protocol_);
  auto read = [](const json& obj, const char* exact, const char* pattern, const std::string& where) {
    Match m;
    m.exact = opt_string(obj, exact, where);
    if (auto p = opt_string(obj, pattern, where)) {
      try {
        m.pattern.emplace(*p);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(where + "." + pattern + ": " + e.what());
      }
    }
    return m;
  };
  const json& marathon = member(s, "marathon");
  const json& mesos = member(s, "mesos");
  service_id_ = read(marathon, "serviceID", "serviceIDPattern", "marathon");
  if (service_id_.exact && (service_id_.exact->empty() || (*service_id_.exact)[0] != '/'))
    service_id_.exact = "/" + *service_id_.exact;
  container_name_ = read(marathon, "containerName", "containerNamePattern", "marathon");
  marathon_ = service_id_.given() || container_name_.given();
  framework_name_ = read(mesos, "frameworkName", "frameworkNamePattern", "mesos");
  framework_id_ = read(mesos, "frameworkID", "frameworkIDPattern", "mesos");
  task_name_ = read(mesos, "taskName", "taskNamePattern", "mesos");
  task_id_ = read(mesos, "taskID", "taskIDPattern", "mesos");
  const bool selects_tasks =
      marathon_ || framework_name_.given() || framework_id_.given() || task_name_.given() || task_id_.given();

  const json& ep = member(s, "endpoint");
  const std::string type = opt_string(ep, "type", "endpoint").value_or("AUTO_IP");
  if (type == "AUTO_IP")
    type_ = EndpointType::kAutoIp;
  else if (type == "AGENT_IP")
    type_ = EndpointType::kAgentIp;
  else if (type == "CONTAINER_IP")
    type_ = EndpointType::kContainerIp;
  else if (type == "ADDRESS")
    type_ = EndpointType::kAddress;
  else
    throw std::invalid_argument("endpoint.type: unknown type \"" + type + "\"");
  address_ = opt_string(ep, "address", "endpoint").value_or("");
  if (type_ == EndpointType::kAddress && address_.empty())
    throw std::invalid_argument("endpoint.address: required with type ADDRESS");
  const json& port = member(ep, "port");
  if (port.is_number_integer()) {
    const int64_t n = port.get<int64_t>();
    if (n < 0 || n > 65535) throw std::invalid_argument("endpoint.port: out of range");
    port_ = static_cast<uint32_t>(n);
  }
  port_name_ = opt_string(ep, "portName", "endpoint").value_or("");
  all_ports_ = member(ep, "allPorts").is_boolean() && ep["allPorts"].get<bool>();
  if (!port_ && port_name_.empty() && !all_ports_)
    throw std::invalid_argument("endpoint: needs one of port, portName, allPorts");
  if (!selects_tasks) {
    if (type_ != EndpointType::kAddress) throw std::invalid_argument("needs a marathon or mesos selector");
    if (!port_) throw std::invalid_argument("endpoint.port: required with type ADDRESS and no selector");
    fixed_address_ = true;
  }
}

bool ServiceSelector::selects(const Task& t, const ModelView& view) const {
  if (fixed_address_) return false;
  if (marathon_) {
    if (t.app_id.empty() || !service_id_(t.app_id)) return false;
    // A pod's tasks are its containers: Edge-LB requires naming the container.
    if (!t.container_name.empty() && !container_name_.given()) return false;
    if (container_name_.given() && !container_name_(t.container_name)) return false;
  }
  if (framework_name_.given()) {
    const Framework* f = view.framework(t.framework_id);
    if (!f || !framework_name_(f->name)) return false;
  }
  return framework_id_(t.framework_id) && task_name_(t.name) && task_id_(t.task_id);
}

void ServiceSelector::task_endpoints(const Task& t, const ModelView& view, std::vector<Endpoint>* out) const {
  const bool on_virtual_network = t.network == NetworkMode::kContainer;
  std::vector<PortRef> ports;
  if (port_) {
    ports.push_back({*port_, "", on_virtual_network});
  } else {
    for (const DiscoveryPort& p : t.ports)
      if ((all_ports_ || p.name == port_name_) && p.number != 0 && serves_protocol(p.protocol, protocol_))
        ports.push_back({p.number, p.name, p.container_scope || (!p.scope_labelled && on_virtual_network)});
  }
  const size_t first = out->size();
  const Agent* agent = view.agent(t.agent_id);
  for (const PortRef& p : ports) {
    EndpointType kind = type_;
    if (kind == EndpointType::kAutoIp) kind = p.container_scope ? EndpointType::kContainerIp : EndpointType::kAgentIp;
    Endpoint e;
    e.type = kind;
    e.framework_id = t.framework_id;
    e.task_id = t.task_id;
    e.task_name = t.name;
    e.app_id = t.app_id;
    e.container_name = t.container_name;
    e.agent_id = t.agent_id;
    e.port_name = p.name;
    e.ready = t.ready();
    e.protocol = protocol_;
    auto emit = [&](const std::string& address, uint32_t port) {
      for (size_t i = first; i < out->size(); ++i)
        if ((*out)[i].address == address && (*out)[i].port == port) return;  // the same port listed twice
      Endpoint x = e;
      x.address = address;
      x.port = port;
      x.ipv6 = address.find(':') != std::string::npos;
      out->push_back(std::move(x));
    };
    switch (kind) {
      case EndpointType::kAgentIp: {
        if (!agent || agent->address().empty()) break;  // agent not known (yet)
        std::optional<uint32_t> port = p.number;
        if (p.container_scope && !port_) port = map_port(t, p.number, /*from_container=*/true);
        if (port) emit(agent->address(), *port);
        break;
      }
      case EndpointType::kContainerIp: {
        uint32_t port = p.number;
        if (!p.container_scope) port = map_port(t, p.number, /*from_container=*/false).value_or(p.number);
        for (const std::string& ip : t.ip_addresses) emit(ip, port);
        break;
      }
      case EndpointType::kAddress: emit(address_, p.number); break;
      case EndpointType::kAutoIp: break;
    }
  }
}

std::vector<Endpoint> ServiceSelector::endpoints(const ModelView& view, bool include_not_ready) const {
  std::vector<Endpoint> out;
  if (fixed_address_) {
    Endpoint e;
    e.address = address_;
    e.port = *port_;
    e.ipv6 = address_.find(':') != std::string::npos;
    e.type = EndpointType::kAddress;
    e.protocol = protocol_;
    e.ready = true;
    out.push_back(std::move(e));
    return out;
  }
  for (const auto& t : view.tasks)
    if ((include_not_ready || t->ready()) && selects(*t, view)) task_endpoints(*t, view, &out);
  return out;
}

}  // namespace edgelb::mesos
