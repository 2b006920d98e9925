// What a pool instance (controlplane/agent/pool_instance.h) needs of the HAProxy it runs, so
// that the agent's logic runs without HAProxy: Supervisor (supervisor.h) is the real one; the
// agent's unit tests drive a fake. The contract of each call is Supervisor's, documented there.
// Implementations are thread-safe: a ConfigWriter thread calls write_config() beside the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "haproxy/runtime_api.h"

namespace edgelb::haproxy {

struct SupervisorOptions {
  std::string haproxy_binary = "haproxy";
  std::string instance_dir;
  std::chrono::milliseconds start_timeout{10000};
  std::chrono::milliseconds reload_timeout{10000};
  std::chrono::milliseconds restart_backoff_min{100};
  std::chrono::milliseconds restart_backoff_max{5000};
  // On stop()/destruction: stop HAProxy (true), or leave it serving for the next agent (false).
  bool stop_on_exit = true;
  // HAProxy's standard output is this process's (the access log to stdout); false: run/haproxy.log.
  bool stdout_is_ours = false;
  // The listen backlog of the frontend listeners the agent opens (0: the system's somaxconn).
  int listen_backlog = 0;
};

enum class HaproxyState { kStopped, kStarting, kRunning, kReloadFailed, kRestarting };
const char* haproxy_state_name(HaproxyState s);  // "stopped", "starting", "running", ...

struct SupervisorStatus {
  HaproxyState state = HaproxyState::kStopped;
  std::string error;  // the last failure (reload refused, restart failed), "" when running clean
  int master_pid = 0;
  std::string config_hash;  // SHA-256 (hex) of the configuration the current worker runs
  int64_t last_reload_unix_ms = 0;
  uint64_t reloads = 0, reload_failures = 0, restarts = 0, runtime_batches = 0, runtime_failures = 0;
  bool adopted = false;  // the master was started by an earlier agent
};

struct ReloadResult {
  bool ok = false;
  bool validated = false;  // haproxy -c passed
  std::string error;
};

class HaproxyDriver {
 public:
  virtual ~HaproxyDriver() = default;
  // Starts (or adopts) HAProxy with `config`; throws SupervisorError (supervisor.h) with the
  // reason when it is refused or does not come up.
  virtual void start(const std::string& config) = 0;
  // Validates and reloads; a refused config keeps the old one serving (ok = false, error).
  virtual ReloadResult reload(const std::string& config) = 0;
  // Rewrites the config file without a reload (membership already applied at runtime).
  virtual void write_config(const std::string& config) = 0;
  virtual RuntimeResult runtime(const std::vector<std::string>& commands) = 0;
  virtual void stop(bool stop_haproxy) = 0;  // true: stop HAProxy whatever stop_on_exit says
  // Listener numbers for `bind fd@n` (see Supervisor::inherited_binds).
  virtual std::map<std::string, int> inherited_binds(const std::vector<std::string>& binds) = 0;
  virtual void release_binds_except(const std::vector<std::string>& binds) = 0;
  virtual SupervisorStatus status() const = 0;
  virtual const std::string& config_path() const = 0;  // the config file HAProxy runs
};

// Makes the driver of one instance; the default makes a Supervisor.
using HaproxyDriverFactory = std::function<std::unique_ptr<HaproxyDriver>(const SupervisorOptions&)>;

}  // namespace edgelb::haproxy
