// One pool instance on this node: its inputs and endpoints in, a running HAProxy out. This is
// where Edge-LB's template and lbmgr roles meet (controlplane/haproxy/):
//  - membership changes (endpoints) become runtime-API commands on server slots, never a
//    reload; haproxy.cfg catches up off the loop (config_writer.h); a removed server drains for `drain_timeout`, then
//    goes to maintenance and frees its slot;
//  - structural changes (pool version, template, certificate files, allocated ports, slots
//    exhausted) re-render and reload, at most once per `min_reload_interval` (changes in
//    between coalesce into one reload); a change that fails (render error, haproxy -c, reload)
//    is not retried until the inputs change again, while the old configuration keeps serving
//    and keeps receiving membership changes;
//  - the first apply starts (or adopts) HAProxy.
// Not thread-safe: owned by the agent's reconcile loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/agent_metrics.h"
#include "agent/config_writer.h"
#include "agent/pool_inputs.h"
#include "haproxy/access_log.h"
#include "haproxy/haproxy_driver.h"
#include "haproxy/process_settings.h"
#include "haproxy/server_slots.h"
#include "pool/pool_model.h"

namespace edgelb::cp {

struct InstanceOptions {
  std::string haproxy_binary = "haproxy";
  std::chrono::milliseconds min_reload_interval{500};
  std::chrono::milliseconds drain_timeout{10000};
  std::string hard_stop_after = "30m";
  bool stop_on_exit = true;
  haproxy::ConnectionLimits limits;  // sized (size_limits()); 0s leave HAProxy's defaults
  haproxy::TlsDefaults tls;
  haproxy::AccessLogSettings access_log;
  // Makes each instance's HAProxy driver; empty: a haproxy::Supervisor (the unit tests fake it).
  haproxy::HaproxyDriverFactory haproxy_driver;
};

class PoolInstance {
 public:
  using Clock = std::chrono::steady_clock;
  PoolInstance(std::string dir, InstanceOptions options, AgentMetrics* metrics);
  ~PoolInstance();

  void set_inputs(PoolInputs inputs, std::map<std::string, uint32_t> allocated_ports);
  // `event_time`: when the change that produced these endpoints reached the agent (for the
  // event-to-applied latency).
  // `selected_for`: the pool the endpoints were selected for. A new version whose service
  // selectors differ waits for endpoints selected for it (the apiserver may be away): servers
  // of one selector are never rendered under another.
  void set_endpoints(haproxy::EndpointsByService endpoints, uint64_t revision, const PoolModel& selected_for,
                     std::optional<Clock::time_point> event_time = std::nullopt);

  // Moves HAProxy toward the desired state. Returns when to call again (a rate-limited reload
  // or a drain that ends), or nullopt.
  std::optional<Clock::time_point> apply(Clock::time_point now = Clock::now());

  // What the instance registration says (claims.h adds host, attributes and slot).
  nlohmann::json registration() const;
  const std::optional<PoolInputs>& inputs() const { return inputs_; }
  const haproxy::EndpointsByService& endpoints() const { return endpoints_; }
  const std::map<std::string, uint32_t>& allocated_ports() const { return ports_; }
  int64_t applied_version() const { return running_ ? running_->inputs.version : 0; }
  // What HAProxy runs now (the last good inputs and ports): what the cache keeps.
  const PoolInputs* running_inputs() const { return running_ ? &running_->inputs : nullptr; }
  const std::map<std::string, uint32_t>* running_ports() const { return running_ ? &running_->ports : nullptr; }
  // A digest of the running inputs and ports ("" before the first start): equal digests, equal
  // inputs.
  const std::string& running_key() const {
    static const std::string kNone;
    return running_ ? running_->key : kNone;
  }
  // Stops HAProxy whatever stop_on_exit says (the pool is deleted or its claim lost).
  void stop_haproxy();
  std::optional<haproxy::SupervisorStatus> haproxy_status() const;
  const std::string& dir() const { return dir_; }
  // The haproxy.cfg HAProxy runs now, as on disk ("" before the first start).
  std::string running_config() const;
  // The access log file this instance writes (AccessLogSettings::Kind::kFile), or "".
  std::string access_log_file() const;

 private:
  struct Running {
    PoolInputs inputs;
    std::map<std::string, uint32_t> ports;
    std::string key;  // structure_key() of what runs
    const PoolModel& model() const { return *inputs.model; }
  };
  // What endpoints depend on: each backend's name and services[] selectors, in order.
  using Selectors = std::vector<std::pair<std::string, std::vector<ServiceSelectorSpec>>>;
  static Selectors selectors_of(const PoolModel& model);
  // selectors_of(model) == s, without building a copy (apply() asks on every pass).
  static bool same_selectors(const PoolModel& model, const Selectors& s);
  static std::string structure_key(const PoolInputs& in, const std::map<std::string, uint32_t>& ports);
  // `sup`: the listeners HAProxy inherits (bind fd@n); null renders plain addresses.
  std::string render(const Running& r, const haproxy::ServerSlots& slots, haproxy::HaproxyDriver* sup);
  void install_files(const PoolInputs& in);
  static std::vector<std::string> binds(const Running& r);  // frontend binds ("0.0.0.0:80")
  std::optional<Clock::time_point> start(Clock::time_point now);
  void reload(Clock::time_point now);
  void runtime_changes(Clock::time_point now);
  std::optional<Clock::time_point> finish_drains(Clock::time_point now);
  void record_event_latency();
  void rewrite_config();

  const std::string dir_;
  const InstanceOptions options_;
  AgentMetrics* metrics_;

  std::optional<PoolInputs> inputs_;
  std::map<std::string, uint32_t> ports_;
  std::string desired_key_;  // structure_key(inputs_, ports_), kept with them
  haproxy::EndpointsByService endpoints_;
  // selectors_of() the pool the endpoints were selected for; nullopt before any arrived (then
  // there are no servers to render under the wrong selector).
  std::optional<Selectors> endpoints_selectors_;
  uint64_t revision_ = 0;
  std::optional<Clock::time_point> pending_event_;

  std::unique_ptr<haproxy::AccessLogWriter> access_log_;  // AccessLogSettings::Kind::kFile
  std::unique_ptr<haproxy::HaproxyDriver> supervisor_;
  std::unique_ptr<ConfigWriter> writer_;  // membership rewrites of haproxy.cfg, off the loop
  std::optional<Running> running_;
  haproxy::ServerSlots slots_;
  std::map<std::pair<size_t, size_t>, Clock::time_point> draining_since_;
  std::optional<Clock::time_point> last_reload_;
  std::string failed_key_;  // inputs whose structural change failed: not retried
  std::string error_;       // why the desired state is not what runs ("" when it is)
  uint64_t runtime_commands_ = 0;
  uint64_t seen_restarts_ = 0;
};

}  // namespace edgelb::cp
