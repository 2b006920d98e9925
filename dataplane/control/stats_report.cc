#include "control/stats_report.h"

#include <cstdio>

namespace edgelb {

using nlohmann::json;

StatsReport stats_report(const std::vector<WorkerStatsSource>& workers, const ServiceSnapshot* snap,
                         const std::vector<PortStatsSource>& ports, const RcuStatsSource& rcu) {
  StatsReport r;
  StatsTotals& t = r.totals;
  uint64_t busy = 0, total = 0, processed = 0;
  for (const auto& w : workers) {
    const WorkerStats& s = *w.stats;
    const auto& c = w.flows->counters();
    WorkerReport& o = r.workers.emplace_back();
    o.lcore = w.lcore;
    o.rx_packets = s.rx_packets.get();
    o.tx_packets = s.tx_packets.get();
    o.forwarded = s.forwarded.get();
    for (size_t k = 0; k < kDropReasonCount; ++k) t.drops[k] += o.drops[k] = s.drops[k].get();
    for (size_t k = 0; k < kPuntReasonCount; ++k) t.punted[k] += o.punted[k] = s.punted[k].get();
    o.to_kernel_packets = s.to_kernel_packets.get();
    o.from_kernel_packets = s.from_kernel_packets.get();
    o.busy_cycles = s.busy_cycles.get();
    o.total_cycles = s.total_cycles.get();
    o.processed_packets = s.processed_packets.get();
    o.loops = s.loops.get();
    o.max_loop_cycles = s.max_loop_cycles.get();
    o.busy_ratio = o.total_cycles ? double(o.busy_cycles) / double(o.total_cycles) : 0.0;
    o.cycles_per_packet = o.processed_packets ? double(o.busy_cycles) / double(o.processed_packets) : 0.0;
    o.conntrack = {w.flows->capacity(), c.occupancy.get(),       c.inserts.get(),           c.evictions.get(),
                   c.expired.get(),     c.syn_not_tracked.get(), c.flood_active.get() != 0, w.flow_memory_on_hugepages};
    r.exception_path.to_kernel_packets += o.to_kernel_packets;
    r.exception_path.to_kernel_bytes += s.to_kernel_bytes.get();
    r.exception_path.from_kernel_packets += o.from_kernel_packets;
    r.exception_path.from_kernel_bytes += s.from_kernel_bytes.get();
    if (w.nat) {
      r.nat.sessions_active += w.nat->active.get();
      r.nat.sessions_allocated += w.nat->allocations.get();
      r.nat.ports_exhausted += w.nat->exhausted.get();
    }
    r.nat.replies += s.nat_replies.get();
    r.nat.handoffs_out += s.handoffs_out.get();
    r.nat.handoffs_in += s.handoffs_in.get();
    t.rx_packets += o.rx_packets;
    t.rx_bytes += s.rx_bytes.get();
    t.tx_packets += o.tx_packets;
    t.tx_bytes += s.tx_bytes.get();
    t.forwarded += o.forwarded;
    t.rebalanced += s.rebalanced.get();
    t.icmp_too_big_steered += s.icmp_too_big_steered.get();
    t.icmp_too_big_sent += s.icmp_too_big_sent.get();
    busy += o.busy_cycles;
    total += o.total_cycles;
    processed += o.processed_packets;
    t.flows += o.conntrack.occupancy;
    t.flow_capacity += o.conntrack.capacity;
  }
  for (uint64_t v : t.drops) t.drops_total += v;
  for (uint64_t v : t.punted) t.punted_total += v;
  t.busy_ratio = total ? double(busy) / double(total) : 0.0;
  t.cycles_per_packet = processed ? double(busy) / double(processed) : 0.0;
  r.table_version = snap ? snap->version : 0;
  r.draining = snap ? snap->draining : false;
  if (snap) {
    // Active flows: per backend slot over all workers; a service's includes its retired
    // (removed, still draining) backends.
    std::vector<uint64_t> active(snap->backends.size(), 0);
    std::vector<uint64_t> service_active;
    for (size_t slot = 0; slot < snap->backends.size(); ++slot) {
      const BackendEntry& be = snap->backends[slot];
      if (!be.ref) continue;
      for (const auto& w : workers) active[slot] += w.stats->backend[slot].active_flows.get();
      if (service_active.size() <= be.service_slot) service_active.resize(be.service_slot + 1, 0);
      service_active[be.service_slot] += active[slot];
    }
    for (const auto& svc : snap->services) {
      ServiceReport& o = r.services.emplace_back();
      o.name = svc.name;
      o.vip = svc.vip;
      o.port = svc.port;
      o.protocol = svc.protocol;
      o.forwarding = svc.mode;
      for (const auto& w : workers) {
        const auto& v = w.stats->vip[svc.slot];
        o.packets += v.packets.get();
        o.bytes += v.bytes.get();
        o.new_flows += v.new_flows.get();
      }
      o.active_flows = svc.slot < service_active.size() ? service_active[svc.slot] : 0;
      for (uint32_t ref : svc.backend_refs) {
        const BackendEntry& be = snap->backend(ref);
        BackendReport& b = o.backends.emplace_back();
        b.address = be.address;
        b.port = be.port;
        b.state = be.state;
        if (be.has_next_hop) b.next_hop = be.next_hop;
        for (const auto& w : workers) {
          b.packets += w.stats->backend[backend_slot(ref)].packets.get();
          b.bytes += w.stats->backend[backend_slot(ref)].bytes.get();
        }
        b.active_flows = active[backend_slot(ref)];
      }
    }
  }
  r.ports = ports;
  r.rcu = rcu;
  return r;
}

json to_json(const StatsReport& r) {
  auto drops = [](const DropCounts& d, bool nonzero_only) {
    json j = json::object();
    for (size_t k = 0; k < kDropReasonCount; ++k)
      if (d[k] || !nonzero_only) j[std::string(drop_reason_name(DropReason(k)))] = d[k];
    return j;
  };
  auto punts = [](const PuntCounts& p) {
    json j = json::object();
    for (size_t k = 0; k < kPuntReasonCount; ++k) j[std::string(punt_reason_name(PuntReason(k)))] = p[k];
    return j;
  };
  json out;
  json jw = json::array();
  for (const WorkerReport& w : r.workers) {
    const ConntrackReport& c = w.conntrack;
    jw.push_back({{"lcore", w.lcore},
                  {"rx_packets", w.rx_packets},
                  {"tx_packets", w.tx_packets},
                  {"forwarded", w.forwarded},
                  {"drops", drops(w.drops, true)},
                  {"punted", punts(w.punted)},
                  {"to_kernel_packets", w.to_kernel_packets},
                  {"from_kernel_packets", w.from_kernel_packets},
                  {"busy_ratio", w.busy_ratio},
                  {"cycles_per_packet", w.cycles_per_packet},
                  {"busy_cycles", w.busy_cycles},
                  {"total_cycles", w.total_cycles},
                  {"processed_packets", w.processed_packets},
                  {"loops", w.loops},
                  {"max_loop_cycles", w.max_loop_cycles},
                  {"conntrack",
                   {{"capacity", c.capacity},
                    {"occupancy", c.occupancy},
                    {"inserts", c.inserts},
                    {"evictions", c.evictions},
                    {"expired", c.expired},
                    {"syn_not_tracked", c.syn_not_tracked},
                    {"syn_flood_active", c.syn_flood_active},
                    {"hugepage_memory", c.hugepage_memory}}}});
  }
  const StatsTotals& t = r.totals;
  if (r.tsc_hz) out["tsc_hz"] = r.tsc_hz;
  out["table_version"] = r.table_version;
  out["draining"] = r.draining;
  out["totals"] = {{"rx_packets", t.rx_packets},
                   {"rx_bytes", t.rx_bytes},
                   {"tx_packets", t.tx_packets},
                   {"tx_bytes", t.tx_bytes},
                   {"forwarded", t.forwarded},
                   {"rebalanced", t.rebalanced},
                   {"icmp_too_big_steered", t.icmp_too_big_steered},
                   {"icmp_too_big_sent", t.icmp_too_big_sent},
                   {"drops_total", t.drops_total},
                   {"drops", drops(t.drops, false)},
                   {"busy_ratio", t.busy_ratio},
                   {"cycles_per_packet", t.cycles_per_packet},
                   {"flows", t.flows},
                   {"flow_capacity", t.flow_capacity},
                   {"punted_total", t.punted_total},
                   {"punted", punts(t.punted)}};
  out["exception_path"] = {{"to_kernel_packets", r.exception_path.to_kernel_packets},
                           {"to_kernel_bytes", r.exception_path.to_kernel_bytes},
                           {"from_kernel_packets", r.exception_path.from_kernel_packets},
                           {"from_kernel_bytes", r.exception_path.from_kernel_bytes}};
  out["nat"] = {{"sessions_active", r.nat.sessions_active}, {"sessions_allocated", r.nat.sessions_allocated},
                {"ports_exhausted", r.nat.ports_exhausted}, {"replies", r.nat.replies},
                {"handoffs_out", r.nat.handoffs_out},       {"handoffs_in", r.nat.handoffs_in}};
  out["workers"] = jw;
  json js = json::array();
  for (const ServiceReport& s : r.services) {
    json jb = json::array();
    for (const BackendReport& b : s.backends)
      jb.push_back({{"address", b.address.to_string()},
                    {"port", b.port},
                    {"state", backend_state_name(b.state)},
                    {"next_hop", b.next_hop ? b.next_hop->to_string() : std::string("unknown")},
                    {"packets", b.packets},
                    {"bytes", b.bytes},
                    {"active_flows", b.active_flows}});
    js.push_back({{"name", s.name},
                  {"vip", s.vip.to_string()},
                  {"port", s.port},
                  {"protocol", s.protocol == 6 ? "tcp" : "udp"},
                  {"forwarding", forwarding_mode_name(s.forwarding)},
                  {"packets", s.packets},
                  {"bytes", s.bytes},
                  {"new_flows", s.new_flows},
                  {"active_flows", s.active_flows},
                  {"backends", jb}});
  }
  out["services"] = js;
  json jp = json::array();
  for (const auto& p : r.ports)
    jp.push_back({{"name", p.name},
                  {"driver", p.driver},
                  {"profile", p.profile},
                  {"mac", p.mac},
                  {"ipackets", p.ipackets},
                  {"opackets", p.opackets},
                  {"ibytes", p.ibytes},
                  {"obytes", p.obytes},
                  {"imissed", p.imissed},
                  {"ierrors", p.ierrors},
                  {"oerrors", p.oerrors},
                  {"rx_nombuf", p.rx_nombuf},
                  {"warnings", p.warnings}});
  out["ports"] = jp;
  out["rcu"] = {{"publishes", r.rcu.publishes},
                {"last_grace_period_ns", r.rcu.last_grace_ns},
                {"max_grace_period_ns", r.rcu.max_grace_ns}};
  return out;
}

std::string stats_line(const StatsReport& now, const StatsReport* before, double seconds) {
  const double rx = double(now.totals.rx_packets - (before ? before->totals.rx_packets : 0));
  const double tx = double(now.totals.tx_packets - (before ? before->totals.tx_packets : 0));
  char buf[256];
  std::snprintf(buf, sizeof buf, "rx %.3f Mpps  tx %.3f Mpps  drops %llu  flows %llu  busy %.0f%%  cycles/pkt %.0f",
                rx / seconds / 1e6, tx / seconds / 1e6, static_cast<unsigned long long>(now.totals.drops_total),
                static_cast<unsigned long long>(now.totals.flows), now.totals.busy_ratio * 100,
                now.totals.cycles_per_packet);
  return buf;
}

}  // namespace edgelb
