// edgelb-dataplane: DPDK poll-mode L4 load balancer.
//
//   edgelb-dataplane --config dataplane.yaml [--services services.yaml]
//   edgelb-dataplane --services services.yaml --pcap-in in.pcap --pcap-out out.pcap
//                    [--stats-json stats.json] [--config dataplane.yaml]
//                    [--phase services2.yaml in2.pcap out2.pcap]...
//
// The second form is the file-driven mode: one net_pcap port, one worker, runs until the
// input has been idle for --until-idle-ms (default 300), writes the output pcap and the
// stats JSON (stdout when --stats-json is not given), then exits. Each --phase adds a later
// step: once the previous input is idle, its service table is published (exactly as a control
// update would be) and its input is fed, keeping the flow table: this is how fixtures check
// what a table change does to existing flows.
// --pcap-kernel IN.pcap OUT.pcap gives port 0 a pcap exception path in file mode: OUT gets the
// frames punted to the kernel, IN plays frames "from the kernel" that go out on port 0.
// SIGHUP re-reads the services file and publishes it (invalid files are rejected, the
// current table keeps serving). SIGINT/SIGTERM stop cleanly.
//
// Exception path (ports[].exception): each data port gets a kernel-facing net_tap with the
// port's MAC and the configured host addresses; VIP addresses are added there too, and the
// kernel's neighbour table on those interfaces provides backend/gateway MACs.
//
// This file only wires the parts together: options.cc (command line + config), file_mode.cc,
// dataplane.cc (everything the process owns, set up and torn down in one place) and
// control_loop.cc (what the main lcore does while the workers run).
#include <rte_eal.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "app/control_loop.h"
#include "app/dataplane.h"
#include "app/file_mode.h"
#include "app/options.h"
#include "config/service_file.h"
#include "config/yaml_reader.h"
#include "io/eal.h"
#include "service/snapshot_builder.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
void on_stop(int) { g_stop = 1; }
void on_hup(int) { g_reload = 1; }

void write_stats(const std::string& where, const nlohmann::json& stats) {
  if (where.empty()) return;
  const std::string text = stats.dump(2) + "\n";
  if (where == "-")
    std::fwrite(text.data(), 1, text.size(), stdout);
  else
    std::ofstream(where) << text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgelb;
  Options opt;
  try {
    if (!parse_options(argc, argv, opt)) {
      print_usage();
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    print_usage();
    return 2;
  }

  DataplaneConfig cfg;
  TableSpec spec;
  std::vector<NicProfile> profiles;
  try {
    cfg = resolve_config(opt);
    spec = load_service_file(cfg.services_file);
    if (auto errors = SnapshotBuilder(cfg.forwarding).validate(spec); !errors.empty()) {
      print_rejected(cfg.services_file, errors);
      return 2;
    }
    profiles = load_nic_profiles(find_profiles_dir(cfg.nic_profiles_dir));
  } catch (const std::exception& e) {  // ConfigError included: its text lists every problem
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    return 2;
  }

  std::vector<std::string> vdevs;
  for (const auto& p : cfg.ports)
    if (!is_pci_address(p.device)) vdevs.push_back(p.device);
  for (const auto& p : cfg.ports)
    if (is_pci_address(p.device) &&
        std::find(cfg.eal.pci_allow.begin(), cfg.eal.pci_allow.end(), p.device) == cfg.eal.pci_allow.end()) {
      std::fprintf(stderr, "edgelb-dataplane: port %s is a PCI device but not in eal.pci_allow\n", p.device.c_str());
      return 2;
    }
  const bool huge = cfg.eal.hugepages == HugepageMode::kOn ||
                    (cfg.eal.hugepages == HugepageMode::kAuto && hugepages_available(cfg.eal.memory_mb));
  try {
    eal_init(eal_arguments(argv[0], cfg.eal, cfg.workers, vdevs, huge));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    return 1;
  }
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  std::signal(SIGHUP, on_hup);

  int rc = 0;
  {
    // File mode feeds one input port at a time; other modes poll every port.
    std::optional<PhaseSequencer> phases;
    if (opt.file_mode()) phases.emplace(opt.phases, cfg.ports.size());
    Dataplane dp(cfg, std::move(profiles));
    try {
      dp.setup(phases ? &*phases : nullptr);
      if (!cfg.control_socket.empty() && std::filesystem::exists(drain_marker(cfg.control_socket))) {
        dp.tables().set_draining(true);  // before the first table: no new flow slips through
        std::fprintf(stderr, "edgelb-dataplane: starting drained (%s); edgelb-dpctl drain --off takes new flows\n",
                     drain_marker(cfg.control_socket).c_str());
      }
      dp.start(spec);
      if (!cfg.metrics_listen.empty()) dp.start_metrics(cfg.metrics_listen);
      std::fprintf(stderr, "edgelb-dataplane: %zu worker(s), %zu port(s), %zu service(s), table version %llu, %s\n",
                   dp.worker_count(), dp.port_count(), spec.services.size(),
                   static_cast<unsigned long long>(spec.version), huge ? "hugepages" : "no hugepages");
      if (!cfg.control_socket.empty()) {
        dp.start_control_service(cfg.control_socket);
        std::fprintf(stderr, "edgelb-dataplane: control service on unix:%s\n", cfg.control_socket.c_str());
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
      rc = 1;
    }
    // systemd's Type=notify: ports, workers, metrics and the control socket are up.
    if (rc == 0 && !phases)
      sd_notifyf(0, "READY=1\nSTATUS=%zu worker(s), %zu port(s), table version %llu", dp.worker_count(),
                 dp.port_count(), static_cast<unsigned long long>(spec.version));
    if (rc == 0) rc = run_control_loop(dp, cfg, phases ? &*phases : nullptr, {&g_stop, &g_reload});
    if (!phases) sd_notify(0, "STOPPING=1");
    dp.stop();
    write_stats(cfg.stats_json, to_json(dp.final_stats()));
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  // Remove this process's own runtime directory (/var/run/dpdk/<file-prefix>).
  std::error_code ec;
  if (runtime_dir.find("/dpdk/") != std::string::npos) std::filesystem::remove_all(runtime_dir, ec);
  return rc;
}
