#include "metrics/metrics_exporter.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <deque>
#include <iterator>
#include <mutex>
#include <stdexcept>

namespace edgelb {

using nlohmann::json;
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

double num(const json& j, const char* k) { return j.contains(k) ? j[k].get<double>() : 0.0; }

std::vector<MetricFamily> families(const json& st) {
  Families fs;
  if (st.is_null()) return {};
  const json& t = st["totals"];
  sample(fs.add("rx_packets_total", "Packets received on data ports", MetricType::Counter), num(t, "rx_packets"));
  sample(fs.add("rx_bytes_total", "Bytes received on data ports", MetricType::Counter), num(t, "rx_bytes"));
  sample(fs.add("tx_packets_total", "Packets sent on data ports", MetricType::Counter), num(t, "tx_packets"));
  sample(fs.add("forwarded_packets_total", "Packets balanced to a backend", MetricType::Counter), num(t, "forwarded"));
  sample(fs.add("icmp_too_big_sent_total", "ICMP too-big errors sent to senders of packets over the MTU",
                MetricType::Counter),
         num(t, "icmp_too_big_sent"));
  auto& drops = fs.add("drops_total", "Dropped packets by reason", MetricType::Counter);
  for (auto& [reason, v] : t["drops"].items()) sample(drops, v.get<double>(), {{"reason", reason}});
  auto& punted =
      fs.add("punted_total", "Packets handed to the kernel by reason (before the rate limit)", MetricType::Counter);
  for (auto& [reason, v] : t["punted"].items()) sample(punted, v.get<double>(), {{"reason", reason}});
  auto& ex = fs.add("exception_path_packets_total", "Exception path packets by direction", MetricType::Counter);
  sample(ex, num(st["exception_path"], "to_kernel_packets"), {{"direction", "to_kernel"}});
  sample(ex, num(st["exception_path"], "from_kernel_packets"), {{"direction", "from_kernel"}});
  sample(fs.add("flows", "Tracked flows (all workers)", MetricType::Gauge), num(t, "flows"));
  sample(fs.add("table_version", "Version of the live service table", MetricType::Gauge), num(st, "table_version"));
  sample(fs.add("node_draining", "1 while the node drains: no new flows (edgelb-dpctl drain)", MetricType::Gauge),
         st.value("draining", false) ? 1 : 0);
  const json& rcu = st["rcu"];
  sample(fs.add("rcu_publishes_total", "Service tables published", MetricType::Counter), num(rcu, "publishes"));
  auto& grace = fs.add("rcu_publish_to_quiescent_seconds", "Publish to all-workers-quiescent (grace period) latency",
                       MetricType::Gauge);
  sample(grace, num(rcu, "last_grace_period_ns") / 1e9, {{"which", "last"}});
  sample(grace, num(rcu, "max_grace_period_ns") / 1e9, {{"which", "max"}});
  auto& busy = fs.add("worker_busy_ratio", "Share of loop cycles spent on received packets", MetricType::Gauge);
  auto& cpp = fs.add("worker_cycles_per_packet", "TSC cycles per processed packet", MetricType::Gauge);
  auto& wflows = fs.add("worker_flows", "Tracked flows per worker", MetricType::Gauge);
  auto& wcap = fs.add("worker_flow_capacity", "Flow table size per worker (IPv4 entries)", MetricType::Gauge);
  auto& wevict = fs.add("worker_flow_evictions_total", "Flows evicted to make room for new ones (table full)",
                        MetricType::Counter);
  for (const auto& w : st["workers"]) {
    const std::string lcore = std::to_string(w["lcore"].get<int>());
    sample(busy, num(w, "busy_ratio"), {{"lcore", lcore}});
    sample(cpp, num(w, "cycles_per_packet"), {{"lcore", lcore}});
    sample(wflows, num(w["conntrack"], "occupancy"), {{"lcore", lcore}});
    sample(wcap, num(w["conntrack"], "capacity"), {{"lcore", lcore}});
    sample(wevict, num(w["conntrack"], "evictions"), {{"lcore", lcore}});
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
  for (const auto& s : st["services"]) {
    std::vector<ClientMetric::Label> l = {
        {"service", s["name"]},
        {"vip", s["vip"].get<std::string>() + ":" + std::to_string(s["port"].get<int>())},
        {"protocol", s["protocol"]}};
    sample(vp, num(s, "packets"), l);
    sample(vb, num(s, "bytes"), l);
    sample(vn, num(s, "new_flows"), l);
    sample(va, num(s, "active_flows"), l);
    for (const auto& b : s["backends"]) {
      auto bl = l;
      bl.push_back({"backend", b["address"].get<std::string>() + ":" + std::to_string(b["port"].get<int>())});
      sample(bp, num(b, "packets"), bl);
      sample(bb, num(b, "bytes"), bl);
      sample(bu, b["state"] == "up" ? 1 : 0, bl);
      sample(ba, num(b, "active_flows"), bl);
    }
  }
  return fs.take();
}

}  // namespace

class MetricsExporter::Source : public prometheus::Collectable {
 public:
  std::vector<MetricFamily> Collect() const override {
    std::lock_guard lk(mu_);
    return families(stats_);
  }
  void set(const json& j) {
    std::lock_guard lk(mu_);
    stats_ = j;
  }

 private:
  mutable std::mutex mu_;
  json stats_;
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

void MetricsExporter::update(const json& stats) { source_->set(stats); }

std::string metrics_text(const json& stats) { return prometheus::TextSerializer().Serialize(families(stats)); }

}  // namespace edgelb
