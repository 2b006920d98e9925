// edgelb-agent's own Prometheus metrics (HAProxy's are on each pool's stats port at
// /metrics). Counters are fed by the reconcile loop; per-pool HAProxy counters (restarts,
// reloads, runtime commands) are synced from the supervisors' status on every loop pass.
// Served on `metrics.listen` by prometheus-cpp's exposer when configured. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace prometheus {
class Exposer;
}

namespace edgelb::cp {

class AgentMetrics {
 public:
  AgentMetrics();
  ~AgentMetrics();
  // Serves /metrics on host:port. Throws std::runtime_error when it cannot listen.
  void listen(const std::string& address);

  void reload(const std::string& pool, bool ok);
  // Monotonic totals from a supervisor's status: the increase since the last call is counted.
  void sync_totals(const std::string& pool, uint64_t restarts, uint64_t runtime_commands, uint64_t runtime_failures);
  void render_time(std::chrono::nanoseconds d);
  void event_to_applied(std::chrono::nanoseconds d);
  void cache_age(const std::string& pool, double seconds);
  void pools_served(size_t n);
  void connected(bool zookeeper, bool apiserver);
  // The fast path: the dataplane's table version after our last change, in sync, calls made,
  // services it refused, health checks run and backends failing them.
  void dataplane(uint64_t table_version, bool in_sync, uint64_t calls, size_t refused, uint64_t checks, size_t failing);
  void forget(const std::string& pool);

  std::string text() const;  // the exposition text (tests, `--metrics-once`)

 private:
  struct Totals {
    uint64_t restarts = 0, runtime = 0, runtime_failures = 0;
  };
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Counter>& runtime_;
  prometheus::Family<prometheus::Counter>& runtime_failures_;
  prometheus::Histogram& render_seconds_;
  prometheus::Histogram& event_seconds_;
  prometheus::Family<prometheus::Gauge>& cache_age_;
  prometheus::Gauge& pools_;
  prometheus::Gauge& zk_connected_;
  prometheus::Gauge& api_connected_;
  prometheus::Gauge& dp_version_;
  prometheus::Gauge& dp_in_sync_;
  prometheus::Counter& dp_calls_;
  prometheus::Gauge& dp_refused_;
  prometheus::Counter& health_checks_;
  uint64_t dp_calls_seen_ = 0, health_checks_seen_ = 0;
  prometheus::Gauge& health_failing_;
  std::mutex mu_;
  std::map<std::string, Totals> totals_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace edgelb::cp
