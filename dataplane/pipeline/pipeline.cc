#include "pipeline/pipeline.h"

#include <algorithm>
#include <cstring>

#include "forward/forwarder.h"
#include "forward/icmp_error.h"
#include "forward/nat_rewrite.h"
#include "packet/likely.h"

namespace edgelb {
namespace {

bool is_too_big(const ParsedPacket& pp) {
  if (pp.key.family == 4) return pp.l4_proto == wire::kProtoIcmp && pp.icmp_type == 3 && pp.icmp_code == 4;
  return pp.l4_proto == wire::kProtoIcmpv6 && pp.icmp_type == 2;
}

// The client->VIP key of the flow an ICMP error quotes (the quoted packet went VIP->client).
FlowKey reverse(const FlowKey& inner) {
  FlowKey k;
  std::memcpy(k.src, inner.dst, 16);
  std::memcpy(k.dst, inner.src, 16);
  k.src_port = inner.dst_port;
  k.dst_port = inner.src_port;
  k.proto = inner.proto;
  k.family = inner.family;
  return k;
}

// A TCP segment that opens a connection: SYN without ACK.
inline bool opens_connection(uint8_t tcp_flags) {
  return (tcp_flags & (wire::kTcpSyn | wire::kTcpAck)) == wire::kTcpSyn;
}

// Broadcast, multicast and IPv6 link-local destinations: neighbour discovery, routing
// protocols and the like, which belong to the kernel.
bool is_link_scope(const FlowKey& k) {
  if (k.family == 4)
    return (k.dst[0] & 0xf0) == 0xe0 || (k.dst[0] == 255 && k.dst[1] == 255 && k.dst[2] == 255 && k.dst[3] == 255);
  return k.dst[0] == 0xff || (k.dst[0] == 0xfe && (k.dst[1] & 0xc0) == 0x80);
}

// Whether an IPv4 header (`len` bytes, a multiple of 4) sums to 0xffff with its checksum: one
// 32-bit add per word (the one's-complement sum is byte-order independent), folded once.
inline bool ipv4_header_sums_ok(const uint8_t* ip, size_t len) {
  uint64_t sum = 0;
  for (size_t i = 0; i < len; i += 4) {
    uint32_t w;
    std::memcpy(&w, ip + i, 4);
    sum += w;
  }
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// What a router must not forward to a backend (RFC 1812 5.3.7, 5.2.2; RFC 4291 2.5.2, 2.7):
// a martian source (0/8, 127/8, multicast and class E, limited broadcast; ::, ::1, ff00::/8),
// the VIP itself as source, TTL / hop limit 0, an IPv4 header whose checksum is wrong. Only
// packets a service balances pay for these checks.
MaybeDrop admission(const PacketView& pkt, const ParsedPacket& pp) {
  const uint8_t* ip = pkt.data + pp.l3_offset;
  const uint8_t* s = pp.key.src;
  if (pp.key.family == 4) {
    if (EDGELB_UNLIKELY(s[0] == 0 || s[0] == 127 || s[0] >= 224 || std::memcmp(s, pp.key.dst, 4) == 0))
      return DropReason::kMartianSource;
    if (EDGELB_UNLIKELY(ip[8] == 0)) return DropReason::kTtlExceeded;
    const bool sum_ok = pkt.rx_ip_checksum == PacketView::IpChecksum::kUnknown
                            ? ipv4_header_sums_ok(ip, size_t(ip[0] & 0x0f) * 4)
                            : pkt.rx_ip_checksum == PacketView::IpChecksum::kGood;  // the NIC's verdict
    if (EDGELB_UNLIKELY(!sum_ok)) return DropReason::kIpv4BadChecksum;
    return std::nullopt;
  }
  static constexpr uint8_t kZero[15] = {};
  if (EDGELB_UNLIKELY(s[0] == 0xff || (std::memcmp(s, kZero, 15) == 0 && s[15] <= 1) ||
                      std::memcmp(s, pp.key.dst, 16) == 0))
    return DropReason::kMartianSource;
  if (EDGELB_UNLIKELY(ip[7] == 0)) return DropReason::kTtlExceeded;
  // RFC 8200 4.4: with segments left the packet is addressed to the next waypoint, not to the
  // VIP (and its L4 checksum covers the final destination, which NAT would not fix).
  if (EDGELB_UNLIKELY(pp.segments_left)) return DropReason::kIpv6SegmentsLeft;
  return std::nullopt;
}

}  // namespace

// Not balanced here: hand it to the kernel when the host owns the destination, else drop.
Verdict Pipeline::punt_or_drop(const ParsedPacket& pp, const ServiceSnapshot& snap, Work& w) {
  if (const uint8_t kind = snap.address_kind(pp.key.dst, pp.key.family)) {
    // Fragments to a VIP address cannot be balanced (later ones carry no ports) and are not
    // the kernel's either; fragments to the host's own addresses the kernel reassembles.
    if (pp.fragment && (kind & ServiceSnapshot::kVipAddress)) return drop(w, DropReason::kIpFragment);
    w.punt = PuntReason::kLocalAddress;
    return Verdict::kPunt;
  }
  if (is_link_scope(pp.key)) {
    w.punt = PuntReason::kLinkScope;
    return Verdict::kPunt;
  }
  return drop(w, DropReason::kNonVip);
}

// No service matched a TCP/UDP packet: a reply to a NAT pool address (ours, or another
// worker's to hand off), else whatever punt_or_drop decides.
Verdict Pipeline::classify_nat_reply(const ParsedPacket& pp, const ServiceSnapshot& snap, Work& w) {
  const int pool = nat_->pool_index(pp.key.dst, pp.key.family);
  if (pool < 0) return punt_or_drop(pp, snap, w);
  const int owner = nat_->owner_of(pp.key.dst_port);
  if (owner < 0) return punt_or_drop(pp, snap, w);  // outside the NAT range: the kernel's port
  if (owner != nat_->worker()) {
    w.handoff = uint16_t(owner);
    return Verdict::kHandoff;
  }
  w.nat_reply = true;
  w.pool_idx = int8_t(pool);
  return Verdict::kForward;
}

// A fragment with a non-zero offset: the ports its first fragment had (then classification goes
// on, kForward), or held until that comes, or not balanced at all.
Verdict Pipeline::later_fragment(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac,
                                 uint32_t now_ms, Work& w) {
  ParsedPacket& pp = w.pp;
  const FlowKey datagram = FragmentTable::datagram_of(pp);
  if (fragments_.find(datagram, now_ms, &pp.key.src_port, &pp.key.dst_port)) {
    pp.has_ports = true;
    return Verdict::kForward;
  }
  const uint8_t kind = snap.address_kind(pp.key.dst, pp.key.family);
  if ((kind & (ServiceSnapshot::kVipAddress | ServiceSnapshot::kNatAddress)) && nheld_ < max_held_) {
    held_[nheld_++] = Held{pkt, datagram, now_ms + kHoldMs, port_mac};
    return Verdict::kHeld;
  }
  return punt_or_drop(pp, snap, w);
}

Verdict Pipeline::classify(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms,
                           Work& w) {
  // The port is promiscuous (VIP MACs may differ from it): only frames to its own MAC are
  // balanced; a flooded frame to another station would reach a backend twice (Part A 3).
  const bool l2 = pkt.len >= wire::kEtherHeaderLen;  // runts are counted as l2_truncated
  const bool group = l2 && (pkt.data[0] & 1);
  if (EDGELB_UNLIKELY(l2 && !group && std::memcmp(pkt.data, port_mac.bytes.data(), 6) != 0))
    return drop(w, DropReason::kForeignMac);
  const MaybeDrop r = parse_packet(pkt.data, pkt.len, &w.pp);
  ParsedPacket& pp = w.pp;
  if (EDGELB_UNLIKELY(r)) {
    if (*r == DropReason::kNonIp && load_be16(pkt.data + pp.ethertype_offset) == wire::kEtherTypeArp) {
      w.punt = PuntReason::kArp;
      return Verdict::kPunt;
    }
    return drop(w, *r);
  }
  w.too_big = false;
  w.nat_reply = false;
  if (EDGELB_UNLIKELY(group)) {  // broadcast/multicast frames: only what the exception path needs
    if (!is_link_scope(pp.key)) return drop(w, DropReason::kForeignMac);
    w.punt = PuntReason::kLinkScope;
    return Verdict::kPunt;
  }

  if (EDGELB_UNLIKELY(pp.l4_proto == wire::kProtoIcmp || pp.l4_proto == wire::kProtoIcmpv6)) {
    if (!is_too_big(pp) || !snap.is_vip_address(pp.key.dst, pp.key.family)) return punt_or_drop(pp, snap, w);
    if (!pp.icmp_error || pp.inner.family != pp.key.family) return drop(w, DropReason::kIcmpInnerMalformed);
    w.svc = snap.find(pp.inner.src, pp.inner.family, pp.inner.src_port, pp.inner.proto);
    if (!w.svc || w.svc->mode == ForwardingMode::kL7 || w.svc->mode == ForwardingMode::kNat)
      return punt_or_drop(pp, snap, w);
    w.key = reverse(pp.inner);
    w.too_big = true;
  } else {
    if (EDGELB_UNLIKELY(pp.fragment)) {
      if (pp.later_fragment) {
        if (const Verdict v = later_fragment(pkt, snap, port_mac, now_ms, w); v != Verdict::kForward) return v;
      } else if (pp.has_ports) {
        fragments_.learn(FragmentTable::datagram_of(pp), pp.key.src_port, pp.key.dst_port, now_ms);
        learnt_ = true;
      }
    }
    w.svc = pp.has_ports ? snap.find(pp.key.dst, pp.key.family, pp.key.dst_port, pp.key.proto) : nullptr;
    if (EDGELB_UNLIKELY(!w.svc)) {
      if (nat_ && pp.has_ports) return classify_nat_reply(pp, snap, w);
      return punt_or_drop(pp, snap, w);
    }
    if (EDGELB_UNLIKELY(w.svc->mode == ForwardingMode::kL7)) {
      // Draining: HAProxy's established connections go on; a new one is not let in.
      if (EDGELB_UNLIKELY(snap.draining) && pp.l4_proto == wire::kProtoTcp && opens_connection(pp.tcp_flags))
        return drop(w, DropReason::kNodeDraining);
      VipCounters& vc = stats_.vip[w.svc->slot];
      vc.packets.add();
      vc.bytes.add(pkt.len);
      w.punt = PuntReason::kL7Vip;
      return Verdict::kPunt;
    }
    if (const MaybeDrop d = admission(pkt, pp); EDGELB_UNLIKELY(d)) return drop(w, *d);
    w.key = pp.key;
  }
  w.hash = flow_hash(w.key);
  flows_.prefetch(w.key, w.hash);
  return Verdict::kForward;
}

const BackendEntry* Pipeline::pick_backend(const ServiceSnapshot& snap, const ServiceEntry& svc, uint64_t hash) {
  const uint16_t idx = svc.maglev->lookup(hash);
  if (EDGELB_UNLIKELY(idx == MaglevTable::kEmpty)) return nullptr;
  return &snap.backend(svc.backend_refs[idx]);
}

Verdict Pipeline::act(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms,
                      Work& w) {
  if (EDGELB_UNLIKELY(w.nat_reply)) return nat_reply(pkt, snap, port_mac, now_ms, w);
  const ServiceEntry& svc = *w.svc;
  const bool tcp = w.key.proto == wire::kProtoTcp;
  const uint8_t flags = w.too_big ? 0 : w.pp.tcp_flags;
  const bool syn_only = tcp && opens_connection(flags);  // never for a steered ICMP error (flags 0)
  const BackendEntry* be = nullptr;

  int64_t slot = flows_.find(w.key, w.hash, now_ms);
  if (EDGELB_LIKELY(slot != FlowTable::kNotFound)) {
    FlowMeta& e = flows_.meta(slot);
    const BackendEntry& cur = snap.backend(e.backend_ref);
    const bool valid = cur.ref == e.backend_ref && cur.state != BackendState::kDown && cur.service_slot == svc.slot;
    const bool syn_reuse = syn_only && e.state == FlowState::kClosing;
    if (EDGELB_LIKELY(valid && !syn_reuse)) {
      be = &cur;
      if (!w.too_big) flows_.refresh(slot, flags, now_ms);
    } else if (EDGELB_UNLIKELY(syn_reuse && snap.draining)) {
      return drop(w, DropReason::kNodeDraining);  // a new connection on an old flow's tuple
    } else {
      be = pick_backend(snap, svc, w.hash);
      if (!be) {
        flows_.erase(slot);
        return drop(w, DropReason::kNoBackend);
      }
      if (syn_reuse) {
        flows_.erase(slot);
        slot = flows_.insert(w.key, w.hash, be->ref, flags, tcp, now_ms);
        stats_.vip[svc.slot].new_flows.add();
      } else {
        e.backend_ref = be->ref;
        flows_.refresh(slot, flags, now_ms);
        stats_.rebalanced.add();
      }
    }
  } else {
    // Draining: no new flow. A TCP segment other than a SYN belongs to a connection this
    // table lost track of (evicted, timed out): it goes on to its Maglev backend untracked,
    // except through NAT, where it would need a new session (and a new source port).
    if (EDGELB_UNLIKELY(snap.draining) && !w.too_big && (!tcp || syn_only || svc.mode == ForwardingMode::kNat))
      return drop(w, DropReason::kNodeDraining);
    be = pick_backend(snap, svc, w.hash);
    if (EDGELB_UNLIKELY(!be)) return drop(w, DropReason::kNoBackend);
    if (!w.too_big && !snap.draining) {
      if (flows_.admit(syn_only, now_ms)) {
        slot = flows_.insert(w.key, w.hash, be->ref, flags, tcp, now_ms);
        stats_.vip[svc.slot].new_flows.add();
      }
    }
  }

  if (EDGELB_UNLIKELY(!be->has_next_hop)) return drop(w, DropReason::kNoNextHop);
  const uint32_t in_len = pkt.len;
  const auto& g = snap.globals;
  if (EDGELB_UNLIKELY(w.pp.l3_len > g.mtu) && (svc.mode == ForwardingMode::kDsr || svc.mode == ForwardingMode::kNat))
    return too_big(pkt, snap, port_mac, now_ms, w, DropReason::kMtuExceeded, g.mtu);
  if (svc.mode == ForwardingMode::kDsr) {
    rewrite_macs(pkt, be->next_hop, port_mac);
  } else if (svc.mode == ForwardingMode::kNat) {
    if (const Verdict v = nat_forward(pkt, svc, *be, slot, now_ms, w); EDGELB_UNLIKELY(v != Verdict::kForward))
      return v;
    rewrite_macs(pkt, be->next_hop, port_mac);
  } else {
    // The client's SYN: its MSS must leave room for the tunnel header (issue 15, Part A 2).
    if (EDGELB_UNLIKELY(svc.mss_clamp)) clamp_tcp_mss(pkt, w.pp, svc.mss_clamp);
    EncapSettings es{g.encap_source_v4 ? &*g.encap_source_v4 : nullptr,
                     g.encap_source_v6 ? &*g.encap_source_v6 : nullptr, g.mtu};
    const bool gue = svc.mode == ForwardingMode::kGue;
    const MaybeDrop r = encapsulate(pkt, w.pp, *be, gue, svc.gue_port, w.hash, es);
    if (EDGELB_UNLIKELY(r)) {
      if (*r != DropReason::kEncapTooBig) return drop(w, *r);
      return too_big(pkt, snap, port_mac, now_ms, w, *r, uint16_t(g.mtu - encap_overhead(be->address.is_v4(), gue)));
    }
    rewrite_macs(pkt, be->next_hop, port_mac);
  }
  if (EDGELB_UNLIKELY(w.too_big)) stats_.icmp_too_big_steered.add();
  VipCounters& vc = stats_.vip[svc.slot];
  vc.packets.add();
  vc.bytes.add(in_len);
  BackendCounters& bc = stats_.backend[backend_slot(be->ref)];
  bc.packets.add();
  bc.bytes.add(pkt.len);
  stats_.forwarded.add();
  return Verdict::kForward;
}

// A packet that would leave larger than `mtu`: dropped as `why`, and answered with an ICMP
// too-big error while the rate limit allows (never for an ICMP error itself).
Verdict Pipeline::too_big(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms,
                          Work& w, DropReason why, uint16_t mtu) {
  const uint32_t rate = snap.globals.icmp_errors_per_s;
  if (w.too_big || w.pp.icmp_error || rate == 0) return drop(w, why);
  const uint64_t burst = std::max<uint64_t>(rate / 20, 1) * 1000;
  icmp_tokens_ = std::min<uint64_t>(burst, icmp_tokens_ + uint64_t(uint32_t(now_ms - icmp_refilled_ms_)) * rate);
  icmp_refilled_ms_ = now_ms;
  if (icmp_tokens_ < 1000) return drop(w, why);
  icmp_tokens_ -= 1000;
  make_too_big(pkt, w.pp, mtu, port_mac);
  stats_.drop(why);  // the packet itself is not delivered; the error goes back out
  stats_.icmp_too_big_sent.add();
  return Verdict::kForward;
}

// A NAT flow's packet toward its backend: keeps (or, for a new flow or a new backend, takes) a
// session, then rewrites client->VIP into pool->backend. Flows are tracked even when the
// SYN-flood guard refuses new entries: the reply path needs the session.
Verdict Pipeline::nat_forward(PacketView& pkt, const ServiceEntry& svc, const BackendEntry& be, int64_t slot,
                              uint32_t now_ms, Work& w) {
  if (EDGELB_UNLIKELY(!nat_)) return drop(w, DropReason::kNatPortsExhausted);
  if (EDGELB_UNLIKELY(!decrement_ttl(pkt, w.pp))) return drop(w, DropReason::kTtlExceeded);
  int64_t sess = NatTable::kNone;
  if (slot != FlowTable::kNotFound) {
    const FlowMeta& e = flows_.meta(slot);
    if ((e.flags & FlowMeta::kNat) && nat_->owned_by(e.nat_session, w.key, now_ms)) {
      sess = e.nat_session;
      if (nat_->session(uint32_t(sess)).backend_ref != be.ref) {  // moved: the new backend sees a new source
        nat_->release(uint32_t(sess));
        sess = NatTable::kNone;
      }
    }
  }
  if (sess == NatTable::kNone) {
    sess = nat_->allocate(w.key, w.hash, be.ref, be.address, be.port, pkt.data + 6, now_ms);
    if (EDGELB_UNLIKELY(sess == NatTable::kNone)) {
      if (slot != FlowTable::kNotFound && !(flows_.meta(slot).flags & FlowMeta::kNat)) flows_.erase(slot);
      return drop(w, DropReason::kNatPortsExhausted);
    }
    if (slot == FlowTable::kNotFound) {
      slot = flows_.insert(w.key, w.hash, be.ref, w.pp.tcp_flags, w.key.proto == wire::kProtoTcp, now_ms);
      stats_.vip[svc.slot].new_flows.add();
    }
    FlowMeta& e = flows_.meta(slot);
    e.flags |= FlowMeta::kNat;
    e.nat_session = uint32_t(sess);
  }
  nat_->refresh(uint32_t(sess), w.pp.tcp_flags, now_ms);
  nat_rewrite(pkt, w.pp, nat_->pool_address(uint32_t(sess)).bytes.data(), nat_->port_of(uint32_t(sess)),
              be.address.bytes.data(), be.port);
  pkt.len = uint32_t(w.pp.l3_offset) + w.pp.l3_len;  // an IP hop: Ethernet padding/trailers stay here
  if (svc.mss_clamp) clamp_tcp_mss(pkt, w.pp, svc.mss_clamp);
  return Verdict::kForward;
}

// A backend's reply to a pool address/port of this worker: back to VIP->client.
Verdict Pipeline::nat_reply(PacketView& pkt, const ServiceSnapshot& snap, const MacAddress& port_mac, uint32_t now_ms,
                            Work& w) {
  const ParsedPacket& pp = w.pp;
  const int64_t sess = nat_->find_reply(w.pool_idx, pp.key.dst_port, now_ms);
  if (sess == NatTable::kNone) return drop(w, DropReason::kNatNoSession);
  const NatSession& s = nat_->session(uint32_t(sess));
  if (s.client.proto != pp.key.proto || s.backend_port != pp.key.src_port ||
      std::memcmp(s.backend, pp.key.src, 16) != 0)
    return drop(w, DropReason::kNatNoSession);
  if (EDGELB_UNLIKELY(pp.l3_len > snap.globals.mtu))  // told to the backend, from the pool address
    return too_big(pkt, snap, port_mac, now_ms, w, DropReason::kMtuExceeded, snap.globals.mtu);
  if (EDGELB_UNLIKELY(!decrement_ttl(pkt, pp))) return drop(w, DropReason::kTtlExceeded);
  nat_->refresh(uint32_t(sess), pp.tcp_flags, now_ms);
  nat_rewrite(pkt, pp, s.client.dst, s.client.dst_port, s.client.src, s.client.src_port);
  pkt.len = uint32_t(pp.l3_offset) + pp.l3_len;
  if (EDGELB_UNLIKELY(pp.tcp_flags & wire::kTcpSyn)) {  // SYN-ACK: the service may clamp its MSS
    const ServiceEntry* svc = snap.find(s.client.dst, s.client.family, s.client.dst_port, s.client.proto);
    if (svc && svc->mss_clamp) clamp_tcp_mss(pkt, pp, svc->mss_clamp);
  }
  MacAddress client_mac;
  std::memcpy(client_mac.bytes.data(), s.client_mac, 6);
  rewrite_macs(pkt, client_mac, port_mac);
  stats_.nat_replies.add();
  stats_.forwarded.add();
  return Verdict::kForward;
}

void Pipeline::process_burst(PacketView* pkts, uint16_t n, Verdict* verdicts, const ServiceSnapshot* snap,
                             const MacAddress& port_mac, uint32_t now_ms) {
  if (EDGELB_UNLIKELY(!snap)) {
    for (uint16_t i = 0; i < n; ++i) {
      verdicts[i] = drop(work_[i], DropReason::kNoSnapshot);
      stats_.drop(DropReason::kNoSnapshot);
    }
    return;
  }
  nreleased_ = 0;
  learnt_ = false;
  for (uint16_t i = 0; i < n; ++i) verdicts[i] = classify(pkts[i], *snap, port_mac, now_ms, work_[i]);
  for (uint16_t i = 0; i < n; ++i) {
    if (EDGELB_LIKELY(verdicts[i] == Verdict::kForward)) verdicts[i] = act(pkts[i], *snap, port_mac, now_ms, work_[i]);
    if (EDGELB_UNLIKELY(verdicts[i] != Verdict::kForward)) count(verdicts[i], work_[i]);
  }
  if (EDGELB_UNLIKELY(nheld_)) release_held(snap, now_ms);
}

void Pipeline::count(Verdict v, const Work& w) {
  if (v == Verdict::kPunt)
    stats_.punted[size_t(w.punt)].add();
  else if (v == Verdict::kDrop)
    stats_.drop(w.drop);
}

// Held fragments whose first fragment came (balanced now, with its ports) or whose time is up.
void Pipeline::release_held(const ServiceSnapshot* snap, uint32_t now_ms) {
  uint16_t keep = 0;
  for (uint16_t i = 0; i < nheld_; ++i) {
    Held& h = held_[i];
    uint16_t sp, dp;
    if (snap && learnt_ && fragments_.find(h.datagram, now_ms, &sp, &dp)) {
      Work& w = released_work_[nreleased_];
      PacketView& v = released_[nreleased_] = h.view;
      Verdict verdict = classify(v, *snap, h.port_mac, now_ms, w);
      if (verdict == Verdict::kForward) verdict = act(v, *snap, h.port_mac, now_ms, w);
      if (verdict != Verdict::kForward) count(verdict, w);
      released_verdicts_[nreleased_++] = verdict;
    } else if (int32_t(now_ms - h.until_ms) >= 0) {
      released_[nreleased_] = h.view;
      released_work_[nreleased_].drop = DropReason::kFragmentTimeout;
      released_verdicts_[nreleased_++] = Verdict::kDrop;
      stats_.drop(DropReason::kFragmentTimeout);
    } else {
      held_[keep++] = h;
    }
  }
  nheld_ = keep;
}

void Pipeline::expire_held(uint32_t now_ms) {
  nreleased_ = 0;
  learnt_ = false;
  if (nheld_) release_held(nullptr, now_ms);
}

}  // namespace edgelb
