#include "metrics/metrics_exporter.h"

#include <gtest/gtest.h>

namespace edgelb {
namespace {

TEST(Metrics, StatsReportBecomesLabelledFamilies) {
  StatsReport stats;
  stats.table_version = 7;
  stats.draining = true;
  stats.totals.rx_packets = 10;
  stats.totals.rx_bytes = 640;
  stats.totals.tx_packets = 9;
  stats.totals.forwarded = 8;
  stats.totals.flows = 3;
  stats.totals.drops[size_t(DropReason::kNonVip)] = 2;
  stats.totals.punted[size_t(PuntReason::kArp)] = 1;
  stats.exception_path.to_kernel_packets = 1;
  stats.exception_path.from_kernel_packets = 4;
  stats.rcu = {2, 1500, 250000};
  WorkerReport& w = stats.workers.emplace_back();
  w.lcore = 1;
  w.busy_ratio = 0.25;
  w.cycles_per_packet = 300;
  w.conntrack.occupancy = 3;
  w.conntrack.capacity = 1024;
  w.conntrack.evictions = 5;
  ServiceReport& s = stats.services.emplace_back();
  s.name = "web";
  s.vip = *IpAddress::parse("198.18.1.10");
  s.port = 80;
  s.packets = 8;
  s.bytes = 512;
  s.new_flows = 3;
  BackendReport& b = s.backends.emplace_back();
  b.address = *IpAddress::parse("198.18.2.1");
  b.port = 80;
  b.state = BackendState::kDrain;
  b.packets = 8;
  b.bytes = 512;
  const std::string text = metrics_text(&stats);
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
  EXPECT_NE(text.find("edgelb_drops_total{reason=\"tx_full\"} 0"), std::string::npos) << "every reason, also at 0";
  EXPECT_TRUE(metrics_text(nullptr).empty()) << "no stats yet: no samples";
}

}  // namespace
}  // namespace edgelb
