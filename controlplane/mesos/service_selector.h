// Edge-LB's service selection, applied to the live model: which tasks a pool backend's
// `services[]` entry selects, and the address:port endpoints it turns them into.
//
// Selection (all given criteria must hold):
//   marathon.serviceID / serviceIDPattern      the app/pod id recovered from the task id
//   marathon.containerName / ...Pattern        the pod container; pod tasks need one of these
//   mesos.frameworkName / ...Pattern, frameworkID / ...Pattern, taskName / ...Pattern, taskID / ...Pattern
// Patterns are PCRE2, unanchored (as Edge-LB's Go regexp.MatchString). serviceID is compared
// with a leading '/' added when missing.
// Endpoints (endpoint.type, default AUTO_IP):
//   AGENT_IP      the agent's IP (or host name) and the host port
//   CONTAINER_IP  each container IP (IPv4 and IPv6) and the container port
//   AUTO_IP       per port: CONTAINER_IP when the port lives on a virtual network (its
//                 network-scope label says container; without the label, the task is on a
//                 virtual network), else AGENT_IP
//   ADDRESS       endpoint.address and the port as given. Without a marathon/mesos selector it
//                 is one fixed server (an external host or DNS name), always ready.
// Ports: endpoint.port (as given), endpoint.portName (the discovery port of that name) or
// endpoint.allPorts (every discovery port). Host and container port numbers are translated
// through the task's port mappings where the address kind needs the other one.
// Protocol: the selector serves one L4 protocol ("tcp" for HAProxy backends, the VIP's for
// fastPath VIPs); discovery ports of other protocols are skipped ("udp,tcp" serves both), and
// one task yields each (address, port) once.
// Only ready tasks (running, and healthy when health-checked) unless include_not_ready.
// Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mesos/mesos_model.h"
#include "pool/pool_model.h"
#include "pool/regex_check.h"

namespace edgelb::mesos {

using cp::endpoint_type_name;
using cp::EndpointType;

struct Endpoint {
  std::string address;  // IPv4, IPv6 (no brackets) or a host name
  uint32_t port = 0;
  bool ipv6 = false;
  EndpointType type = EndpointType::kAgentIp;  // what AUTO_IP resolved to
  std::string protocol = "tcp";                // "tcp" or "udp"
  std::string framework_id, task_id, task_name, app_id, container_name, agent_id, port_name;
  bool ready = false;
  bool operator==(const Endpoint&) const = default;
};

class ServiceSelector {
 public:
  // `spec` is one services[] entry of a pool model; `protocol` is "tcp" or "udp". Throws
  // std::invalid_argument naming the field when a pattern does not compile.
  explicit ServiceSelector(const cp::ServiceSelectorSpec& spec, std::string protocol = "tcp");
  // The same from a services[] entry's JSON (cp::selector_from_json).
  explicit ServiceSelector(const nlohmann::json& service, std::string protocol = "tcp");

  bool selects(const Task& t, const ModelView& view) const;
  std::vector<Endpoint> endpoints(const ModelView& view, bool include_not_ready = false) const;
  // Endpoints of one task (selected or not).
  void task_endpoints(const Task& t, const ModelView& view, std::vector<Endpoint>* out) const;

 private:
  struct Match {
    std::optional<std::string> exact;
    std::optional<cp::Pcre2Pattern> pattern;
    bool given() const { return exact || pattern; }
    bool operator()(const std::string& value) const;
  };
  cp::ServiceSelectorSpec spec_;
  Match service_id_, container_name_, framework_name_, framework_id_, task_name_, task_id_;
  std::string protocol_;
};

}  // namespace edgelb::mesos
