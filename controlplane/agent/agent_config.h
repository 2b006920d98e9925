// edgelb-agent's configuration file (YAML), one per appliance node. docs/agent.md shows a
// complete example. Every field but zookeeper.connect has a default; unknown keys are errors
// (a typo must not silently fall back to a default).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/client.h"
#include "haproxy/process_settings.h"

namespace edgelb::cp {

struct AgentConfig {
  // node: what placement (role, constraints) sees.
  std::string node_name;                           // default: the host name
  std::string node_address;                        // where clients reach this node; default: node_name
  std::vector<std::string> roles{"slave_public"};  // Mesos roles served ("*": private agents)
  std::map<std::string, std::string> attributes;   // for constraints (rack:CLUSTER:r1, ...)

  // zookeeper: where pools, templates, secrets and instance claims live.
  std::string zk_connect;
  std::string zk_root = "/edgelb";
  std::string zk_digest_file;  // "user:password"; "" = no ACL
  std::chrono::milliseconds zk_session_timeout{10000};

  // apiserver: the mesos-listener's endpoints (Watch + Endpoints).
  ApiConnection apiserver;

  std::string secret_key_file;  // decrypts secrets and autoCertificate keys (the apiserver's key)
  std::string state_dir = "/var/lib/edgelb-agent";

  // haproxy: the lbmgr.
  std::string haproxy_binary = "haproxy";
  std::chrono::milliseconds min_reload_interval{500};          // reloads at most this often (coalesced)
  std::string hard_stop_after = "30m";                         // old workers' grace after a reload
  std::chrono::milliseconds drain_timeout{10000};              // removed servers drain this long, then maint
  uint32_t port_range_first = 10000, port_range_last = 10999;  // for bindPort 0
  bool stop_haproxy_on_exit = true;                            // false: HAProxy keeps serving across agent restarts
  haproxy::ConnectionLimits haproxy_limits;  // maxconn, frontend_maxconn, backlog; 0 = derived at start
  haproxy::TlsDefaults tls;                  // frontends that terminate TLS
  haproxy::AccessLogSettings access_log;     // where every instance's access log goes

  std::string metrics_listen;  // host:port for Prometheus /metrics; "" = off

  // dataplane: the node's edgelb-dataplane (its control.socket). "" = no fast path: the agent
  // runs HAProxy only. With it the agent owns the dataplane's service table (fastpath_plan.h).
  std::string dataplane_socket;
  bool health_checks = true;  // run fastPath.vips[].healthCheck from this host

  // Throws std::runtime_error("<file>: <key>: <reason>").
  static AgentConfig from_file(const std::string& path);
  static AgentConfig from_yaml(const std::string& text, const std::string& origin = "config");
};

}  // namespace edgelb::cp
