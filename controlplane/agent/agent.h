// edgelb-agent: one per appliance node. It claims instances of the pools its node may run
// (claims.h), watches their inputs in ZooKeeper (pool_watch.h) and their endpoints from the
// mesos-listener (endpoints_watch.h), and runs one HAProxy per claimed pool (pool_instance.h),
// caching what it runs (state_cache.h) so that it serves from the cache when restarted with
// ZooKeeper and the apiserver away.
//
// One reconcile loop owns all state. Its collaborators (collaborators.h: the pool source, the
// endpoints source, the dataplane sink, the health prober, each pool's HAProxy driver) only
// mark what changed and wake it; the loop then re-reads the changed pools, reconciles claims,
// fetches endpoints, applies, publishes registrations and saves the cache. It also wakes for
// rate-limited reloads and drains, and at least once a second.
//
// Ports: a pool's fixed binds (frontends, stats) must not collide with another pool served on
// the same node (the later one is not claimed, and says why); binds at port 0 get a port from
// `haproxy.port_range`, kept in the cache.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "agent/agent_config.h"
#include "agent/agent_metrics.h"
#include "agent/collaborators.h"
#include "agent/fastpath_plan.h"
#include "agent/pool_instance.h"
#include "agent/state_cache.h"

namespace edgelb::cp {

class Agent {
 public:
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Throws haproxy::LimitsError when haproxy.maxconn cannot fit the file-descriptor limit
  // HAProxy inherits (the message says what to change), std::runtime_error for a secret key
  // or digest file it cannot read. The first form uses the production collaborators.
  explicit Agent(AgentConfig config);
  Agent(AgentConfig config, AgentCollaborators collaborators);
  // Serves the cached pools at once, then reconciles until stop(). Throws std::runtime_error
  // for configuration it cannot use (metrics address). `on_ready` runs once, on run()'s
  // thread, after the first reconcile: cached pools serve, metrics listen (the binary tells
  // systemd, Type=notify).
  void run(const std::function<void()>& on_ready = {});
  void stop();  // safe from any thread (not from a signal handler)

  // The steps run() takes, for tests that drive the loop by hand (all on one thread):
  // start() serves the cache and makes the collaborators; step() reconciles once and returns
  // when to step again at the latest; shutdown() is what run() does once stopped.
  void start();
  std::optional<std::chrono::steady_clock::time_point> step(std::chrono::steady_clock::time_point now);
  void shutdown();
  // Why a pool is not served here ("" when it is, or not known).
  std::string why_not(const std::string& pool) const;

  AgentMetrics& metrics() { return metrics_; }

 private:
  struct Served {
    std::unique_ptr<PoolInstance> instance;
    nlohmann::json published;  // the registration last written
    std::string saved_key;     // PoolInstance::running_key() and endpoints last written to the cache
    haproxy::EndpointsByService saved_endpoints;
    std::chrono::steady_clock::time_point saved_at{};
    std::string published_config_hash;  // the running config last written for lb-config
    std::chrono::steady_clock::time_point config_published_at{};
    bool from_cache = false;                        // started from the cache; not yet confirmed by a claim
    std::pair<int64_t, uint64_t> endpoints_seen{};  // (version, revision) of the endpoints last set
    std::string endpoints_error;                    // the listener's, last logged
  };

  void reconcile(std::chrono::steady_clock::time_point now, std::optional<std::chrono::steady_clock::time_point>* next);
  void reconcile_pool(const std::string& pool, bool dirty);
  void drop(const std::string& pool, const std::string& why);
  std::optional<std::string> port_conflict(const std::string& pool, const PoolModel& model) const;
  std::map<std::string, uint32_t> allocate_ports(const std::string& pool, const PoolModel& model,
                                                 const std::map<std::string, uint32_t>& current) const;
  void refresh_endpoints(std::optional<std::chrono::steady_clock::time_point> event_time);
  // Returns when to save again: endpoint-only changes are saved at most once a second.
  std::optional<std::chrono::steady_clock::time_point> publish_and_save(const std::string& pool, Served& s,
                                                                        std::chrono::steady_clock::time_point now);
  InstanceOptions instance_options() const;
  // The fast path: plans the node's dataplane table from the served pools and hands it to the
  // sync thread and the health checker (no-op without dataplane.control_socket).
  void plan_fast_path();

  const AgentConfig config_;
  AgentCollaborators make_;
  AgentMetrics metrics_;
  StateCache cache_;

  std::mutex mu_;  // guards the fields below that other threads touch
  std::condition_variable cv_;
  bool stop_ = false;
  std::set<std::string> dirty_pools_;
  bool list_dirty_ = true;
  bool endpoints_dirty_ = true;
  std::optional<std::chrono::steady_clock::time_point> endpoints_event_;
  uint64_t sessions_seen_ = 0;
  bool connection_changed_ = false;
  bool fast_path_dirty_ = false;  // the sync or a health verdict changed

  // Owned by the loop.
  std::unique_ptr<PoolSource> pools_;
  std::unique_ptr<EndpointsSource> endpoints_;
  std::map<std::string, PoolInputs> inputs_;    // the last read of every pool (ZooKeeper)
  std::map<std::string, std::string> why_not_;  // pools not served here, and why
  std::map<std::string, Served> served_;
  std::map<std::string, std::unique_ptr<PoolClaim>> claims_;
  std::set<std::string> needs_endpoints_;  // served pools whose endpoints have not arrived yet
  FastPathPlanner planner_;
  const haproxy::ConnectionLimits limits_;  // config_.haproxy_limits sized to the fd limit
  FastPathPlan plan_;
  std::unique_ptr<HealthProber> health_;
  std::unique_ptr<DataplaneSink> dataplane_;  // after health_: stopped first
};

}  // namespace edgelb::cp
