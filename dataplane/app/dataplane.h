// The running dataplane: the data ports and their exception ports, the kernel side (TAP
// addresses, neighbour table, VIP addresses), the table manager and its RCU publisher, the
// workers and their NAT hand-off rings, and the optional metrics endpoint and control service.
// It owns all of them and tears them down in one place, in one order (stop(): control service,
// workers, final stats, ports; then the rings), as GLB's main/control loop split keeps set-up
// apart from the loops. Needs rte_eal_init() done; one per process; used from the main thread.
#pragma once

#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/file_mode.h"
#include "config/dataplane_config.h"
#include "config/nic_profile.h"
#include "control/control_service.h"
#include "control/table_manager.h"
#include "io/port.h"
#include "kernel/address_sync.h"
#include "kernel/neighbor_table.h"
#include "kernel/netlink.h"
#include "metrics/metrics_exporter.h"
#include "service/snapshot_publisher.h"
#include "worker/worker.h"

namespace edgelb {

// Prints a rejected table or config: "edgelb-dataplane: <what> rejected (N error(s)):" + paths.
void print_rejected(const std::string& what, const FieldErrors& errors);

// The file that remembers a node drain across dataplane restarts (not reboots): `draining`
// next to the control socket (/run/edgelb/draining). A dataplane that finds it at start
// starts drained, so an upgraded one is checked before it takes new flows.
std::string drain_marker(const std::string& control_socket);

class Dataplane {
 public:
  // Nothing is set up yet: setup() does it (and may throw); stop()/~Dataplane undo what was done.
  Dataplane(const DataplaneConfig& cfg, std::vector<NicProfile> profiles);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Ports (data, then one exception port per data port that has one), the kernel side and the
  // workers (reading only the inputs whose gate is open when `phases` is given). Throws.
  void setup(PhaseSequencer* phases);
  // Publishes the first table and launches the workers. Throws when the table is rejected.
  void start(const TableSpec& table);
  void start_metrics(const std::string& listen);          // throws
  void start_control_service(const std::string& socket);  // throws
  // Control service, workers (waits for their lcores), final statistics, ports. Idempotent.
  void stop();

  // The statistics (control/stats_report.h), aggregated from every worker and port.
  StatsReport stats();
  const StatsReport& final_stats() const { return final_stats_; }
  uint64_t packets_in() const;  // received from the wire and from the kernel, all workers
  TableManager& tables() { return tables_; }
  NeighborTable* neighbors() { return neighbors_.get(); }
  MetricsExporter* metrics() { return metrics_.get(); }
  size_t worker_count() const { return workers_.size(); }
  size_t port_count() const { return ports_.size(); }

 private:
  void setup_kernel_side();

  const DataplaneConfig& cfg_;
  std::vector<NicProfile> profiles_;
  SnapshotPublisher publisher_;
  TableManager tables_;
  std::unique_ptr<Netlink> netlink_;
  std::unique_ptr<NeighborTable> neighbors_;
  std::unique_ptr<AddressSync> vip_addresses_;
  std::vector<PortRuntime> ports_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<rte_ring*> handoff_rings_;
  std::unique_ptr<MetricsExporter> metrics_;
  std::unique_ptr<ControlServer> control_;
  std::atomic<bool> workers_running_{false};
  bool launched_ = false, stopped_ = false;
  StatsReport final_stats_;
};

}  // namespace edgelb
