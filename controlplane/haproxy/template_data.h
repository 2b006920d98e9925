// The data model every HAProxy template renders from — the default template and the custom
// per-pool templates (`edgelbctl template put`) alike. It is the pool model with Edge-LB's
// semantics already worked out (names, modes, ACLs, rewrite directives, server lines), plus
// the instance's paths; docs/agent.md documents every field. Values that came from the pool
// are already written as HAProxy words (haproxy_words.h): a template pastes them verbatim.
//
// Pure (no I/O) and deterministic: equal inputs give equal JSON. Throws std::invalid_argument
// naming the pool field for a value that cannot be written (validated pools have none).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "haproxy/process_settings.h"
#include "haproxy/server_slots.h"
#include "pool/pool_model.h"

namespace edgelb::haproxy {

// Where one pool instance keeps its files, and its process-wide settings.
struct RenderSettings {
  std::string config_path;        // haproxy.cfg (served on /_haproxy_getconfig)
  std::string stats_socket;       // the runtime API at admin level: the agent's alone (mode 600)
  std::string server_state_file;  // written before each reload, read by the new worker
  std::string getconfig_lua;      // kGetConfigLua
  std::string secrets_dir;        // $SECRETS/<file>
  std::string envfile_dir;        // $ENVFILE/<name>
  std::string autocert_path;      // $AUTOCERT (certificate and key, PEM)
  // How long old workers may finish their connections after a reload (WebSockets, downloads).
  std::string hard_stop_after = "30m";
  ConnectionLimits limits;  // fields left 0: no line, HAProxy's own default
  TlsDefaults tls;          // frontends that terminate TLS
  std::string log_target;   // the access log's `log` target (log_target()); "" = none
  // Ports given to binds the pool leaves at 0: "haproxy.stats", "haproxy.frontends[<i>]".
  std::map<std::string, uint32_t> allocated_ports;
  // Frontend listeners HAProxy inherits from the agent (haproxy/listeners.h), by bind
  // ("0.0.0.0:80"): rendered `bind fd@<n>` instead of the address.
  std::map<std::string, int> inherited_fds;

  // The layout of one instance directory: <dir>/haproxy.cfg, <dir>/getconfig.lua,
  // <dir>/run/{stats.sock,server-state}, <dir>/secrets/<file>, <dir>/autocert.pem,
  // <dir>/envfiles/<name>.
  static RenderSettings under(const std::string& dir);
};

// The Lua service behind /_haproxy_getconfig, to be written at RenderSettings::getconfig_lua.
extern const char* const kGetConfigLua;

// The options of a server of services[] entry `spec` of backend `b`, after its address: checks,
// TLS to the server, the sticky cookie (when `cookie` is not ""), endpoint.miscStr. What a
// server line renders, and what `add server` takes for a dynamic server. `path`: the entry's
// JSON path, named in errors.
std::string server_options(const cp::Backend& b, const cp::ServiceSelectorSpec& spec, const std::string& cookie,
                           const std::string& path);

// The address:port every frontend binds ("0.0.0.0:80"), as template_data renders them.
std::vector<std::string> frontend_binds(const cp::PoolModel& pool, const RenderSettings& settings);

nlohmann::json template_data(const cp::PoolModel& pool, int64_t version, const ServerSlots& slots,
                             const RenderSettings& settings);

}  // namespace edgelb::haproxy
