// Full-NAT header rewriting for parsed TCP/UDP packets (IPv4 or IPv6, any VLAN depth).
// Addresses and ports are replaced in place and every checksum they feed is updated
// incrementally (RFC 1624): the IPv4 header checksum and the TCP/UDP checksum (pseudo-header
// + ports). An IPv4 UDP checksum of 0 (none) stays 0; a computed 0 is sent as 0xffff.
// Thread-safety: pure functions over the caller's packet.
#pragma once

#include <cstdint>

#include "packet/packet_view.h"
#include "packet/parser.h"

namespace edgelb {

// Replaces source and destination address (4 or 16 bytes, the packet's family) and ports; a
// later fragment (no L4 header) gets only its addresses replaced.
void nat_rewrite(PacketView& pkt, const ParsedPacket& pp, const uint8_t* src, uint16_t src_port, const uint8_t* dst,
                 uint16_t dst_port);

// NAT is an IP hop: decrements the IPv4 TTL (updating the header checksum) or the IPv6 hop
// limit. Returns false, changing nothing, when it is 1 or 0: the packet must be dropped.
bool decrement_ttl(PacketView& pkt, const ParsedPacket& pp);

// TCP SYN (or SYN-ACK) carrying an MSS option larger than `mss`: lowers it to `mss` and
// fixes the checksum. Returns whether the packet changed. Malformed options are left alone.
bool clamp_tcp_mss(PacketView& pkt, const ParsedPacket& pp, uint16_t mss);

}  // namespace edgelb
