#include "app/dataplane.h"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/stats_report.h"

namespace edgelb {
namespace {

int launch_worker(void* arg) { return static_cast<Worker*>(arg)->run(); }

bool is_tap(const ExceptionConfig& e) { return e.device.rfind("net_tap", 0) == 0; }

}  // namespace

void print_rejected(const std::string& what, const FieldErrors& errors) {
  std::fprintf(stderr, "edgelb-dataplane: %s rejected (%zu error(s)):\n", what.c_str(), errors.size());
  for (const auto& e : errors) std::fprintf(stderr, "  %s: %s\n", e.path.c_str(), e.reason.c_str());
}

Dataplane::Dataplane(const DataplaneConfig& cfg, std::vector<NicProfile> profiles)
    : cfg_(cfg), profiles_(std::move(profiles)), tables_(cfg.forwarding, publisher_) {}

Dataplane::~Dataplane() {
  stop();
  workers_.clear();
  for (rte_ring* r : handoff_rings_) {  // frames still queued there go back to their pools
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0 && m) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
}

// The kernel side of the exception path: TAP interfaces up with their host addresses, the
// neighbour table over them, and VIP addresses kept on the first one.
void Dataplane::setup_kernel_side() {
  std::vector<KernelLink> links;
  for (const auto& pc : cfg_.ports) {
    if (!pc.exception.enabled || !is_tap(pc.exception)) continue;
    if (!netlink_) netlink_ = std::make_unique<Netlink>(true);
    KernelLink l;
    l.ifindex = Netlink::ifindex(pc.exception.interface);
    if (!l.ifindex) throw std::runtime_error("exception interface " + pc.exception.interface + " did not appear");
    for (const auto& a : pc.exception.addresses) {
      netlink_->add_address(l.ifindex, a);
      l.prefixes.push_back(a);
    }
    netlink_->set_link_up(l.ifindex);
    l.gateways = pc.exception.gateways;
    links.push_back(l);
  }
  if (links.empty()) return;
  if (cfg_.exception_path.vip_addresses)
    vip_addresses_ = std::make_unique<AddressSync>(*netlink_, links.front().ifindex);
  neighbors_ = std::make_unique<NeighborTable>(*netlink_, std::move(links));
}

void Dataplane::setup(PhaseSequencer* phases) {
  for (uint32_t w : cfg_.workers)
    if (!rte_lcore_is_enabled(w)) throw std::runtime_error("worker lcore " + std::to_string(w) + " is not enabled");
  const uint16_t nworkers = uint16_t(cfg_.workers.size());
  const size_t ndata = cfg_.ports.size();
  for (const auto& pc : cfg_.ports) ports_.push_back(setup_port(pc, profiles_, nworkers, cfg_.forwarding.mtu));
  // Exception ports come after the data ports; kernel_of[i] is port i's, or -1.
  std::vector<int> kernel_of(ndata, -1);
  for (size_t i = 0; i < ndata; ++i) {
    const auto& ex = cfg_.ports[i].exception;
    if (!ex.enabled) continue;
    std::string dev = ex.device;
    if (is_tap(ex)) dev += ",mac=" + ports_[i].mac.to_string();
    attach_vdev(dev);
    PortConfig kc{dev, ports_[i].mac, "auto", {}};
    kernel_of[i] = int(ports_.size());
    ports_.push_back(setup_port(kc, profiles_, nworkers, cfg_.forwarding.mtu));
  }
  setup_kernel_side();
  if (neighbors_) tables_.set_resolver(neighbors_.get());
  if (vip_addresses_)
    tables_.set_on_publish([this](const TableSpec& s) {
      try {
        // VIPs and NAT pool addresses: the kernel answers ARP/ND for them (backends reply to
        // the pool addresses) and ping; HAProxy binds L7 VIPs.
        std::vector<IpAddress> local = AddressSync::vip_addresses(s);
        local.insert(local.end(), cfg_.forwarding.nat_pool.begin(), cfg_.forwarding.nat_pool.end());
        vip_addresses_->sync(local);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "edgelb-dataplane: VIP addresses on the kernel side: %s\n", e.what());
      }
    });
  for (size_t i = 0; i < cfg_.workers.size(); ++i) {
    std::vector<WorkerQueue> qs;
    for (size_t pi = 0; pi < ndata; ++pi) {
      WorkerQueue q;
      q.port_id = ports_[pi].port_id;
      q.queue_id = uint16_t(i);
      q.port_mac = ports_[pi].mac;
      q.burst_size = ports_[pi].profile.burst_size;
      q.enabled = phases ? phases->gate(pi) : nullptr;  // file mode feeds one input at a time
      if (kernel_of[pi] >= 0) {
        q.has_kernel = true;
        q.kernel_port_id = ports_[size_t(kernel_of[pi])].port_id;
        q.kernel_queue_id = uint16_t(i);
        q.punt_rate_pps = (cfg_.exception_path.punt_rate_pps + nworkers - 1) / nworkers;  // 0 stays unlimited
        q.punt_burst = std::max<uint64_t>(1, cfg_.exception_path.punt_burst / nworkers);
      }
      qs.push_back(q);
    }
    workers_.push_back(std::make_unique<Worker>(cfg_.workers[i], std::move(qs), cfg_.conntrack, cfg_.forwarding,
                                                publisher_, uint16_t(i), nworkers));
  }
  if (!cfg_.forwarding.nat_pool.empty() && nworkers > 1) {
    // NAT replies reach the worker owning their port through these rings.
    for (uint16_t i = 0; i < nworkers; ++i) {
      const std::string name = "elb_handoff_" + std::to_string(i);
      rte_ring* r = rte_ring_create(name.c_str(), 4096, int(rte_socket_id()), RING_F_SC_DEQ);
      if (!r) throw std::runtime_error("cannot create NAT hand-off ring " + name);
      handoff_rings_.push_back(r);
    }
    for (auto& w : workers_) w->set_handoff_rings(handoff_rings_);
  }
}

void Dataplane::start(const TableSpec& table) {
  if (auto errors = tables_.apply(table); !errors.empty()) {
    print_rejected(cfg_.services_file, errors);
    throw std::runtime_error("initial service table rejected");
  }
  for (auto& w : workers_) {
    if (int r = rte_eal_remote_launch(launch_worker, w.get(), w->lcore()); r != 0)
      throw std::runtime_error("cannot launch worker on lcore " + std::to_string(w->lcore()));
    launched_ = true;
  }
  workers_running_ = true;
}

void Dataplane::start_metrics(const std::string& listen) { metrics_ = std::make_unique<MetricsExporter>(listen); }

void Dataplane::start_control_service(const std::string& socket) {
  ControlHooks hooks;
  hooks.stats = [this] { return stats(); };
  hooks.workers = uint32_t(workers_.size());
  hooks.serving = [this] { return workers_running_.load(); };
  hooks.publishes = [this] { return publisher_.publishes(); };
  hooks.list_flows = [this](const FlowQuery& q, FlowListing* out) {
    for (auto& w : workers_) {  // a worker asked for 0 more only says whether it has any
      FlowQuery wq = q;
      wq.limit = q.limit - uint32_t(out->flows.size());
      FlowListing part;
      if (!w->list_flows(wq, 2000, &part)) return false;
      out->flows.insert(out->flows.end(), part.flows.begin(), part.flows.end());
      out->truncated = out->truncated || part.truncated;
    }
    return true;
  };
  const std::string marker = drain_marker(socket);
  hooks.on_drain = [marker](bool on) {
    std::error_code ec;
    if (!on) {
      std::filesystem::remove(marker, ec);
    } else {
      std::ofstream(marker) << "drained with edgelb-dpctl drain; edgelb-dpctl drain --off takes new flows again\n";
    }
  };
  control_ = std::make_unique<ControlServer>(socket, tables_, std::move(hooks));
}

std::string drain_marker(const std::string& control_socket) {
  return (std::filesystem::path(control_socket).parent_path() / "draining").string();
}

void Dataplane::stop() {
  if (stopped_) return;
  stopped_ = true;
  // The metrics listener first, while the workers still forward: civetweb's mg_stop() waits
  // out its 2 s poll quantum, and that must not be part of a restart's outage.
  metrics_.reset();
  control_.reset();  // no control calls (flow listings need running workers) past this point
  workers_running_ = false;
  for (auto& w : workers_) w->stop();
  if (launched_) rte_eal_mp_wait_lcore();
  final_stats_ = stats();
  // The data ports first: nothing more reaches the kernel side. What did reach it a moment ago
  // (a request HAProxy has read but not yet forwarded) gets exception_path.stop_delay_ms while
  // the TAPs and their routes still exist: its connect() then sends a SYN that waits for the
  // next dataplane, where without a route it would fail at once (ENETUNREACH), HAProxy would
  // spend its retries in the same instant and answer 503.
  const size_t ndata = cfg_.ports.size();
  for (size_t i = 0; i < ports_.size() && i < ndata; ++i) stop_port(ports_[i]);
  if (ports_.size() > ndata && neighbors_ && launched_ && cfg_.exception_path.stop_delay_ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.exception_path.stop_delay_ms));
  for (size_t i = ndata; i < ports_.size(); ++i) stop_port(ports_[i]);
}

uint64_t Dataplane::packets_in() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w->stats().rx_packets.get() + w->stats().from_kernel_packets.get();
  return n;
}

StatsReport Dataplane::stats() {
  std::vector<WorkerStatsSource> ws;
  for (auto& w : workers_)
    ws.push_back({w->lcore(), &w->stats(), &w->flows(), w->flow_memory_on_hugepages(),
                  w->nat() ? &w->nat()->counters() : nullptr});
  std::vector<PortStatsSource> ps;
  for (auto& p : ports_) {
    rte_eth_stats s{};
    rte_eth_stats_get(p.port_id, &s);
    ps.push_back({p.name, p.driver, p.profile.name, p.mac.to_string(), s.ipackets, s.opackets, s.ibytes, s.obytes,
                  s.imissed, s.ierrors, s.oerrors, s.rx_nombuf, p.warnings});
  }
  // Under the table lock: the snapshot cannot be freed by a concurrent publish meanwhile.
  return tables_.read([&](const TableSpec&, const ServiceSnapshot* snap) {
    StatsReport r = stats_report(
        ws, snap, ps, {publisher_.publishes(), publisher_.last_grace_period_ns(), publisher_.max_grace_period_ns()});
    r.tsc_hz = rte_get_tsc_hz();
    return r;
  });
}

}  // namespace edgelb
