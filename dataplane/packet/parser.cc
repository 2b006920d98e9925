#include "packet/parser.h"

#include <cstring>

#include "packet/packet_view.h"

namespace edgelb {
namespace {

constexpr int kMaxIpv6ExtHeaders = 8;

struct L3Info {
  uint8_t proto = 0;
  uint32_t header_len = 0;  // IP header plus extension headers
  uint32_t total_len = 0;   // declared IP packet length
  bool fragment = false;
  bool first_fragment = true;
  uint32_t frag_id = 0;        // IPv4 identification or the IPv6 fragment header's
  bool segments_left = false;  // an IPv6 routing header still has hops to visit
};

bool is_ipv6_ext_header(uint8_t nh) {
  return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

// Walks the IPv6 extension header chain. `p` points at the IPv6 header, `avail` bytes exist.
// `strict_length`: the outer packet checks payload length; an ICMP-quoted inner packet may be
// cut short, so there only the headers themselves must be present.
MaybeDrop walk_ipv6(const uint8_t* p, uint32_t avail, bool strict_length, L3Info* l3) {
  if (avail < wire::kIpv6HeaderLen) return DropReason::kIpv6Truncated;
  if ((p[0] >> 4) != 6) return DropReason::kIpv6BadVersion;
  l3->total_len = wire::kIpv6HeaderLen + load_be16(p + 4);
  if (strict_length && l3->total_len > avail) return DropReason::kIpv6BadPayloadLength;
  uint32_t limit = strict_length ? l3->total_len : avail;
  uint8_t nh = p[6];
  uint32_t off = wire::kIpv6HeaderLen;
  int count = 0;
  while (is_ipv6_ext_header(nh)) {
    if (++count > kMaxIpv6ExtHeaders) return DropReason::kIpv6TooManyExtHeaders;
    if (off + 8 > limit) return DropReason::kIpv6ExtHeaderTruncated;
    const uint8_t* h = p + off;
    uint32_t hlen;
    if (nh == 44) {  // fragment header: fixed 8 bytes
      hlen = 8;
      uint16_t off_flags = load_be16(h + 2);
      l3->fragment = true;
      l3->first_fragment = (off_flags >> 3) == 0;
      l3->frag_id = load_be32(h + 4);
    } else if (nh == 51) {  // AH: length in 4-octet units minus 2
      hlen = (uint32_t(h[1]) + 2) * 4;
    } else {
      if (nh == 43 && h[3] != 0) l3->segments_left = true;  // routing header, segments left
      hlen = (uint32_t(h[1]) + 1) * 8;
    }
    if (off + hlen > limit) return DropReason::kIpv6ExtHeaderTruncated;
    nh = h[0];
    off += hlen;
  }
  l3->proto = nh;
  l3->header_len = off;
  return std::nullopt;
}

MaybeDrop parse_ipv4(const uint8_t* p, uint32_t avail, bool strict_length, L3Info* l3) {
  if (avail < wire::kIpv4HeaderLen) return DropReason::kIpv4Truncated;
  if ((p[0] >> 4) != 4) return DropReason::kIpv4BadVersion;
  uint32_t ihl = (p[0] & 0x0f) * 4u;
  if (ihl < wire::kIpv4HeaderLen) return DropReason::kIpv4BadIhl;
  if (ihl > avail) return DropReason::kIpv4Truncated;
  l3->total_len = load_be16(p + 2);
  if (l3->total_len < ihl) return DropReason::kIpv4BadTotalLength;
  if (strict_length && l3->total_len > avail) return DropReason::kIpv4BadTotalLength;
  uint16_t frag = load_be16(p + 6);
  l3->fragment = (frag & 0x3fff) != 0;  // MF set or offset non-zero
  l3->first_fragment = (frag & 0x1fff) == 0;
  l3->frag_id = load_be16(p + 4);
  l3->proto = p[9];
  l3->header_len = ihl;
  return std::nullopt;
}

void fill_addresses(const uint8_t* ip, IpFamily fam, FlowKey* k) {
  std::memset(k, 0, sizeof(FlowKey));
  if (fam == IpFamily::kV4) {
    std::memcpy(k->src, ip + 12, 4);
    std::memcpy(k->dst, ip + 16, 4);
    k->family = 4;
  } else {
    std::memcpy(k->src, ip + 8, 16);
    std::memcpy(k->dst, ip + 24, 16);
    k->family = 6;
  }
}

bool is_icmp_error(IpFamily fam, uint8_t type) {
  if (fam == IpFamily::kV4) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  return type >= 1 && type <= 4;
}

// Parses the packet quoted inside an ICMP error (same family as the outer packet).
bool parse_icmp_inner(const uint8_t* p, uint32_t avail, IpFamily fam, FlowKey* inner) {
  L3Info l3;
  MaybeDrop r = fam == IpFamily::kV4 ? parse_ipv4(p, avail, false, &l3) : walk_ipv6(p, avail, false, &l3);
  if (r) return false;
  fill_addresses(p, fam, inner);
  inner->proto = l3.proto;
  if (l3.proto == wire::kProtoTcp || l3.proto == wire::kProtoUdp) {
    if (l3.fragment && !l3.first_fragment) return false;
    if (l3.header_len + 4 > avail) return false;  // RFC 792 quotes at least 8 bytes
    inner->src_port = load_be16(p + l3.header_len);
    inner->dst_port = load_be16(p + l3.header_len + 2);
  }
  return true;
}

}  // namespace

MaybeDrop parse_packet(const uint8_t* data, uint32_t len, ParsedPacket* out) {
  if (len < wire::kEtherHeaderLen) return DropReason::kL2Truncated;
  uint32_t off = 12;
  uint16_t ethertype = load_be16(data + off);
  out->vlan_count = 0;
  while (ethertype == wire::kEtherTypeVlan || ethertype == wire::kEtherTypeQinQ) {
    if (++out->vlan_count > 2) return DropReason::kVlanTooDeep;
    off += wire::kVlanTagLen;
    if (off + 2 > len) return DropReason::kL2Truncated;
    ethertype = load_be16(data + off);
  }
  out->ethertype_offset = static_cast<uint16_t>(off);
  off += 2;
  out->l3_offset = static_cast<uint16_t>(off);

  IpFamily fam;
  L3Info l3;
  const uint8_t* ip = data + off;
  uint32_t avail = len - off;
  MaybeDrop r;
  if (ethertype == wire::kEtherTypeIpv4) {
    fam = IpFamily::kV4;
    r = parse_ipv4(ip, avail, true, &l3);
  } else if (ethertype == wire::kEtherTypeIpv6) {
    fam = IpFamily::kV6;
    r = walk_ipv6(ip, avail, true, &l3);
  } else {
    return DropReason::kNonIp;
  }
  if (r) return r;

  fill_addresses(ip, fam, &out->key);
  out->key.proto = l3.proto;
  out->l3_len = static_cast<uint16_t>(l3.total_len);
  out->l4_proto = l3.proto;
  out->l4_offset = static_cast<uint16_t>(off + l3.header_len);
  out->fragment = l3.fragment;
  out->later_fragment = l3.fragment && !l3.first_fragment;
  out->frag_id = l3.frag_id;
  out->segments_left = l3.segments_left;
  out->has_ports = false;
  out->icmp_error = false;
  out->tcp_flags = 0;

  // Only a first fragment (or an unfragmented packet) carries the L4 header.
  if (l3.fragment && !l3.first_fragment) return std::nullopt;
  const uint8_t* l4 = ip + l3.header_len;
  uint32_t l4_avail = l3.total_len - l3.header_len;

  switch (l3.proto) {
    case wire::kProtoTcp: {
      if (l4_avail < wire::kTcpMinHeaderLen) {
        if (l3.fragment) return std::nullopt;  // tiny first fragment: no ports
        return DropReason::kTcpBadHeader;
      }
      uint32_t doff = (l4[12] >> 4) * 4u;
      if (doff < wire::kTcpMinHeaderLen || (!l3.fragment && doff > l4_avail)) return DropReason::kTcpBadHeader;
      out->key.src_port = load_be16(l4);
      out->key.dst_port = load_be16(l4 + 2);
      out->tcp_flags = l4[13];
      out->has_ports = true;
      break;
    }
    case wire::kProtoUdp: {
      if (l4_avail < wire::kUdpHeaderLen) {
        if (l3.fragment) return std::nullopt;
        return DropReason::kUdpBadHeader;
      }
      uint32_t ulen = load_be16(l4 + 4);
      if (!l3.fragment && (ulen < wire::kUdpHeaderLen || ulen > l4_avail)) return DropReason::kUdpBadHeader;
      out->key.src_port = load_be16(l4);
      out->key.dst_port = load_be16(l4 + 2);
      out->has_ports = true;
      break;
    }
    case wire::kProtoIcmp:
    case wire::kProtoIcmpv6: {
      bool family_matches = (l3.proto == wire::kProtoIcmp) == (fam == IpFamily::kV4);
      if (!family_matches) break;  // ICMPv4 inside IPv6 or vice versa: treat as opaque
      if (l4_avail < 8) {
        if (l3.fragment) return std::nullopt;
        return DropReason::kIcmpTruncated;
      }
      out->icmp_type = l4[0];
      out->icmp_code = l4[1];
      if (is_icmp_error(fam, l4[0]) && !l3.fragment)
        out->icmp_error = parse_icmp_inner(l4 + 8, l4_avail - 8, fam, &out->inner);
      break;
    }
    default: break;
  }
  return std::nullopt;
}

}  // namespace edgelb
