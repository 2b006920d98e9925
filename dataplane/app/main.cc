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
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "config/dataplane_config.h"
#include "config/nic_profile.h"
#include "config/service_file.h"
#include "config/yaml_reader.h"
#include "control/control_service.h"
#include "control/table_manager.h"
#include "io/eal.h"
#include "io/port.h"
#include "kernel/address_sync.h"
#include "kernel/neighbor_table.h"
#include "kernel/netlink.h"
#include "metrics/metrics_exporter.h"
#include "service/snapshot_builder.h"
#include "service/snapshot_publisher.h"
#include "stats/stats_report.h"
#include "worker/worker.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
void on_stop(int) { g_stop = 1; }
void on_hup(int) { g_reload = 1; }

struct Phase {
  std::string services, pcap_in, pcap_out;
};

struct Options {
  std::vector<Phase> phases;  // after the first
  std::string config, services, pcap_in, pcap_out, stats_json, file_prefix, pcap_kernel_in, pcap_kernel_out,
      control_socket;
  long until_idle_ms = -1, duration_s = -1, stats_interval_s = -1;
  bool no_huge = false;
};

void usage() {
  std::fprintf(stderr,
               "usage: edgelb-dataplane [--config FILE] [--services FILE]\n"
               "                        [--pcap-in IN.pcap --pcap-out OUT.pcap] [--stats-json FILE|-]\n"
               "                        [--until-idle-ms N] [--duration S] [--stats-interval S]\n"
               "                        [--phase SERVICES IN.pcap OUT.pcap]...\n"
               "                        [--pcap-kernel FROM_KERNEL.pcap TO_KERNEL.pcap]\n"
               "                        [--control-socket PATH] [--file-prefix NAME] [--no-huge]\n");
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config")
      o.config = next();
    else if (a == "--services")
      o.services = next();
    else if (a == "--pcap-in")
      o.pcap_in = next();
    else if (a == "--pcap-out")
      o.pcap_out = next();
    else if (a == "--stats-json")
      o.stats_json = next();
    else if (a == "--until-idle-ms")
      o.until_idle_ms = std::stol(next());
    else if (a == "--duration")
      o.duration_s = std::stol(next());
    else if (a == "--stats-interval")
      o.stats_interval_s = std::stol(next());
    else if (a == "--file-prefix")
      o.file_prefix = next();
    else if (a == "--control-socket")
      o.control_socket = next();
    else if (a == "--no-huge")
      o.no_huge = true;
    else if (a == "--pcap-kernel") {
      o.pcap_kernel_in = next();
      o.pcap_kernel_out = next();
    } else if (a == "--phase") {
      Phase p;
      p.services = next();
      p.pcap_in = next();
      p.pcap_out = next();
      o.phases.push_back(p);
    } else if (a == "-h" || a == "--help")
      return false;
    else
      throw std::invalid_argument("unknown argument " + a);
  }
  return true;
}

std::string find_profiles_dir(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("EDGELB_NIC_PROFILES")) return env;
  fs::path exe = fs::read_symlink("/proc/self/exe").parent_path();
  for (fs::path cand : {exe / "../share/edgelb/nic-profiles", exe / "../../nic-profiles", exe / "../nic-profiles",
                        fs::path(EDGELB_SOURCE_DIR) / "nic-profiles"})
    if (fs::is_directory(cand)) return fs::canonical(cand).string();
  throw std::runtime_error("cannot find nic-profiles/; set nic_profiles_dir or EDGELB_NIC_PROFILES");
}

void print_errors(const std::string& what, const std::vector<edgelb::FieldError>& errors) {
  std::fprintf(stderr, "edgelb-dataplane: %s rejected (%zu error(s)):\n", what.c_str(), errors.size());
  for (const auto& e : errors) std::fprintf(stderr, "  %s: %s\n", e.path.c_str(), e.reason.c_str());
}

int launch_worker(void* arg) { return static_cast<edgelb::Worker*>(arg)->run(); }

bool is_tap(const edgelb::ExceptionConfig& e) { return e.device.rfind("net_tap", 0) == 0; }

// The kernel side of the exception path: TAP interfaces up with their host addresses, the
// neighbour table over them, and VIP addresses kept on the first one.
struct KernelSide {
  std::unique_ptr<edgelb::Netlink> netlink;
  std::unique_ptr<edgelb::NeighborTable> neighbors;
  std::unique_ptr<edgelb::AddressSync> vip_addresses;
};

KernelSide setup_kernel_side(const edgelb::DataplaneConfig& cfg) {
  using namespace edgelb;
  KernelSide k;
  std::vector<KernelLink> links;
  for (const auto& pc : cfg.ports) {
    if (!pc.exception.enabled || !is_tap(pc.exception)) continue;
    if (!k.netlink) k.netlink = std::make_unique<Netlink>(true);
    KernelLink l;
    l.ifindex = Netlink::ifindex(pc.exception.interface);
    if (!l.ifindex) throw std::runtime_error("exception interface " + pc.exception.interface + " did not appear");
    for (const auto& a : pc.exception.addresses) {
      k.netlink->add_address(l.ifindex, a);
      l.prefixes.push_back(a);
    }
    k.netlink->set_link_up(l.ifindex);
    l.gateways = pc.exception.gateways;
    links.push_back(l);
  }
  if (links.empty()) return k;
  if (cfg.exception_path.vip_addresses)
    k.vip_addresses = std::make_unique<AddressSync>(*k.netlink, links.front().ifindex);
  k.neighbors = std::make_unique<NeighborTable>(*k.netlink, std::move(links));
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgelb;
  Options opt;
  try {
    if (!parse_args(argc, argv, opt)) {
      usage();
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    usage();
    return 2;
  }

  DataplaneConfig cfg;
  TableSpec spec;
  std::vector<NicProfile> profiles;
  try {
    if (!opt.config.empty()) cfg = load_dataplane_config(opt.config);
    if (!opt.services.empty()) cfg.services_file = opt.services;
    if (!opt.file_prefix.empty()) cfg.eal.file_prefix = opt.file_prefix;
    if (!opt.control_socket.empty()) cfg.control_socket = opt.control_socket;
    if (opt.no_huge) cfg.eal.hugepages = HugepageMode::kOff;
    const bool file_mode = !opt.pcap_in.empty();
    if (file_mode) {
      if (opt.pcap_out.empty()) throw std::invalid_argument("--pcap-in needs --pcap-out");
      ExceptionConfig ex = cfg.ports.empty() ? ExceptionConfig{} : cfg.ports[0].exception;
      if (!opt.pcap_kernel_in.empty()) {
        ex.enabled = true;
        ex.device = "net_pcap_kernel0,rx_pcap=" + opt.pcap_kernel_in + ",tx_pcap=" + opt.pcap_kernel_out;
      } else {
        ex.enabled = false;
      }
      cfg.ports = {
          PortConfig{"net_pcap0,rx_pcap=" + opt.pcap_in + ",tx_pcap=" + opt.pcap_out, std::nullopt, "auto", ex}};
      for (size_t i = 0; i < opt.phases.size(); ++i)
        cfg.ports.push_back(PortConfig{"net_pcap" + std::to_string(i + 1) + ",rx_pcap=" + opt.phases[i].pcap_in +
                                           ",tx_pcap=" + opt.phases[i].pcap_out,
                                       std::nullopt,
                                       "auto",
                                       {}});
      if (opt.config.empty()) {
        cfg.workers = {1};
        cfg.eal.memory_mb = 256;
        cfg.conntrack.capacity = 65536;
      }
      if (cfg.until_idle_ms == 0) cfg.until_idle_ms = 300;
      if (opt.stats_json.empty() && cfg.stats_json.empty()) cfg.stats_json = "-";
    }
    if (opt.until_idle_ms >= 0) cfg.until_idle_ms = uint32_t(opt.until_idle_ms);
    if (opt.duration_s >= 0) cfg.duration_s = uint32_t(opt.duration_s);
    if (opt.stats_interval_s >= 0) cfg.stats_interval_s = uint32_t(opt.stats_interval_s);
    if (!opt.stats_json.empty()) cfg.stats_json = opt.stats_json;
    if (!opt.phases.empty() && !file_mode) throw std::invalid_argument("--phase needs --pcap-in");
    if (cfg.ports.empty()) throw std::invalid_argument("no ports configured (ports: in the config, or --pcap-in)");
    if (cfg.services_file.empty()) throw std::invalid_argument("no service table (--services or services_file:)");
    for (uint32_t w : cfg.workers)
      if (w == cfg.eal.main_lcore)
        throw std::invalid_argument("worker lcore " + std::to_string(w) + " is the main lcore");

    for (size_t i = 0; i < cfg.ports.size(); ++i) {
      auto& ex = cfg.ports[i].exception;
      if (ex.enabled && ex.device.empty()) ex.device = "net_tap" + std::to_string(i) + ",iface=" + ex.interface;
    }

    spec = load_service_file(cfg.services_file);
    if (auto errors = SnapshotBuilder(cfg.forwarding).validate(spec); !errors.empty()) {
      print_errors(cfg.services_file, errors);
      return 2;
    }
    profiles = load_nic_profiles(find_profiles_dir(cfg.nic_profiles_dir));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
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
  SnapshotPublisher publisher;
  TableManager tables(cfg.forwarding, publisher);
  KernelSide kernel;
  std::unique_ptr<MetricsExporter> metrics;
  std::unique_ptr<ControlServer> control;
  std::atomic<bool> workers_running{false};
  // File mode feeds one input port at a time; other modes poll every port.
  const bool gated = !opt.pcap_in.empty();
  std::vector<std::unique_ptr<std::atomic<bool>>> gates;
  for (size_t i = 0; i < cfg.ports.size(); ++i) gates.push_back(std::make_unique<std::atomic<bool>>(i == 0));
  size_t phase = 0;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<rte_ring*> handoff_rings;
  std::vector<PortRuntime> ports;
  int rc = 0;
  try {
    eal_init(eal_arguments(argv[0], cfg.eal, cfg.workers, vdevs, huge));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    return 1;
  }
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  std::signal(SIGHUP, on_hup);

  try {
    for (uint32_t w : cfg.workers)
      if (!rte_lcore_is_enabled(w)) throw std::runtime_error("worker lcore " + std::to_string(w) + " is not enabled");
    const uint16_t nworkers = uint16_t(cfg.workers.size());
    const size_t ndata = cfg.ports.size();
    for (const auto& pc : cfg.ports) ports.push_back(setup_port(pc, profiles, nworkers));
    // Exception ports come after the data ports; kernel_of[i] is port i's, or -1.
    std::vector<int> kernel_of(ndata, -1);
    for (size_t i = 0; i < ndata; ++i) {
      const auto& ex = cfg.ports[i].exception;
      if (!ex.enabled) continue;
      std::string dev = ex.device;
      if (is_tap(ex)) dev += ",mac=" + ports[i].mac.to_string();
      attach_vdev(dev);
      PortConfig kc{dev, ports[i].mac, "auto", {}};
      kernel_of[i] = int(ports.size());
      ports.push_back(setup_port(kc, profiles, nworkers));
    }
    kernel = setup_kernel_side(cfg);
    if (kernel.neighbors) tables.set_resolver(kernel.neighbors.get());
    if (kernel.vip_addresses)
      tables.set_on_publish([&kernel, &cfg](const TableSpec& s) {
        try {
          // VIPs and NAT pool addresses: the kernel answers ARP/ND for them (backends reply to
          // the pool addresses) and ping; HAProxy binds L7 VIPs.
          std::vector<IpAddress> local = AddressSync::vip_addresses(s);
          local.insert(local.end(), cfg.forwarding.nat_pool.begin(), cfg.forwarding.nat_pool.end());
          kernel.vip_addresses->sync(local);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "edgelb-dataplane: VIP addresses on the kernel side: %s\n", e.what());
        }
      });
    for (size_t i = 0; i < cfg.workers.size(); ++i) {
      std::vector<WorkerQueue> qs;
      for (size_t pi = 0; pi < ndata; ++pi) {
        WorkerQueue q;
        q.port_id = ports[pi].port_id;
        q.queue_id = uint16_t(i);
        q.port_mac = ports[pi].mac;
        q.burst_size = ports[pi].profile.burst_size;
        q.enabled = gated ? gates[pi].get() : nullptr;
        if (kernel_of[pi] >= 0) {
          q.has_kernel = true;
          q.kernel_port_id = ports[size_t(kernel_of[pi])].port_id;
          q.kernel_queue_id = uint16_t(i);
          q.punt_rate_pps = (cfg.exception_path.punt_rate_pps + nworkers - 1) / nworkers;  // 0 stays unlimited
          q.punt_burst = std::max<uint64_t>(1, cfg.exception_path.punt_burst / nworkers);
        }
        qs.push_back(q);
      }
      workers.push_back(std::make_unique<Worker>(cfg.workers[i], std::move(qs), cfg.conntrack, cfg.forwarding,
                                                 publisher, uint16_t(i), nworkers));
    }
    if (!cfg.forwarding.nat_pool.empty() && nworkers > 1) {
      // NAT replies reach the worker owning their port through these rings.
      for (uint16_t i = 0; i < nworkers; ++i) {
        const std::string name = "elb_handoff_" + std::to_string(i);
        rte_ring* r = rte_ring_create(name.c_str(), 4096, int(rte_socket_id()), RING_F_SC_DEQ);
        if (!r) throw std::runtime_error("cannot create NAT hand-off ring " + name);
        handoff_rings.push_back(r);
      }
      for (auto& w : workers) w->set_handoff_rings(handoff_rings);
    }
    if (auto errors = tables.apply(spec); !errors.empty()) {
      print_errors(cfg.services_file, errors);
      throw std::runtime_error("initial service table rejected");
    }
    if (!cfg.metrics_listen.empty()) metrics = std::make_unique<MetricsExporter>(cfg.metrics_listen);
    for (auto& w : workers) {
      if (int r = rte_eal_remote_launch(launch_worker, w.get(), w->lcore()); r != 0)
        throw std::runtime_error("cannot launch worker on lcore " + std::to_string(w->lcore()));
    }
    std::fprintf(stderr, "edgelb-dataplane: %zu worker(s), %zu port(s), %zu service(s), table version %llu, %s\n",
                 workers.size(), ports.size(), spec.services.size(), static_cast<unsigned long long>(spec.version),
                 huge ? "hugepages" : "no hugepages");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    rc = 1;
    g_stop = 1;
  }

  auto collect = [&]() {
    std::vector<WorkerStatsSource> ws;
    for (auto& w : workers)
      ws.push_back({w->lcore(), &w->stats(), &w->flows(), w->flow_memory_on_hugepages(),
                    w->nat() ? &w->nat()->counters() : nullptr});
    std::vector<PortStatsSource> ps;
    for (auto& p : ports) {
      rte_eth_stats s{};
      rte_eth_stats_get(p.port_id, &s);
      ps.push_back({p.name, p.driver, p.profile.name, p.mac.to_string(), s.ipackets, s.opackets, s.ibytes, s.obytes,
                    s.imissed, s.ierrors, s.oerrors, s.rx_nombuf, p.warnings});
    }
    // Under the table lock: the snapshot cannot be freed by a concurrent publish meanwhile.
    return tables.read([&](const TableSpec&, const ServiceSnapshot* snap) {
      auto js = stats_json(ws, snap, ps,
                           {publisher.publishes(), publisher.last_grace_period_ns(), publisher.max_grace_period_ns()});
      js["tsc_hz"] = rte_get_tsc_hz();
      return js;
    });
  };
  if (rc == 0 && !cfg.control_socket.empty()) {
    try {
      ControlHooks hooks;
      hooks.stats = collect;
      hooks.workers = uint32_t(workers.size());
      hooks.serving = [&workers_running] { return workers_running.load(); };
      hooks.publishes = [&publisher] { return publisher.publishes(); };
      hooks.list_flows = [&workers](const FlowQuery& q, FlowListing* out) {
        for (auto& w : workers) {  // a worker asked for 0 more only says whether it has any
          FlowQuery wq = q;
          wq.limit = q.limit - uint32_t(out->flows.size());
          FlowListing part;
          if (!w->list_flows(wq, 2000, &part)) return false;
          out->flows.insert(out->flows.end(), part.flows.begin(), part.flows.end());
          out->truncated = out->truncated || part.truncated;
        }
        return true;
      };
      control = std::make_unique<ControlServer>(cfg.control_socket, tables, std::move(hooks));
      std::fprintf(stderr, "edgelb-dataplane: control service on unix:%s\n", cfg.control_socket.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
      rc = 1;
      g_stop = 1;
    }
  }
  workers_running = rc == 0;

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto last_change = start, last_print = start;
  uint64_t last_rx = 0;
  auto last_resolve = start, last_metrics = start - std::chrono::seconds(1);
  size_t unresolved_reported = SIZE_MAX;
  nlohmann::json last_stats;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = clock::now();
    uint64_t rx = 0;
    for (auto& w : workers) rx += w->stats().rx_packets.get() + w->stats().from_kernel_packets.get();
    if (kernel.neighbors) {
      try {
        if (kernel.neighbors->poll()) tables.rebuild();
        if (now - last_resolve >= std::chrono::milliseconds(200)) {
          last_resolve = now;
          auto missing = kernel.neighbors->resolve_missing();
          if (missing.size() != unresolved_reported) {
            unresolved_reported = missing.size();
            std::string list;
            for (const auto& a : missing) list += " " + a.to_string();
            if (!missing.empty())
              std::fprintf(
                  stderr,
                  "edgelb-dataplane: next hop MAC unknown for%s (resolving; their backends drop as no_next_hop)\n",
                  list.c_str());
          }
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "edgelb-dataplane: neighbour table: %s\n", e.what());
      }
    }
    if (rx != last_rx) {
      last_rx = rx;
      last_change = now;
    }
    if (cfg.until_idle_ms && now - last_change >= std::chrono::milliseconds(cfg.until_idle_ms)) {
      if (phase >= opt.phases.size()) break;
      // Next phase: stop feeding this input, publish the phase's table, feed the next input.
      gates[phase]->store(false, std::memory_order_release);
      try {
        if (auto errors = tables.apply(load_service_file(opt.phases[phase].services)); !errors.empty()) {
          print_errors(opt.phases[phase].services, errors);
          rc = 2;
          break;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
        rc = 2;
        break;
      }
      ++phase;
      gates[phase]->store(true, std::memory_order_release);
      last_change = clock::now();
      continue;
    }
    if (cfg.duration_s && now - start >= std::chrono::seconds(cfg.duration_s)) break;
    if (metrics && now - last_metrics >= std::chrono::milliseconds(250)) {
      metrics->update(collect());
      last_metrics = now;
    }
    if (cfg.stats_interval_s && now - last_print >= std::chrono::seconds(cfg.stats_interval_s)) {
      auto js = collect();
      const double secs = std::chrono::duration<double>(now - last_print).count();
      std::fprintf(stderr, "edgelb-dataplane: %s\n", stats_line(js, last_stats, secs).c_str());
      last_stats = std::move(js);
      last_print = now;
    }
    if (g_reload) {
      g_reload = 0;
      try {
        TableSpec next = load_service_file(cfg.services_file);
        if (auto errors = tables.apply(next); !errors.empty()) {
          const uint64_t live = tables.read([](const TableSpec& t, const ServiceSnapshot*) { return t.version; });
          print_errors(cfg.services_file + " (reload; still serving version " + std::to_string(live) + ")", errors);
        } else {
          std::fprintf(stderr, "edgelb-dataplane: published table version %llu\n",
                       static_cast<unsigned long long>(next.version));
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "edgelb-dataplane: reload failed, still serving: %s\n", e.what());
      }
    }
  }

  control.reset();  // no control calls (flow listings need running workers) past this point
  workers_running = false;
  for (auto& w : workers) w->stop();
  rte_eal_mp_wait_lcore();
  nlohmann::json final_stats = collect();
  for (auto& p : ports) stop_port(p);
  if (!cfg.stats_json.empty()) {
    const std::string text = final_stats.dump(2) + "\n";
    if (cfg.stats_json == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      std::ofstream(cfg.stats_json) << text;
    }
  }
  workers.clear();
  for (rte_ring* r : handoff_rings) {  // frames still queued there go back to their pools
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0 && m) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  // Remove this process's own runtime directory (/var/run/dpdk/<file-prefix>).
  std::error_code ec;
  if (runtime_dir.find("/dpdk/") != std::string::npos) std::filesystem::remove_all(runtime_dir, ec);
  return rc;
}
