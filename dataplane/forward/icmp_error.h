// ICMP "packet too big" errors the dataplane sends to a client instead of silently dropping a
// packet that would leave it larger than forwarding.mtu (issue 15, Part A 2 and 7): IPv4
// "destination unreachable, fragmentation needed" (RFC 792, RFC 1191) and ICMPv6 "packet too
// big" (RFC 4443 3.2). Katran's lb answers with the same messages for the same reason.
//
// make_too_big() rewrites the received frame in place into the error, addressed back the way
// the packet came: Ethernet to its source MAC from `port_mac` (VLAN tags kept), IP from the
// address it was sent to (the VIP) to its source, TTL/hop limit 64. The quoted packet is the
// original IP packet cut to fit a 576-byte IPv4 / 1280-byte IPv6 error (RFC 1812 4.3.2.3,
// RFC 4443 2.4(c)) and to the packet's own length. The frame only shrinks, so no headroom is
// needed. Contract: `pp` describes `pkt` as parsed, pp.l3_len >= 576 - 48, the packet is not an ICMP error itself (the
// caller never answers an error with an error). Thread-safety: pure function of its inputs.
#pragma once

#include <cstdint>

#include "packet/packet_view.h"
#include "packet/parser.h"
#include "service/service_snapshot.h"

namespace edgelb {

// The MTU an IPv6 error may announce is never below 1280 (RFC 8200 5).
constexpr uint16_t kIpv6MinMtu = 1280;

// Largest quoted part of the offending packet: a 576-byte IPv4 error less its IP and ICMP
// headers; a 1280-byte IPv6 error less its.
constexpr uint32_t kIcmp4QuoteMax = 576 - 20 - 8;
constexpr uint32_t kIcmp6QuoteMax = 1280 - 40 - 8;

void make_too_big(PacketView& pkt, const ParsedPacket& pp, uint16_t mtu, const MacAddress& port_mac);

}  // namespace edgelb
