#include "agent/agent_metrics.h"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>

namespace edgelb::cp {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
}

}  // namespace

AgentMetrics::AgentMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      reloads_(BuildCounter()
                   .Name("edgelb_agent_haproxy_reloads_total")
                   .Help("HAProxy reloads by result (ok: confirmed by show proc; failed: refused or not loaded)")
                   .Register(*registry_)),
      restarts_(BuildCounter()
                    .Name("edgelb_agent_haproxy_restarts_total")
                    .Help("HAProxy masters restarted after they exited")
                    .Register(*registry_)),
      runtime_(BuildCounter()
                   .Name("edgelb_agent_runtime_batches_total")
                   .Help("Batches of runtime-API commands (membership changes without reload)")
                   .Register(*registry_)),
      runtime_failures_(BuildCounter()
                            .Name("edgelb_agent_runtime_failures_total")
                            .Help("Runtime-API batches HAProxy refused or could not take")
                            .Register(*registry_)),
      render_seconds_(BuildHistogram()
                          .Name("edgelb_agent_render_seconds")
                          .Help("Time to render one haproxy.cfg")
                          .Register(*registry_)
                          .Add({}, latency_buckets())),
      event_seconds_(BuildHistogram()
                         .Name("edgelb_agent_event_to_applied_seconds")
                         .Help("From a mesos-listener change reaching the agent to HAProxy running it")
                         .Register(*registry_)
                         .Add({}, latency_buckets())),
      cache_age_(BuildGauge()
                     .Name("edgelb_agent_cache_age_seconds")
                     .Help("Age of the cached inputs a pool instance runs from")
                     .Register(*registry_)),
      pools_(BuildGauge()
                 .Name("edgelb_agent_pools_served")
                 .Help("Pool instances this agent runs")
                 .Register(*registry_)
                 .Add({})),
      zk_connected_(BuildGauge()
                        .Name("edgelb_agent_zookeeper_connected")
                        .Help("1 while the ZooKeeper session is connected")
                        .Register(*registry_)
                        .Add({})),
      api_connected_(BuildGauge()
                         .Name("edgelb_agent_apiserver_connected")
                         .Help("1 while the mesos-listener Watch stream is open")
                         .Register(*registry_)
                         .Add({})),
      dp_version_(BuildGauge()
                      .Name("edgelb_agent_dataplane_table_version")
                      .Help("The dataplane's table version after the agent's last change")
                      .Register(*registry_)
                      .Add({})),
      dp_in_sync_(BuildGauge()
                      .Name("edgelb_agent_dataplane_in_sync")
                      .Help("1 while the dataplane's live table is the agent's plan")
                      .Register(*registry_)
                      .Add({})),
      dp_calls_(BuildCounter()
                    .Name("edgelb_agent_dataplane_calls_total")
                    .Help("Calls to the dataplane's control service")
                    .Register(*registry_)
                    .Add({})),
      dp_refused_(BuildGauge()
                      .Name("edgelb_agent_dataplane_refused_services")
                      .Help("Planned services the dataplane refuses")
                      .Register(*registry_)
                      .Add({})),
      health_checks_(BuildCounter()
                         .Name("edgelb_agent_health_checks_total")
                         .Help("Active health checks run (fastPath VIP backends)")
                         .Register(*registry_)
                         .Add({})),
      health_failing_(BuildGauge()
                          .Name("edgelb_agent_health_failing_backends")
                          .Help("Backends whose active health check fails")
                          .Register(*registry_)
                          .Add({})) {}

AgentMetrics::~AgentMetrics() = default;

void AgentMetrics::listen(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    throw std::runtime_error("metrics: cannot listen on " + address + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
}

void AgentMetrics::reload(const std::string& pool, bool ok) {
  reloads_.Add({{"pool", pool}, {"result", ok ? "ok" : "failed"}}).Increment();
}

void AgentMetrics::sync_totals(const std::string& pool, uint64_t restarts, uint64_t runtime_commands,
                               uint64_t runtime_failures) {
  std::lock_guard<std::mutex> g(mu_);
  Totals& t = totals_[pool];
  // A new supervisor (agent restart, pool re-claimed) starts from zero again.
  if (restarts < t.restarts || runtime_commands < t.runtime || runtime_failures < t.runtime_failures) t = Totals{};
  restarts_.Add({{"pool", pool}}).Increment(static_cast<double>(restarts - t.restarts));
  runtime_.Add({{"pool", pool}}).Increment(static_cast<double>(runtime_commands - t.runtime));
  runtime_failures_.Add({{"pool", pool}}).Increment(static_cast<double>(runtime_failures - t.runtime_failures));
  t = {restarts, runtime_commands, runtime_failures};
}

void AgentMetrics::render_time(std::chrono::nanoseconds d) { render_seconds_.Observe(d.count() / 1e9); }
void AgentMetrics::event_to_applied(std::chrono::nanoseconds d) { event_seconds_.Observe(d.count() / 1e9); }
void AgentMetrics::cache_age(const std::string& pool, double seconds) { cache_age_.Add({{"pool", pool}}).Set(seconds); }
void AgentMetrics::pools_served(size_t n) { pools_.Set(static_cast<double>(n)); }
void AgentMetrics::connected(bool zookeeper, bool apiserver) {
  zk_connected_.Set(zookeeper ? 1 : 0);
  api_connected_.Set(apiserver ? 1 : 0);
}

void AgentMetrics::dataplane(uint64_t table_version, bool in_sync, uint64_t calls, size_t refused, uint64_t checks,
                             size_t failing) {
  dp_version_.Set(static_cast<double>(table_version));
  dp_in_sync_.Set(in_sync ? 1 : 0);
  if (calls > dp_calls_seen_) dp_calls_.Increment(static_cast<double>(calls - dp_calls_seen_));
  dp_calls_seen_ = calls;
  dp_refused_.Set(static_cast<double>(refused));
  if (checks > health_checks_seen_) health_checks_.Increment(static_cast<double>(checks - health_checks_seen_));
  health_checks_seen_ = checks;
  health_failing_.Set(static_cast<double>(failing));
}

void AgentMetrics::forget(const std::string& pool) {
  std::lock_guard<std::mutex> g(mu_);
  totals_.erase(pool);
  cache_age_.Remove(&cache_age_.Add({{"pool", pool}}));
}

std::string AgentMetrics::text() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace edgelb::cp
