// edgelb-dpctl top's numbers: rates between two stats documents (the shape stats_report.cc
// writes), sorting, filtering and the screen layout.
#include "cli/top_view.h"

#include <gtest/gtest.h>

namespace edgelb::top {
namespace {

using nlohmann::json;

json backend(const char* address, uint64_t packets, uint64_t active, const char* state = "up") {
  return {{"address", address},    {"port", 80},
          {"state", state},        {"next_hop", "02:00:00:00:00:0b"},
          {"packets", packets},    {"bytes", packets * 100},
          {"active_flows", active}};
}

json service(const char* name, const char* vip, uint64_t packets, uint64_t new_flows, uint64_t active, json backends) {
  return {{"name", name},
          {"vip", vip},
          {"port", 80},
          {"protocol", "tcp"},
          {"forwarding", "dsr"},
          {"packets", packets},
          {"bytes", packets * 100},
          {"new_flows", new_flows},
          {"active_flows", active},
          {"backends", backends}};
}

json worker(uint32_t lcore, uint64_t rx, uint64_t busy, uint64_t total, uint64_t processed, uint64_t drops,
            uint64_t occupancy) {
  return {{"lcore", lcore},
          {"rx_packets", rx},
          {"tx_packets", rx},
          {"drops", {{"no_backend", drops}, {"non_vip", 0}}},
          {"punted", {{"arp", 1}}},
          {"busy_ratio", 0.99},  // since start: top must not show it
          {"cycles_per_packet", 9999.0},
          {"busy_cycles", busy},
          {"total_cycles", total},
          {"processed_packets", processed},
          {"conntrack", {{"capacity", 1000}, {"occupancy", occupancy}}}};
}

json doc(uint64_t version, uint64_t rx, json workers, json services, uint64_t drops, uint64_t publishes) {
  return {{"table_version", version},
          {"draining", false},
          {"totals",
           {{"rx_packets", rx},
            {"tx_packets", rx},
            {"drops_total", drops},
            {"punted_total", 2},
            {"drops", {{"no_backend", drops}, {"non_vip", 0}}},
            {"punted", {{"arp", 2}, {"l7_vip", 0}}},
            {"flows", 40},
            {"flow_capacity", 2000}}},
          {"exception_path",
           {{"to_kernel_packets", rx / 10},
            {"to_kernel_bytes", rx * 6},
            {"from_kernel_packets", 0},
            {"from_kernel_bytes", 0}}},
          {"rcu", {{"publishes", publishes}, {"last_grace_period_ns", 35000}, {"max_grace_period_ns", 90000}}},
          {"workers", workers},
          {"services", services}};
}

json before_doc() {
  return doc(3, 10000, {worker(1, 10000, 1000, 100000, 500, 10, 10)},
             {service("web", "198.18.0.100", 8000, 100, 20,
                      {backend("198.18.0.11", 4000, 10), backend("198.18.0.12", 4000, 10)}),
              service("dns", "198.18.0.101", 2000, 900, 2, {backend("198.18.0.11", 2000, 2)})},
             10, 5);
}

json after_doc() {
  return doc(4, 30000, {worker(1, 30000, 51000, 200000, 20500, 30, 40)},
             {service("web", "198.18.0.100", 20000, 400, 30,
                      {backend("198.18.0.11", 13000, 20), backend("198.18.0.12", 7000, 10)}),
              service("dns", "198.18.0.101", 2500, 1000, 1, {backend("198.18.0.11", 2500, 1)}),
              service("new", "2001:db8::100", 700, 7, 7, {backend("2001:db8::11", 700, 7)})},
             30, 7);
}

TEST(TopView, RatesAreTheIntervalsDeltas) {
  const View v = compute(before_doc(), after_doc(), 2.0);
  EXPECT_DOUBLE_EQ(v.interval_s, 2.0);
  EXPECT_EQ(v.table_version, 4u);
  EXPECT_DOUBLE_EQ(v.rx_pps, 10000);
  EXPECT_DOUBLE_EQ(v.drop_pps, 10);
  EXPECT_DOUBLE_EQ(v.publishes_ps, 1);
  EXPECT_DOUBLE_EQ(v.last_grace_period_us, 35);
  EXPECT_DOUBLE_EQ(v.to_kernel_pps, 1000);
  EXPECT_DOUBLE_EQ(v.to_kernel_bps, 8.0 * 120000 / 2);
  ASSERT_EQ(v.workers.size(), 1u);
  // The interval's own: 50000 busy of 100000 cycles, 50000 busy cycles over 20000 packets.
  EXPECT_DOUBLE_EQ(v.workers[0].busy_pct, 50);
  EXPECT_DOUBLE_EQ(v.workers[0].cycles_per_packet, 2.5);
  EXPECT_DOUBLE_EQ(v.workers[0].drop_pps, 10);
  EXPECT_EQ(v.workers[0].flows, 40u);
  ASSERT_EQ(v.vips.size(), 3u);
  const VipRow& web = v.vips[0];
  EXPECT_EQ(web.endpoint, "198.18.0.100:80");
  EXPECT_DOUBLE_EQ(web.pps, 6000);
  EXPECT_DOUBLE_EQ(web.bps, 8.0 * 1200000 / 2);
  EXPECT_DOUBLE_EQ(web.new_flows_ps, 150);
  EXPECT_EQ(web.packets, 20000u);
  EXPECT_EQ(web.active_flows, 30u);
  ASSERT_EQ(web.backends.size(), 2u);
  EXPECT_DOUBLE_EQ(web.backends[0].share_pct, 75);  // 9000 of the 12000 backend packets
  EXPECT_DOUBLE_EQ(web.backends[1].share_pct, 25);
  EXPECT_DOUBLE_EQ(web.backends[0].pps, 4500);
  // A service that appeared in the interval: all its packets are the interval's.
  EXPECT_EQ(v.vips[2].endpoint, "[2001:db8::100]:80");
  EXPECT_DOUBLE_EQ(v.vips[2].pps, 350);
  ASSERT_EQ(v.drops.size(), 1u);  // reasons with a count only
  EXPECT_EQ(v.drops[0].reason, "no_backend");
  EXPECT_EQ(v.drops[0].total, 30u);
}

TEST(TopView, CounterThatWentBackwardsCountsFromZero) {
  json b = after_doc(), a = before_doc();  // a reused slot: the later counter is smaller
  const View v = compute(b, a, 1.0);
  EXPECT_DOUBLE_EQ(v.vips[0].pps, 8000);
  EXPECT_DOUBLE_EQ(v.rx_pps, 10000);
}

TEST(TopView, FirstSampleRatesAreSinceStart) {
  const View v = compute(json(), before_doc(), 10.0);
  EXPECT_DOUBLE_EQ(v.rx_pps, 1000);
  EXPECT_DOUBLE_EQ(v.vips[0].pps, 800);
}

TEST(TopView, SortsAndFilters) {
  View v = compute(before_doc(), after_doc(), 1.0);
  arrange(v, SortKey::kNewFlows, "");
  EXPECT_EQ(v.vips[0].name, "web");  // 300/s
  EXPECT_EQ(v.vips[1].name, "dns");  // 100/s
  arrange(v, SortKey::kName, "");
  EXPECT_EQ(v.vips[0].name, "dns");
  EXPECT_EQ(v.vips[2].name, "web");
  arrange(v, SortKey::kActiveFlows, "");
  EXPECT_EQ(v.vips[0].name, "web");
  EXPECT_EQ(v.vips[1].name, "new");
  arrange(v, SortKey::kPps, "2001:db8");  // by address
  ASSERT_EQ(v.vips.size(), 1u);
  EXPECT_EQ(v.vips[0].name, "new");
  View w = compute(before_doc(), after_doc(), 1.0);
  arrange(w, SortKey::kPps, "dn");  // by name
  ASSERT_EQ(w.vips.size(), 1u);
  EXPECT_EQ(w.vips[0].name, "dns");
  EXPECT_EQ(parse_sort_key("active"), SortKey::kActiveFlows);
  EXPECT_FALSE(parse_sort_key("flows").has_value());
}

TEST(TopView, ScreenShowsTheNumbersInColumns) {
  View v = compute(before_doc(), after_doc(), 2.0);
  arrange(v, SortKey::kPps, "");
  const auto lines = render(v, SortKey::kPps, "", "q quit", 160, 0);
  auto find = [&](const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return l;
    return std::string();
  };
  EXPECT_NE(find("table v4").find("publishes 7 (1.0/s)"), std::string::npos);
  EXPECT_NE(find("sort pps").find("q quit"), std::string::npos);
  const std::string w = find("    1 ");
  EXPECT_NE(w.find(" 50.0 "), std::string::npos) << w;
  EXPECT_NE(w.find(" 10.0K "), std::string::npos) << w;  // rx pps
  const std::string web = find("198.18.0.100:80");
  EXPECT_EQ(web.rfind("web ", 0), 0u) << web;
  EXPECT_NE(web.find(" 6000 "), std::string::npos) << web;
  EXPECT_NE(web.find(" 20000"), std::string::npos) << web;  // packets, whole
  EXPECT_NE(find("198.18.0.11:80").find("75.0%"), std::string::npos);
  EXPECT_NE(find("drops/s:").find("no_backend 10 (30)"), std::string::npos);
  // The header columns line up with the rows under them.
  const std::string head = find("SERVICE");
  EXPECT_EQ(head.find("PACKETS") + 7, web.size());
  EXPECT_EQ(find("198.18.0.11:80").size(), web.size());
}

TEST(TopView, ScreenFitsTheWindow) {
  View v = compute(before_doc(), after_doc(), 1.0);
  const auto lines = render(v, SortKey::kPps, "", "", 40, 12);
  ASSERT_EQ(lines.size(), 12u);
  for (const auto& l : lines) EXPECT_LE(l.size(), 40u);
  EXPECT_NE(lines.back().find("more below"), std::string::npos);
  View none = compute(before_doc(), after_doc(), 1.0);
  arrange(none, SortKey::kPps, "nothing-matches");
  const auto empty = render(none, SortKey::kPps, "nothing-matches", "", 120, 0);
  EXPECT_EQ(empty.back(), "(no service matches the filter)");
}

TEST(TopView, JsonCarriesEveryFigure) {
  View v = compute(before_doc(), after_doc(), 2.0);
  const json j = to_json(v);
  EXPECT_EQ(j["table_version"], 4);
  EXPECT_EQ(j["workers"][0]["busy_pct"], 50.0);
  EXPECT_EQ(j["vips"][0]["backends"][0]["share_pct"], 75.0);
  EXPECT_EQ(j["drops"]["no_backend"]["total"], 30);
  EXPECT_EQ(j["exception_path"]["to_kernel_pps"], 1000.0);
  EXPECT_EQ(human(950), "950");
  EXPECT_EQ(human(12345), "12.3K");
  EXPECT_EQ(human(1.5e6), "1.50M");
}

}  // namespace
}  // namespace edgelb::top
