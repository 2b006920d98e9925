// Rewrites a parsed frame toward its backend. Each function either succeeds and leaves a
// well-formed frame in `pkt`, or returns a drop reason and leaves `pkt` unmodified.
//
//  - L2 DSR: destination MAC := backend next hop, source MAC := port MAC; IP untouched (the
//    backend holds the VIP on a loopback and answers the client directly).
//  - IPIP: an outer IPv4/IPv6 header in the backend's family (IPv4-in-IPv4, IPv6-in-IPv6,
//    IPv4-in-IPv6, IPv6-in-IPv4). The outer source comes from the configured prefix with host
//    bits taken from the flow hash, so a backend's RSS spreads tunnelled flows over its queues.
//  - GUE (variant 1, direct IP encapsulation): outer IP + UDP (source port from the flow hash,
//    destination the service's GUE port) + the inner IP packet. IPv4 outer UDP checksum is 0;
//    IPv6 outer UDP checksum is computed.
// VLAN tags of the received frame are kept; Ethernet padding is trimmed before encapsulating.
// The outer TTL/hop limit is 64, DSCP/ECN are copied from the inner header, IPv4 outer sets DF.
#pragma once

#include <cstdint>

#include "packet/drop_reason.h"
#include "packet/packet_view.h"
#include "packet/parser.h"
#include "service/service_snapshot.h"

namespace edgelb {

struct EncapSettings {
  const IpPrefix* source_v4;  // may be null when no IPv4 tunnel backends exist
  const IpPrefix* source_v6;
  uint16_t mtu;
};

void rewrite_macs(PacketView& pkt, const MacAddress& dst, const MacAddress& src);

// Bytes a tunnel adds in front of the inner packet: the outer IP header, and GUE's UDP header.
inline uint32_t encap_overhead(bool outer_v4, bool gue) {
  return (outer_v4 ? wire::kIpv4HeaderLen : wire::kIpv6HeaderLen) + (gue ? wire::kUdpHeaderLen : 0);
}

MaybeDrop encapsulate(PacketView& pkt, const ParsedPacket& pp, const BackendEntry& backend, bool gue, uint16_t gue_port,
                      uint64_t flow_hash, const EncapSettings& s);

// The outer source address for a flow hash (exposed for tests and tools).
IpAddress encap_source(const IpPrefix& prefix, uint64_t flow_hash);

}  // namespace edgelb
