// The per-packet L4 load-balancing pipeline: parse -> classify (VIP lookup) -> conntrack ->
// Maglev -> forward (DSR rewrite or encapsulation). Works on PacketView, so it runs the same
// under the DPDK worker, unit tests, the fuzzer and the in-process benchmark.
//
// process_burst() runs two passes over a burst: the first parses, finds the service and
// prefetches the conntrack bucket of every packet; the second does the table work, so bucket
// cache misses overlap. A packet's Verdict (packet/verdict.h) is kForward (frame rewritten in
// place), kPunt (the host owns it: hand the unchanged frame to the kernel; counted per
// PuntReason), kHandoff (see below) or kDrop (counted in WorkerStats under its DropReason,
// which drop_reason(i) tells).
//
// Only frames to `port_mac` are balanced; broadcast/multicast frames go to the kernel when
// they are ARP or link-scope IP, and everything else (another station's MAC) is dropped as
// foreign_mac.
// What is punted: ARP; broadcast/multicast/IPv6 link-local destinations; anything addressed
// to a host address (globals.local_addresses) or a VIP address that is not an L4 service
// (ping, wrong port, fragments to the host); all traffic of L7 VIPs (HAProxy frontends); traffic to a NAT
// pool address that is not a TCP/UDP reply in the NAT port range.
//
// Too big (issue 15, Part A 2 and 7): a packet that would leave larger than forwarding.mtu
// (DSR and NAT as it is, IPIP/GUE once encapsulated) is dropped as mtu_exceeded /
// encap_too_big and, within forwarding.icmp_errors_per_s, answered with an ICMP "too big"
// carrying the usable MTU: the frame becomes that error (forward/icmp_error.h) and gets the
// kForward verdict, so it leaves on the port it came from.
//
// Fragments (issue 15, Part A 8): a first fragment is balanced by its 5-tuple like any packet,
// and its ports are remembered (FragmentTable) so that the later fragments of the datagram get
// the same 5-tuple, hence the same backend or NAT session, and are forwarded as they are (NAT
// rewrites only their IP header). A later fragment to a VIP or NAT address that comes before
// its first is held, up to `max_held` per pipeline for kHoldMs: process_burst() gives it the
// kHeld verdict and keeps its PacketView (the caller must keep the buffer). When its first
// fragment comes it is balanced after the burst; past kHoldMs it is dropped as
// fragment_timeout. Either way it comes back through released(), which the caller must read
// after every process_burst() and expire_held() call.
//
// Full NAT (kNat services, needs a NatTable): a new flow gets a session (pool address + a
// port from this worker's partition), the packet is rewritten client->VIP  =>  pool->backend;
// replies to the pool address are rewritten backend->pool  =>  VIP->client and sent back to
// the MAC the client's packets came from. A reply whose port belongs to another worker's
// partition gets the kHandoff verdict and handoff_target(i) names that worker.
//
// Thread-safety: one Pipeline per worker; the snapshot must stay valid for the whole call
// (the worker holds it between quiescent states).
#pragma once

#include <cstdint>

#include "conntrack/flow_table.h"
#include "conntrack/fragment_table.h"
#include "conntrack/nat_table.h"
#include "packet/drop_reason.h"
#include "packet/packet_view.h"
#include "packet/parser.h"
#include "packet/punt_reason.h"
#include "packet/verdict.h"
#include "service/service_snapshot.h"
#include "stats/worker_stats.h"

namespace edgelb {

class Pipeline {
 public:
  static constexpr uint16_t kMaxBurst = 64;

  static constexpr uint16_t kMaxHeld = 64;
  static constexpr uint32_t kHoldMs = 100;

  // `nat` (optional, not owned): this worker's NAT sessions; without it NAT services drop
  // their packets as nat_ports_exhausted. `max_held` (<= kMaxHeld): out-of-order fragments
  // kept; 0 drops them as ip_fragment (for callers whose buffers do not outlive the call).
  Pipeline(FlowTable& flows, WorkerStats& stats, NatTable* nat = nullptr, uint16_t max_held = 0)
      : flows_(flows), stats_(stats), nat_(nat), max_held_(max_held < kMaxHeld ? max_held : kMaxHeld) {}

  // `verdicts[i]` receives the verdict of `pkts[i]`. n <= kMaxBurst.
  void process_burst(PacketView* pkts, uint16_t n, Verdict* verdicts, const ServiceSnapshot* snap,
                     const MacAddress& port_mac, uint32_t now_ms);

  // Held fragments that the last call resolved: balanced now that their first fragment came,
  // or dropped (fragment_timeout, counted). Valid until the next call.
  uint16_t released(const PacketView** views, const Verdict** verdicts) const {
    *views = released_;
    *verdicts = released_verdicts_;
    return nreleased_;
  }
  uint16_t released_handoff_target(uint16_t i) const { return released_work_[i].handoff; }
  // Drops held fragments whose time is up (call it when no packets come); see released().
  void expire_held(uint32_t now_ms);
  uint16_t held() const { return nheld_; }

  // For a kHandoff verdict of packet i of the last burst: the worker index to hand it to.
  uint16_t handoff_target(uint16_t i) const { return work_[i].handoff; }
  // For a kDrop verdict of packet i of the last burst: why (already counted).
  DropReason drop_reason(uint16_t i) const { return work_[i].drop; }

  Verdict process(PacketView& pkt, const ServiceSnapshot* snap, const MacAddress& port_mac, uint32_t now_ms) {
    Verdict v;
    process_burst(&pkt, 1, &v, snap, port_mac, now_ms);
    return v;
  }

 private:
  struct Work {
    ParsedPacket pp;
    const ServiceEntry* svc;
    uint64_t hash;
    FlowKey key;       // conntrack key (reversed inner tuple for ICMP too-big)
    bool too_big;      // ICMP frag-needed / packet-too-big about a VIP flow
    bool nat_reply;    // a reply to a NAT pool address this worker owns
    int8_t pool_idx;   // with nat_reply: which pool address
    uint16_t handoff;  // set with a kHandoff verdict
    PuntReason punt;   // set with a kPunt verdict
    DropReason drop;   // set with a kDrop verdict
  };
  static Verdict drop(Work& w, DropReason why) {
    w.drop = why;
    return Verdict::kDrop;
  }

  Verdict punt_or_drop(const ParsedPacket& pp, const ServiceSnapshot& snap, Work& w);
  Verdict classify_nat_reply(const ParsedPacket& pp, const ServiceSnapshot& snap, Work& w);
  Verdict nat_forward(PacketView& pkt, const ServiceEntry& svc, const BackendEntry& be, int64_t slot, uint32_t now_ms,
                      Work& w);
  Verdict nat_reply(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms, Work& w);

  Verdict too_big(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms, Work& w,
                  DropReason why, uint16_t mtu);
  Verdict classify(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms, Work& w);
  Verdict later_fragment(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms,
                         Work& w);
  void release_held(const ServiceSnapshot* snap, uint32_t now_ms);
  void count(Verdict v, const Work& w);
  Verdict act(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms, Work& w);
  const BackendEntry* pick_backend(const ServiceSnapshot& snap, const ServiceEntry& svc, uint64_t hash);

  FlowTable& flows_;
  WorkerStats& stats_;
  NatTable* nat_;
  Work work_[kMaxBurst];
  FragmentTable fragments_;
  struct Held {
    PacketView view;
    FlowKey datagram;
    uint32_t until_ms;
    MacAddress port_mac;
  };
  const uint16_t max_held_;
  uint16_t nheld_ = 0;
  bool learnt_ = false;  // a first fragment was seen in this call: held ones may be ready
  Held held_[kMaxHeld];
  uint16_t nreleased_ = 0;
  PacketView released_[kMaxHeld];
  Verdict released_verdicts_[kMaxHeld];
  Work released_work_[kMaxHeld];
  // ICMP error rate limit: a token bucket in thousandths of a token, refilled per millisecond;
  // it starts full (the first refill clamps this to the burst).
  uint64_t icmp_tokens_ = uint64_t(1) << 62;
  uint32_t icmp_refilled_ms_ = 0;
};

}  // namespace edgelb
