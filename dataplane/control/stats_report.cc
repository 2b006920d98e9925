#include "control/stats_report.h"

#include <cstdio>

namespace edgelb {

using nlohmann::json;

json stats_json(const std::vector<WorkerStatsSource>& workers, const ServiceSnapshot* snap,
                const std::vector<PortStatsSource>& ports, const RcuStatsSource& rcu) {
  json out;
  uint64_t rx = 0, rxb = 0, tx = 0, txb = 0, fwd = 0, reb = 0, icmp = 0, icmp_sent = 0, busy = 0, total = 0,
           processed = 0;
  uint64_t drops[kDropReasonCount] = {};
  uint64_t punts[kPuntReasonCount] = {};
  uint64_t to_k = 0, to_kb = 0, from_k = 0, from_kb = 0;
  uint64_t occupancy = 0, capacity = 0;
  uint64_t nat_active = 0, nat_alloc = 0, nat_exhausted = 0, nat_replies = 0, hand_out = 0, hand_in = 0;
  json jw = json::array();
  for (const auto& w : workers) {
    const WorkerStats& s = *w.stats;
    const auto& c = w.flows->counters();
    json d = json::object();
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      uint64_t v = s.drops[r].get();
      drops[r] += v;
      if (v) d[std::string(drop_reason_name(DropReason(r)))] = v;
    }
    json pu = json::object();
    for (size_t r = 0; r < kPuntReasonCount; ++r) {
      uint64_t v = s.punted[r].get();
      punts[r] += v;
      pu[std::string(punt_reason_name(PuntReason(r)))] = v;
    }
    to_k += s.to_kernel_packets.get();
    to_kb += s.to_kernel_bytes.get();
    from_k += s.from_kernel_packets.get();
    from_kb += s.from_kernel_bytes.get();
    const uint64_t b = s.busy_cycles.get(), t = s.total_cycles.get(), p = s.processed_packets.get();
    jw.push_back({{"lcore", w.lcore},
                  {"rx_packets", s.rx_packets.get()},
                  {"tx_packets", s.tx_packets.get()},
                  {"forwarded", s.forwarded.get()},
                  {"drops", d},
                  {"punted", pu},
                  {"to_kernel_packets", s.to_kernel_packets.get()},
                  {"from_kernel_packets", s.from_kernel_packets.get()},
                  {"busy_ratio", t ? double(b) / double(t) : 0.0},
                  {"cycles_per_packet", p ? double(b) / double(p) : 0.0},
                  {"busy_cycles", b},  // the raw counters: rates over an interval (edgelb-dpctl top)
                  {"total_cycles", t},
                  {"processed_packets", p},
                  {"loops", s.loops.get()},
                  {"max_loop_cycles", s.max_loop_cycles.get()},
                  {"conntrack",
                   {{"capacity", w.flows->capacity()},
                    {"occupancy", c.occupancy.get()},
                    {"inserts", c.inserts.get()},
                    {"evictions", c.evictions.get()},
                    {"expired", c.expired.get()},
                    {"syn_not_tracked", c.syn_not_tracked.get()},
                    {"syn_flood_active", c.flood_active.get() != 0},
                    {"hugepage_memory", w.flow_memory_on_hugepages}}}});
    if (w.nat) {
      nat_active += w.nat->active.get();
      nat_alloc += w.nat->allocations.get();
      nat_exhausted += w.nat->exhausted.get();
    }
    nat_replies += s.nat_replies.get();
    hand_out += s.handoffs_out.get();
    hand_in += s.handoffs_in.get();
    rx += s.rx_packets.get();
    rxb += s.rx_bytes.get();
    tx += s.tx_packets.get();
    txb += s.tx_bytes.get();
    fwd += s.forwarded.get();
    reb += s.rebalanced.get();
    icmp += s.icmp_too_big_steered.get();
    icmp_sent += s.icmp_too_big_sent.get();
    busy += b;
    total += t;
    processed += p;
    occupancy += c.occupancy.get();
    capacity += w.flows->capacity();
  }
  json jd = json::object();
  uint64_t drop_total = 0;
  for (size_t r = 0; r < kDropReasonCount; ++r) {
    jd[std::string(drop_reason_name(DropReason(r)))] = drops[r];
    drop_total += drops[r];
  }
  out["table_version"] = snap ? snap->version : 0;
  out["draining"] = snap ? snap->draining : false;
  out["totals"] = {{"rx_packets", rx},
                   {"rx_bytes", rxb},
                   {"tx_packets", tx},
                   {"tx_bytes", txb},
                   {"forwarded", fwd},
                   {"rebalanced", reb},
                   {"icmp_too_big_steered", icmp},
                   {"icmp_too_big_sent", icmp_sent},
                   {"drops_total", drop_total},
                   {"drops", jd},
                   {"busy_ratio", total ? double(busy) / double(total) : 0.0},
                   {"cycles_per_packet", processed ? double(busy) / double(processed) : 0.0},
                   {"flows", occupancy},
                   {"flow_capacity", capacity}};
  json jpu = json::object();
  uint64_t punt_total = 0;
  for (size_t r = 0; r < kPuntReasonCount; ++r) {
    jpu[std::string(punt_reason_name(PuntReason(r)))] = punts[r];
    punt_total += punts[r];
  }
  out["totals"]["punted_total"] = punt_total;
  out["totals"]["punted"] = jpu;
  out["exception_path"] = {{"to_kernel_packets", to_k},
                           {"to_kernel_bytes", to_kb},
                           {"from_kernel_packets", from_k},
                           {"from_kernel_bytes", from_kb}};
  out["nat"] = {{"sessions_active", nat_active}, {"sessions_allocated", nat_alloc}, {"ports_exhausted", nat_exhausted},
                {"replies", nat_replies},        {"handoffs_out", hand_out},        {"handoffs_in", hand_in}};
  out["workers"] = jw;

  json js = json::array();
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
      uint64_t pk = 0, by = 0, nf = 0;
      for (const auto& w : workers) {
        const auto& v = w.stats->vip[svc.slot];
        pk += v.packets.get();
        by += v.bytes.get();
        nf += v.new_flows.get();
      }
      json jb = json::array();
      for (uint32_t ref : svc.backend_refs) {
        const BackendEntry& be = snap->backend(ref);
        uint64_t bp = 0, bb = 0;
        for (const auto& w : workers) {
          bp += w.stats->backend[backend_slot(ref)].packets.get();
          bb += w.stats->backend[backend_slot(ref)].bytes.get();
        }
        jb.push_back({{"address", be.address.to_string()},
                      {"port", be.port},
                      {"state", backend_state_name(be.state)},
                      {"next_hop", be.has_next_hop ? be.next_hop.to_string() : std::string("unknown")},
                      {"packets", bp},
                      {"bytes", bb},
                      {"active_flows", active[backend_slot(ref)]}});
      }
      js.push_back({{"name", svc.name},
                    {"vip", svc.vip.to_string()},
                    {"port", svc.port},
                    {"protocol", svc.protocol == 6 ? "tcp" : "udp"},
                    {"forwarding", forwarding_mode_name(svc.mode)},
                    {"packets", pk},
                    {"bytes", by},
                    {"new_flows", nf},
                    {"active_flows", svc.slot < service_active.size() ? service_active[svc.slot] : 0},
                    {"backends", jb}});
    }
  }
  out["services"] = js;
  json jp = json::array();
  for (const auto& p : ports)
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
  out["rcu"] = {{"publishes", rcu.publishes},
                {"last_grace_period_ns", rcu.last_grace_ns},
                {"max_grace_period_ns", rcu.max_grace_ns}};
  return out;
}

std::string stats_line(const json& now, const json& before, double seconds) {
  auto delta = [&](const char* k) {
    return double(now["totals"][k].get<uint64_t>() - (before.is_null() ? 0 : before["totals"][k].get<uint64_t>()));
  };
  char buf[256];
  std::snprintf(buf, sizeof buf, "rx %.3f Mpps  tx %.3f Mpps  drops %llu  flows %llu  busy %.0f%%  cycles/pkt %.0f",
                delta("rx_packets") / seconds / 1e6, delta("tx_packets") / seconds / 1e6,
                static_cast<unsigned long long>(now["totals"]["drops_total"].get<uint64_t>()),
                static_cast<unsigned long long>(now["totals"]["flows"].get<uint64_t>()),
                now["totals"]["busy_ratio"].get<double>() * 100, now["totals"]["cycles_per_packet"].get<double>());
  return buf;
}

}  // namespace edgelb
