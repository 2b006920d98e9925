#include "mesos/service_selector.h"

#include <stdexcept>

namespace edgelb::mesos {
namespace {

using json = nlohmann::json;

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

ServiceSelector::ServiceSelector(const json& service, std::string protocol)
    : ServiceSelector(cp::selector_from_json(service), std::move(protocol)) {}

ServiceSelector::ServiceSelector(const cp::ServiceSelectorSpec& spec, std::string protocol)
    : spec_(spec), protocol_(std::move(protocol)) {
  if (protocol_ != "tcp" && protocol_ != "udp")
    throw std::invalid_argument("protocol must be tcp or udp, got " + protocol_);
  auto compile = [](const cp::Match& given, const std::string& where) {
    Match m;
    m.exact = given.exact;
    if (given.pattern) {
      try {
        m.pattern.emplace(*given.pattern);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(where + ": " + e.what());
      }
    }
    return m;
  };
  service_id_ = compile(spec.service_id, "marathon.serviceIDPattern");
  container_name_ = compile(spec.container_name, "marathon.containerNamePattern");
  framework_name_ = compile(spec.framework_name, "mesos.frameworkNamePattern");
  framework_id_ = compile(spec.framework_id, "mesos.frameworkIDPattern");
  task_name_ = compile(spec.task_name, "mesos.taskNamePattern");
  task_id_ = compile(spec.task_id, "mesos.taskIDPattern");
}

bool ServiceSelector::selects(const Task& t, const ModelView& view) const {
  if (spec_.fixed_address()) return false;
  if (spec_.marathon()) {
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
  if (spec_.port) {
    ports.push_back({*spec_.port, "", on_virtual_network});
  } else {
    for (const DiscoveryPort& p : t.ports)
      if ((spec_.all_ports || p.name == spec_.port_name) && p.number != 0 && serves_protocol(p.protocol, protocol_))
        ports.push_back({p.number, p.name, p.container_scope || (!p.scope_labelled && on_virtual_network)});
  }
  const size_t first = out->size();
  const Agent* agent = view.agent(t.agent_id);
  for (const PortRef& p : ports) {
    EndpointType kind = spec_.type;
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
        if (p.container_scope && !spec_.port) port = map_port(t, p.number, /*from_container=*/true);
        if (port) emit(agent->address(), *port);
        break;
      }
      case EndpointType::kContainerIp: {
        uint32_t port = p.number;
        if (!p.container_scope) port = map_port(t, p.number, /*from_container=*/false).value_or(p.number);
        for (const std::string& ip : t.ip_addresses) emit(ip, port);
        break;
      }
      case EndpointType::kAddress: emit(spec_.address, p.number); break;
      case EndpointType::kAutoIp: break;
    }
  }
}

std::vector<Endpoint> ServiceSelector::endpoints(const ModelView& view, bool include_not_ready) const {
  std::vector<Endpoint> out;
  if (spec_.fixed_address()) {
    Endpoint e;
    e.address = spec_.address;
    e.port = *spec_.port;
    e.ipv6 = spec_.address.find(':') != std::string::npos;
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
