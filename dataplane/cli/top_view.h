// What `edgelb-dpctl top` shows: the rates between two samples of a dataplane's stats document
// (GetStats' `json`, the document `edgelb-dpctl show stats --json` prints), sorted, filtered and
// laid out as text or JSON. Pure functions over JSON, no I/O: tested without a dataplane.
//
// Rates are deltas over the interval. A counter that went backwards (its service or backend
// slot was reused by a new table) counts from zero; a service or backend that appeared in the
// interval counts all its packets. Busy % and cycles/packet are the interval's own (the
// document's busy_ratio and cycles_per_packet are since start).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace edgelb::top {

enum class SortKey { kPps, kBps, kNewFlows, kActiveFlows, kName };
std::optional<SortKey> parse_sort_key(const std::string& name);  // pps, bps, new, active, name
const char* sort_key_name(SortKey k);

struct WorkerRow {
  uint32_t lcore = 0;
  double busy_pct = 0;           // busy cycles / all cycles in the interval
  double cycles_per_packet = 0;  // busy cycles / packets processed in the interval
  double rx_pps = 0, tx_pps = 0, drop_pps = 0, punt_pps = 0;
  uint64_t flows = 0, flow_capacity = 0;  // now
};

struct BackendRow {
  std::string endpoint;  // address:port ([v6]:port)
  std::string state;     // up, drain, down
  double pps = 0;
  double share_pct = 0;  // of its VIP's backend packets in the interval
  uint64_t active_flows = 0, packets = 0;
};

struct VipRow {
  std::string name, endpoint, protocol, forwarding;
  double pps = 0, bps = 0, new_flows_ps = 0;
  uint64_t active_flows = 0, packets = 0, bytes = 0, new_flows = 0;  // now (totals)
  std::vector<BackendRow> backends;
};

struct ReasonRow {
  std::string reason;
  double per_s = 0;
  uint64_t total = 0;
};

struct View {
  double interval_s = 0;
  uint64_t table_version = 0, publishes = 0;
  double publishes_ps = 0;
  double last_grace_period_us = 0;  // the last table publish: until every worker had moved on
  bool draining = false;
  double rx_pps = 0, tx_pps = 0, drop_pps = 0, punt_pps = 0;
  uint64_t flows = 0, flow_capacity = 0;
  double to_kernel_pps = 0, from_kernel_pps = 0, to_kernel_bps = 0, from_kernel_bps = 0;
  std::vector<WorkerRow> workers;
  std::vector<VipRow> vips;
  std::vector<ReasonRow> drops, punts;  // reasons with a count, busiest first
};

// `before` may be null (the first sample: rates since start over `seconds`).
View compute(const nlohmann::json& before, const nlohmann::json& after, double seconds);

// Keeps the VIPs whose name or address:port contains `filter` (all when empty) and sorts them
// by `key`: rates and flows descending, names ascending; ties by name.
void arrange(View& view, SortKey key, const std::string& filter);

nlohmann::json to_json(const View& view);

// The screen: at most `height` lines of at most `width` columns. `status` is shown in the
// header (the keys, or the filter being typed).
std::vector<std::string> render(const View& view, SortKey key, const std::string& filter, const std::string& status,
                                int width, int height);

// 1234 -> "1234", 12345 -> "12.3K", 1.5e6 -> "1.50M" (rates; totals are printed whole).
std::string human(double v);

}  // namespace edgelb::top
