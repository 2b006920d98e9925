#include "forward/forwarder.h"

#include <cstring>

#include "forward/checksum.h"

namespace edgelb {

void rewrite_macs(PacketView& pkt, const MacAddress& dst, const MacAddress& src) {
  std::memcpy(pkt.data, dst.bytes.data(), 6);
  std::memcpy(pkt.data + 6, src.bytes.data(), 6);
}

IpAddress encap_source(const IpPrefix& prefix, uint64_t flow_hash) {
  IpAddress a = prefix.address;
  const int total_bits = a.is_v4() ? 32 : 128;
  const int host_bits = total_bits - prefix.length;
  const int usable = host_bits > 64 ? 64 : host_bits;
  // Walk the host bits from the least significant end of the address.
  const int last = total_bits / 8 - 1;
  for (int bit = 0; bit < usable; ++bit) {
    const int byte = last - bit / 8;
    const uint8_t mask = uint8_t(1u << (bit % 8));
    if ((flow_hash >> bit) & 1)
      a.bytes[byte] |= mask;
    else
      a.bytes[byte] &= uint8_t(~mask);
  }
  return a;
}

namespace {

uint8_t inner_traffic_class(const uint8_t* ip, uint8_t family) {
  if (family == 4) return ip[1];
  return uint8_t((ip[0] & 0x0f) << 4 | ip[1] >> 4);
}

}  // namespace

MaybeDrop encapsulate(PacketView& pkt, const ParsedPacket& pp, const BackendEntry& backend, bool gue, uint16_t gue_port,
                      uint64_t flow_hash, const EncapSettings& s) {
  const bool outer_v4 = backend.address.is_v4();
  const IpPrefix* src_prefix = outer_v4 ? s.source_v4 : s.source_v6;
  if (!src_prefix) return DropReason::kNoNextHop;  // unreachable after validation
  const uint32_t outer_ip_len = outer_v4 ? wire::kIpv4HeaderLen : wire::kIpv6HeaderLen;
  const uint32_t add = encap_overhead(outer_v4, gue);
  const uint32_t inner_len = pp.l3_len;
  if (add + inner_len > s.mtu) return DropReason::kEncapTooBig;
  if (add > pkt.headroom) return DropReason::kNoHeadroom;

  const uint32_t l2_len = pp.l3_offset;
  const uint8_t inner_family = pp.key.family;
  const uint8_t tclass = inner_traffic_class(pkt.data + l2_len, inner_family);
  pkt.len = l2_len + inner_len;  // trim Ethernet padding
  pkt.prepend(add);
  std::memmove(pkt.data, pkt.data + add, l2_len);
  store_be16(pkt.data + pp.ethertype_offset, outer_v4 ? wire::kEtherTypeIpv4 : wire::kEtherTypeIpv6);

  uint8_t* ip = pkt.data + l2_len;
  const uint8_t next_proto = gue ? wire::kProtoUdp : (inner_family == 4 ? wire::kProtoIpip : wire::kProtoIpv6);
  const uint32_t payload_len = add - outer_ip_len + inner_len;
  const IpAddress src = encap_source(*src_prefix, flow_hash);
  if (outer_v4) {
    ip[0] = 0x45;
    ip[1] = tclass;
    store_be16(ip + 2, static_cast<uint16_t>(outer_ip_len + payload_len));
    store_be16(ip + 4, 0);       // identification: unused with DF (RFC 6864)
    store_be16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = next_proto;
    store_be16(ip + 10, 0);
    std::memcpy(ip + 12, src.bytes.data(), 4);
    std::memcpy(ip + 16, backend.address.bytes.data(), 4);
    store_be16(ip + 10, ipv4_header_checksum(ip, wire::kIpv4HeaderLen));
  } else {
    const uint32_t flow_label = static_cast<uint32_t>(flow_hash >> 12) & 0xfffff;
    store_be32(ip, 6u << 28 | uint32_t(tclass) << 20 | flow_label);
    store_be16(ip + 4, static_cast<uint16_t>(payload_len));
    ip[6] = next_proto;
    ip[7] = 64;
    std::memcpy(ip + 8, src.bytes.data(), 16);
    std::memcpy(ip + 24, backend.address.bytes.data(), 16);
  }
  if (gue) {
    uint8_t* udp = ip + outer_ip_len;
    store_be16(udp, static_cast<uint16_t>(0xc000 | ((flow_hash >> 40) & 0x3fff)));
    store_be16(udp + 2, gue_port);
    store_be16(udp + 4, static_cast<uint16_t>(payload_len));
    store_be16(udp + 6, 0);
    if (!outer_v4) {                                // RFC 8200: UDP over IPv6 carries a checksum
      uint64_t sum = checksum_partial(ip + 8, 32);  // source + destination
      sum += payload_len;
      sum += wire::kProtoUdp;
      sum = checksum_partial(udp, payload_len, sum);
      uint16_t c = checksum_finish(sum);
      store_be16(udp + 6, c == 0 ? 0xffff : c);
    }
  }
  return std::nullopt;
}

}  // namespace edgelb
