// A read-only, typed view of a validated pool configuration (Edge-LB V2 + edgelb's fastPath
// and Edge-LB's cloudProvider): what every reader of a pool uses instead of walking the JSON —
// the mesos-listener's Endpoints, the store's summaries, edgelbctl, and the agent that renders
// HAProxy and programs the fast path. Defaults are applied here, once, as the schema states
// them (pool_schema.cc): role slave_public, frontend names frontend_<address>_<port>, endpoint
// type AUTO_IP, VIP protocol TCP and forwarding DSR, GUE port 6080, stats port 9090.
//
// from_json() expects a document that passed validate_pool(); on anything else it throws
// std::invalid_argument naming the field, never reads out of bounds. The model is a plain
// value: copies are independent; thread-safe for concurrent reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgelb::cp {

// Client-to-HAProxy (frontends) and HAProxy-to-server (backends) protocol.
enum class PoolProtocol { kHttp, kHttps, kTcp, kTls };
const char* pool_protocol_name(PoolProtocol p);  // "HTTP", ...
// The HAProxy proxy mode a protocol implies: "http" for HTTP/HTTPS, "tcp" for TCP/TLS.
const char* haproxy_mode(PoolProtocol p);

// An exact value or a PCRE2 pattern (unanchored); neither when not given.
struct Match {
  std::optional<std::string> exact, pattern;
  bool given() const { return exact || pattern; }
  bool operator==(const Match&) const = default;
};

enum class EndpointType { kAutoIp, kAgentIp, kContainerIp, kAddress };
const char* endpoint_type_name(EndpointType t);  // "AUTO_IP", ...

// haproxy.backends[].services[] (and fastPath.vips[].services[]): which tasks, and how to
// reach them.
struct ServiceSelectorSpec {
  Match service_id;      // marathon.serviceID / serviceIDPattern (serviceID with a leading '/')
  Match container_name;  // marathon.containerName / containerNamePattern
  Match framework_name, framework_id, task_name, task_id;  // mesos.*
  EndpointType type = EndpointType::kAutoIp;
  std::string address;           // type ADDRESS
  std::optional<uint32_t> port;  // endpoint.port
  std::string port_name;         // endpoint.portName
  bool all_ports = false;        // endpoint.allPorts
  std::string misc;              // endpoint.miscStr (appended to the server line)
  uint32_t weight = 1;           // the `weight N` in misc (server_weight.h), else HAProxy's 1
  std::optional<bool> check_enabled;
  std::string check_custom;  // endpoint.check.customStr
  bool marathon() const { return service_id.given() || container_name.given(); }
  bool selects_tasks() const {
    return marathon() || framework_name.given() || framework_id.given() || task_name.given() || task_id.given();
  }
  // ADDRESS without a selector: one fixed server.
  bool fixed_address() const { return type == EndpointType::kAddress && !selects_tasks(); }
  bool operator==(const ServiceSelectorSpec&) const = default;
};

struct LinkRule {  // linkBackend.map[]: every given condition must hold
  std::string backend;
  std::optional<std::string> host_eq, host_reg, path_beg, path_end, path_reg;
  bool operator==(const LinkRule&) const = default;
};

struct RedirectException {  // redirectToHttps.except[]
  std::optional<std::string> host, path_beg;
  bool operator==(const RedirectException&) const = default;
};

struct Frontend {
  std::string name;          // given, or frontend_<bindAddress|0.0.0.0>_<bindPort>
  std::string bind_address;  // "" = all addresses
  uint32_t bind_port = 0;    // 0: allocated
  std::string bind_modifier;
  std::vector<std::string> certificates;  // $AUTOCERT, $SECRETS/<file>, $ENVFILE/<name>
  PoolProtocol protocol = PoolProtocol::kHttp;
  bool redirect_to_https = false;
  std::vector<RedirectException> redirect_except;
  std::vector<std::string> misc;  // miscStrs
  std::string default_backend;    // "" when only map rules
  std::vector<LinkRule> rules;    // in order
  bool operator==(const Frontend&) const = default;
};

struct RewriteHttp {
  std::optional<std::string> host;
  std::optional<std::string> from_path, to_path;  // both or neither
  std::optional<bool> forwardfor, x_forwarded_port, x_forwarded_proto_https_if_tls, set_host_header, rewrite_path;
  std::optional<bool> rewrite_location;
  bool sticky = false;  // rewriteHttp.sticky given (and not enabled: false)
  std::string sticky_custom;
  bool operator==(const RewriteHttp&) const = default;
};

struct CustomCheck {
  bool httpchk = false;
  std::string httpchk_misc;
  bool ssl_hello = false;
  std::string misc;
  bool operator==(const CustomCheck&) const = default;
};

struct Backend {
  std::string name;
  PoolProtocol protocol = PoolProtocol::kHttp;
  std::string balance;  // "" = HAProxy's default (roundrobin)
  std::optional<CustomCheck> custom_check;
  std::vector<std::string> misc;  // miscStrs
  std::optional<RewriteHttp> rewrite_http;
  std::vector<ServiceSelectorSpec> services;
  bool operator==(const Backend&) const = default;
};

enum class VipProtocol { kTcp, kUdp };
enum class Forwarding { kDsr, kIpip, kGue, kNat };
const char* forwarding_name(Forwarding f);  // "DSR", ...

struct VipHealthCheck {
  enum class Type { kTcp, kHttp, kNone } type = Type::kTcp;
  std::optional<uint32_t> port;  // default: the backend's port
  std::string path = "/";
  uint32_t interval_s = 5, timeout_s = 2, healthy_threshold = 2, unhealthy_threshold = 3;
  bool operator==(const VipHealthCheck&) const = default;
};

struct FastPathVip {
  std::string name;  // given, or <pool>-<address>-<port>-<protocol>
  std::string address;
  uint32_t port = 0;
  VipProtocol protocol = VipProtocol::kTcp;
  Forwarding forwarding = Forwarding::kDsr;
  std::string backend;                        // an haproxy backend's name, or ""
  std::vector<ServiceSelectorSpec> services;  // its own selectors (when backend is "")
  uint32_t gue_port = 6080;
  std::optional<uint32_t> mss_clamp;
  std::optional<VipHealthCheck> health_check;
  bool operator==(const FastPathVip&) const = default;
};

struct CloudLoadBalancer {  // cloudProvider.aws.elbs[]: accepted, not provisioned
  std::string name, type;
  bool internal = false;
  std::vector<std::string> subnets, elastic_ips;
  std::vector<std::pair<uint32_t, std::string>> listeners;  // port -> frontend name
  std::vector<std::pair<std::string, std::string>> tags;
  bool operator==(const CloudLoadBalancer&) const = default;
};

struct PoolModel {
  std::string name;
  std::string role = "slave_public";
  std::optional<int64_t> count;
  std::string constraints;
  std::optional<uint32_t> stats_port;  // haproxy.stats.bindPort (nullopt: no haproxy block)
  std::string stats_address;
  bool auto_certificate = false;
  std::vector<std::pair<std::string, std::string>> secrets;  // secret name -> file
  // environmentVariables: every variable, and the ELB_FILE_<X> ones, whose values are the
  // contents of the files $ENVFILE/ELB_FILE_<X> names.
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> env_files() const;
  std::vector<Frontend> frontends;
  std::vector<Backend> backends;
  std::vector<FastPathVip> vips;
  std::vector<CloudLoadBalancer> cloud_load_balancers;

  static PoolModel from_json(const nlohmann::json& pool);

  const Backend* backend(const std::string& name) const;  // nullptr when absent
  // The selectors that feed a VIP: its own, or those of the backend it names.
  const std::vector<ServiceSelectorSpec>& vip_services(const FastPathVip& vip) const;
  bool operator==(const PoolModel&) const = default;
};

// One selector from its JSON (a services[] entry), for callers that hold a lone selector.
ServiceSelectorSpec selector_from_json(const nlohmann::json& service);

}  // namespace edgelb::cp
