// Aggregates per-worker counters into one JSON document (control side, on read). The workers
// keep writing while this reads; every number is a recent value of its counter.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "conntrack/flow_table.h"
#include "conntrack/nat_table.h"
#include "service/service_snapshot.h"
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

nlohmann::json stats_json(const std::vector<WorkerStatsSource>& workers, const ServiceSnapshot* snap,
                          const std::vector<PortStatsSource>& ports, const RcuStatsSource& rcu);

// One human line: "rx 1.20 Mpps tx 1.19 Mpps drops 12 flows 4096 busy 37%".
std::string stats_line(const nlohmann::json& now, const nlohmann::json& before, double seconds);

}  // namespace edgelb
