#include "metrics/metrics_exporter.h"

#include <gtest/gtest.h>

namespace edgelb {
namespace {

TEST(Metrics, StatsDocumentBecomesLabelledFamilies) {
  const auto stats = nlohmann::json::parse(R"({
    "table_version": 7,
    "draining": true,
    "totals": {"rx_packets": 10, "rx_bytes": 640, "tx_packets": 9, "forwarded": 8, "flows": 3,
               "drops": {"non_vip": 2, "tx_full": 0}, "punted": {"arp": 1, "l7_vip": 0}},
    "exception_path": {"to_kernel_packets": 1, "from_kernel_packets": 4},
    "rcu": {"publishes": 2, "last_grace_period_ns": 1500, "max_grace_period_ns": 250000},
    "workers": [{"lcore": 1, "busy_ratio": 0.25, "cycles_per_packet": 300, "conntrack": {"occupancy": 3, "capacity": 1024, "evictions": 5}}],
    "services": [{"name": "web", "vip": "198.18.1.10", "port": 80, "protocol": "tcp", "packets": 8,
                  "bytes": 512, "new_flows": 3,
                  "backends": [{"address": "198.18.2.1", "port": 80, "state": "drain", "packets": 8, "bytes": 512}]}]
  })");
  const std::string text = metrics_text(stats);
  for (const char* want : {
           "edgelb_table_version 7",
           "edgelb_node_draining 1",
           "edgelb_drops_total{reason=\"non_vip\"} 2",
           "edgelb_punted_total{reason=\"arp\"} 1",
           "edgelb_exception_path_packets_total{direction=\"from_kernel\"} 4",
           "edgelb_rcu_publish_to_quiescent_seconds{which=\"max\"} 0.00025",
           "edgelb_worker_cycles_per_packet{lcore=\"1\"} 300",
           "edgelb_worker_flows{lcore=\"1\"} 3",
           "edgelb_worker_flow_capacity{lcore=\"1\"} 1024",
           "edgelb_worker_flow_evictions_total{lcore=\"1\"} 5",
           "edgelb_vip_new_flows_total{service=\"web\",vip=\"198.18.1.10:80\",protocol=\"tcp\"} 3",
           "edgelb_backend_up{service=\"web\",vip=\"198.18.1.10:80\",protocol=\"tcp\",backend=\"198.18.2.1:80\"} 0",
       })
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  EXPECT_TRUE(metrics_text(nlohmann::json()).empty()) << "no stats yet: no samples";
}

}  // namespace
}  // namespace edgelb
