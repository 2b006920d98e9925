#include "metrics/metrics_exporter.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace edgelb {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

// A deque: references returned by add() stay valid while more families are added.
struct Families {
  std::deque<MetricFamily> all;
  MetricFamily& add(const std::string& name, const std::string& help, MetricType type) {
    all.push_back(MetricFamily{"edgelb_" + name, help, type, {}});
    return all.back();
  }
  std::vector<MetricFamily> take() {
    return {std::make_move_iterator(all.begin()), std::make_move_iterator(all.end())};
  }
};

void sample(MetricFamily& f, double v, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = v;
  else
    m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

std::string drop_name(size_t k) { return std::string(drop_reason_name(DropReason(k))); }
std::string punt_name(size_t k) { return std::string(punt_reason_name(PuntReason(k))); }

std::vector<MetricFamily> families(const StatsReport* st) {
  Families fs;
  if (!st) return {};
  const StatsTotals& t = st->totals;
  sample(fs.add("rx_packets_total", "Packets received on data ports", MetricType::Counter), double(t.rx_packets));
  sample(fs.add("rx_bytes_total", "Bytes received on data ports", MetricType::Counter), double(t.rx_bytes));
  sample(fs.add("tx_packets_total", "Packets sent on data ports", MetricType::Counter), double(t.tx_packets));
  sample(fs.add("forwarded_packets_total", "Packets balanced to a backend", MetricType::Counter), double(t.forwarded));
  sample(fs.add("icmp_too_big_sent_total", "ICMP too-big errors sent to senders of packets over the MTU",
                MetricType::Counter),
         double(t.icmp_too_big_sent));
  auto& drops = fs.add("drops_total", "Dropped packets by reason", MetricType::Counter);
  for (size_t k = 0; k < kDropReasonCount; ++k) sample(drops, double(t.drops[k]), {{"reason", drop_name(k)}});
  auto& punted =
      fs.add("punted_total", "Packets handed to the kernel by reason (before the rate limit)", MetricType::Counter);
  for (size_t k = 0; k < kPuntReasonCount; ++k) sample(punted, double(t.punted[k]), {{"reason", punt_name(k)}});
  auto& ex = fs.add("exception_path_packets_total", "Exception path packets by direction", MetricType::Counter);
  sample(ex, double(st->exception_path.to_kernel_packets), {{"direction", "to_kernel"}});
  sample(ex, double(st->exception_path.from_kernel_packets), {{"direction", "from_kernel"}});
  sample(fs.add("flows", "Tracked flows (all workers)", MetricType::Gauge), double(t.flows));
  sample(fs.add("table_version", "Version of the live service table", MetricType::Gauge), double(st->table_version));
  sample(fs.add("node_draining", "1 while the node drains: no new flows (edgelb-dpctl drain)", MetricType::Gauge),
         st->draining ? 1 : 0);
  sample(fs.add("rcu_publishes_total", "Service tables published", MetricType::Counter), double(st->rcu.publishes));
  auto& grace = fs.add("rcu_publish_to_quiescent_seconds", "Publish to all-workers-quiescent (grace period) latency",
                       MetricType::Gauge);
  sample(grace, double(st->rcu.last_grace_ns) / 1e9, {{"which", "last"}});
  sample(grace, double(st->rcu.max_grace_ns) / 1e9, {{"which", "max"}});
  auto& busy = fs.add("worker_busy_ratio", "Share of loop cycles spent on received packets", MetricType::Gauge);
  auto& cpp = fs.add("worker_cycles_per_packet", "TSC cycles per processed packet", MetricType::Gauge);
  auto& wflows = fs.add("worker_flows", "Tracked flows per worker", MetricType::Gauge);
  auto& wcap = fs.add("worker_flow_capacity", "Flow table size per worker (IPv4 entries)", MetricType::Gauge);
  auto& wevict = fs.add("worker_flow_evictions_total", "Flows evicted to make room for new ones (table full)",
                        MetricType::Counter);
  for (const WorkerReport& w : st->workers) {
    const std::string lcore = std::to_string(w.lcore);
    sample(busy, w.busy_ratio, {{"lcore", lcore}});
    sample(cpp, w.cycles_per_packet, {{"lcore", lcore}});
    sample(wflows, double(w.conntrack.occupancy), {{"lcore", lcore}});
    sample(wcap, double(w.conntrack.capacity), {{"lcore", lcore}});
    sample(wevict, double(w.conntrack.evictions), {{"lcore", lcore}});
  }
  auto& vp = fs.add("vip_packets_total", "Packets per VIP", MetricType::Counter);
  auto& vb = fs.add("vip_bytes_total", "Bytes per VIP", MetricType::Counter);
  auto& vn = fs.add("vip_new_flows_total", "New flows per VIP", MetricType::Counter);
  auto& va =
      fs.add("vip_active_flows", "Tracked flows per VIP (as of the last conntrack sweep pass)", MetricType::Gauge);
  auto& ba = fs.add("backend_active_flows", "Tracked flows per backend (as of the last conntrack sweep pass)",
                    MetricType::Gauge);
  auto& bp = fs.add("backend_packets_total", "Packets per backend", MetricType::Counter);
  auto& bb = fs.add("backend_bytes_total", "Bytes per backend", MetricType::Counter);
  auto& bu = fs.add("backend_up", "1 when the backend takes new flows (up), 0 for drain/down", MetricType::Gauge);
  for (const ServiceReport& s : st->services) {
    std::vector<ClientMetric::Label> l = {{"service", s.name},
                                          {"vip", s.vip.to_string() + ":" + std::to_string(s.port)},
                                          {"protocol", s.protocol == 6 ? "tcp" : "udp"}};
    sample(vp, double(s.packets), l);
    sample(vb, double(s.bytes), l);
    sample(vn, double(s.new_flows), l);
    sample(va, double(s.active_flows), l);
    for (const BackendReport& b : s.backends) {
      auto bl = l;
      bl.push_back({"backend", b.address.to_string() + ":" + std::to_string(b.port)});
      sample(bp, double(b.packets), bl);
      sample(bb, double(b.bytes), bl);
      sample(bu, b.state == BackendState::kUp ? 1 : 0, bl);
      sample(ba, double(b.active_flows), bl);
    }
  }
  return fs.take();
}

}  // namespace

class MetricsExporter::Source : public prometheus::Collectable {
 public:
  std::vector<MetricFamily> Collect() const override {
    std::lock_guard lk(mu_);
    return families(stats_ ? &*stats_ : nullptr);
  }
  void set(const StatsReport& r) {
    std::lock_guard lk(mu_);
    stats_ = r;
  }

 private:
  mutable std::mutex mu_;
  std::optional<StatsReport> stats_;
};

MetricsExporter::MetricsExporter(const std::string& address) : source_(std::make_shared<Source>()) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    throw std::runtime_error("metrics: cannot listen on " + address + ": " + e.what());
  }
  exposer_->RegisterCollectable(source_);
}

MetricsExporter::~MetricsExporter() = default;

void MetricsExporter::update(const StatsReport& stats) { source_->set(stats); }

std::string metrics_text(const StatsReport* stats) { return prometheus::TextSerializer().Serialize(families(stats)); }

}  // namespace edgelb
