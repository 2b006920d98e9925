// The lbmgr role: one HAProxy 2.6 per pool instance, in master-worker mode in the foreground
// (-W -db) in its own session, with the master CLI on <dir>/run/master.sock and the runtime
// API on <dir>/run/stats.sock (RenderSettings::under(dir) renders both into the config).
//
// Instance directory:
//   <dir>/haproxy.cfg          the configuration HAProxy runs (atomically replaced)
//   <dir>/getconfig.lua        the /_haproxy_getconfig service (written at start)
//   <dir>/run/master.sock      master CLI (mode 600)       <dir>/run/stats.sock  runtime API
//   <dir>/run/master.pid       the master's PID            <dir>/run/server-state  before reloads
//   <dir>/run/haproxy.log      HAProxy's stderr, and stdout unless stdout_is_ours (rotated
//                              once at 8 MiB on start)
//
// - start() validates the config (haproxy -c), writes it and starts HAProxy; or adopts the
//   master an earlier agent left running in the same directory (an agent restart does not
//   interrupt serving) and reloads it only if its configuration differs.
// - reload() validates, writes, saves the runtime server state (server-state-file), reloads
//   on the master CLI and confirms with `show proc`. A config HAProxy refuses, or a reload
//   that fails, puts the previous file back: the old worker keeps serving, and the error is
//   in the result and in status(). Coalescing and rate limiting are the caller's (ReloadGate).
// - A monitor thread restarts HAProxy when its master exits unexpectedly (a worker dying takes
//   the master down: exit-on-failure), with exponential backoff; restarts are counted.
// - Frontend listeners are the agent's (listeners.h): inherited_binds() opens them before the
//   first start and HAProxy inherits them at fixed numbers (`bind fd@<n>`, the numbers kept in
//   <dir>/run/listeners.json for an adopting agent). While HAProxy is down they keep queueing
//   connections; binds added later are HAProxy's own until it is started again.
//
// Thread-safe: calls serialize on one mutex, so runtime commands never race a reload (they
// wait for it, then reach the new worker); status() does not wait for them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "haproxy/haproxy_driver.h"
#include "haproxy/listeners.h"
#include "haproxy/master_cli.h"
#include "haproxy/runtime_api.h"

namespace edgelb::haproxy {

struct SupervisorError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string config_hash(const std::string& config);

class Supervisor final : public HaproxyDriver {
 public:
  explicit Supervisor(SupervisorOptions options);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Throws SupervisorError (with HAProxy's reason) when the config is refused or HAProxy does
  // not come up within start_timeout.
  void start(const std::string& config) override;
  ReloadResult reload(const std::string& config) override;
  // Rewrites haproxy.cfg without a reload: membership changes already applied at runtime, so
  // that a restart starts with them.
  void write_config(const std::string& config) override;
  // One batch of runtime-API commands. Unreachable HAProxy counts as a failure.
  RuntimeResult runtime(const std::vector<std::string>& commands) override;
  void stop() { stop(options_.stop_on_exit); }
  void stop(bool stop_haproxy) override;  // true: stop HAProxy whatever stop_on_exit says

  // The listener numbers to render for these binds ("0.0.0.0:80" -> n for `bind fd@n`): before
  // the first start every bind that can listen gets one (or, when a running master is adopted,
  // the ones it inherited); afterwards only binds the running master inherited.
  std::map<std::string, int> inherited_binds(const std::vector<std::string>& binds) override;
  // After a reload to a configuration without some binds: those listeners stop (shutdown).
  void release_binds_except(const std::vector<std::string>& binds) override;

  SupervisorStatus status() const override;
  RuntimeApi runtime_api() const;
  MasterCli master_cli() const;
  const std::string& config_path() const override { return config_path_; }

 private:
  void spawn_locked();
  bool try_adopt_locked();
  void save_listeners_locked();
  std::vector<int> inherited_numbers_locked() const;
  void wait_started_locked(int pid);
  void monitor();
  void write_file_locked(const std::string& path, const std::string& text);
  std::string log_alerts_since(long offset) const;
  long log_size() const;
  void set_status(const std::function<void(SupervisorStatus&)>& f);

  const SupervisorOptions options_;
  const std::string run_dir_, config_path_, master_socket_, stats_socket_, pid_path_, log_path_, state_path_,
      listeners_path_;

  std::mutex mu_;  // process lifecycle, files and sockets
  int master_pid_ = 0;
  int pidfd_ = -1;
  bool is_child_ = false;
  std::string running_config_;            // the text the current worker runs
  ListenerSet listeners_;                 // our copies of the inherited listeners
  std::map<std::string, int> inherited_;  // bind -> fd number the (next) master has
  long spawn_log_offset_ = 0;

  mutable std::mutex status_mu_;
  SupervisorStatus status_;

  std::atomic<bool> stopping_{false};
  std::condition_variable_any wake_;
  std::thread monitor_;
};

}  // namespace edgelb::haproxy
