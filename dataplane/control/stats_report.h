// The dataplane's statistics as one typed value (control side, on read): per-worker counters
// aggregated into totals, per service and backend, per port, the exception path, NAT and RCU.
// The workers keep writing while it reads; every number is a recent value of its counter.
// It is serialized only at the edges: to_json() for `edgelb-dpctl stats --json` and the
// stats file, the GetStats proto (control_service.cc), the Prometheus families
// (metrics/metrics_exporter.h) and the one-line summary (stats_line()). Reasons and states stay
// enums until then. A plain value; thread-safe to copy and read.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conntrack/flow_table.h"
#include "conntrack/nat_table.h"
#include "packet/drop_reason.h"
#include "packet/punt_reason.h"
#include "service/service_snapshot.h"
#include "service/service_spec.h"
#include "stats/worker_stats.h"

namespace edgelb {

struct WorkerStatsSource {
  uint32_t lcore = 0;
  const WorkerStats* stats = nullptr;
  const FlowTable* flows = nullptr;
  bool flow_memory_on_hugepages = false;
  const NatCounters* nat = nullptr;  // workers with a NAT pool
};

struct PortStatsSource {
  std::string name, driver, profile, mac;
  uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0, imissed = 0, ierrors = 0, oerrors = 0, rx_nombuf = 0;
  std::vector<std::string> warnings;
};

struct RcuStatsSource {
  uint64_t publishes = 0, last_grace_ns = 0, max_grace_ns = 0;
};

using DropCounts = std::array<uint64_t, kDropReasonCount>;  // by DropReason
using PuntCounts = std::array<uint64_t, kPuntReasonCount>;  // by PuntReason

struct ConntrackReport {
  uint64_t capacity = 0, occupancy = 0, inserts = 0, evictions = 0, expired = 0, syn_not_tracked = 0;
  bool syn_flood_active = false, hugepage_memory = false;
};

struct WorkerReport {
  uint32_t lcore = 0;
  uint64_t rx_packets = 0, tx_packets = 0, forwarded = 0, to_kernel_packets = 0, from_kernel_packets = 0;
  DropCounts drops{};
  PuntCounts punted{};
  // The raw cycle counters (rates over an interval: edgelb-dpctl top) and their ratios.
  uint64_t busy_cycles = 0, total_cycles = 0, processed_packets = 0, loops = 0, max_loop_cycles = 0;
  double busy_ratio = 0, cycles_per_packet = 0;
  ConntrackReport conntrack;
};

struct StatsTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, forwarded = 0, rebalanced = 0;
  uint64_t icmp_too_big_steered = 0, icmp_too_big_sent = 0;
  DropCounts drops{};
  PuntCounts punted{};
  uint64_t drops_total = 0, punted_total = 0;
  double busy_ratio = 0, cycles_per_packet = 0;
  uint64_t flows = 0, flow_capacity = 0;
};

struct BackendReport {
  IpAddress address;
  uint16_t port = 0;
  BackendState state = BackendState::kUp;
  std::optional<MacAddress> next_hop;  // nullopt: not resolved yet ("unknown")
  uint64_t packets = 0, bytes = 0, active_flows = 0;
};

struct ServiceReport {
  std::string name;
  IpAddress vip;
  uint16_t port = 0;
  uint8_t protocol = 6;  // IPPROTO_TCP / IPPROTO_UDP
  ForwardingMode forwarding = ForwardingMode::kDsr;
  uint64_t packets = 0, bytes = 0, new_flows = 0, active_flows = 0;
  std::vector<BackendReport> backends;
};

struct StatsReport {
  uint64_t tsc_hz = 0;  // the workers' cycle counter frequency (0: not known)
  uint64_t table_version = 0;
  bool draining = false;
  StatsTotals totals;
  struct {
    uint64_t to_kernel_packets = 0, to_kernel_bytes = 0, from_kernel_packets = 0, from_kernel_bytes = 0;
  } exception_path;
  struct {
    uint64_t sessions_active = 0, sessions_allocated = 0, ports_exhausted = 0, replies = 0, handoffs_out = 0,
             handoffs_in = 0;
  } nat;
  std::vector<WorkerReport> workers;
  std::vector<ServiceReport> services;
  std::vector<PortStatsSource> ports;
  RcuStatsSource rcu;
};

StatsReport stats_report(const std::vector<WorkerStatsSource>& workers, const ServiceSnapshot* snap,
                         const std::vector<PortStatsSource>& ports, const RcuStatsSource& rcu);

// The stats document: the keys edgelb-dpctl, the stats file and the tests read (docs/dataplane.md).
nlohmann::json to_json(const StatsReport& r);

// One human line: "rx 1.20 Mpps tx 1.19 Mpps drops 12 flows 4096 busy 37%"; `before` null: the
// rates count from zero.
std::string stats_line(const StatsReport& now, const StatsReport* before, double seconds);

}  // namespace edgelb
