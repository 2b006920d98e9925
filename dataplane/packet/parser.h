// Bounds-checked parser: Ethernet, up to two 802.1Q/802.1ad tags, IPv4 (options, fragments),
// IPv6 (extension headers, fragments), TCP, UDP, ICMP/ICMPv6 (errors with inner headers).
// Contract: never reads outside [data, data+len); on failure returns the drop reason and leaves
// `out` partially filled. Thread-safety: pure function.
#pragma once

#include <cstdint>

#include "packet/drop_reason.h"
#include "packet/flow_key.h"

namespace edgelb {

struct ParsedPacket {
  uint16_t ethertype_offset = 0;  // offset of the innermost EtherType field
  uint16_t l3_offset = 0;         // first byte of the IP header
  uint16_t l3_len = 0;            // IP packet length as its header declares (<= frame)
  uint16_t l4_offset = 0;         // first byte after IP header + extension headers
  uint8_t vlan_count = 0;
  uint8_t l4_proto = 0;  // final protocol after IPv6 extension headers
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool fragment = false;        // any fragment (first or later)
  bool later_fragment = false;  // a fragment with a non-zero offset: no L4 header (ports come from its first)
  bool segments_left = false;   // IPv6 routing header with segments left: the destination is a waypoint
  bool has_ports = false;       // key carries TCP/UDP ports
  bool icmp_error = false;      // ICMP error whose inner header parsed (see inner)
  uint32_t frag_id = 0;         // with fragment: IPv4 identification / IPv6 fragment header id
  FlowKey key{};                // outer 5-tuple (ports 0 when absent)
  FlowKey inner{};              // ICMP error: the offending packet's tuple as it was sent
};

// nullopt when the frame parsed; else why it cannot be forwarded (kNonIp also for ARP).
MaybeDrop parse_packet(const uint8_t* data, uint32_t len, ParsedPacket* out);

}  // namespace edgelb
