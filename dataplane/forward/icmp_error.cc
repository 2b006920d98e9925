#include "forward/icmp_error.h"

#include <algorithm>
#include <cstring>

#include "forward/checksum.h"

namespace edgelb {

void make_too_big(PacketView& pkt, const ParsedPacket& pp, uint16_t mtu, const MacAddress& port_mac) {
  const bool v4 = pp.key.family == 4;
  const uint32_t ip_len = v4 ? wire::kIpv4HeaderLen : wire::kIpv6HeaderLen;
  const uint32_t hdr = ip_len + 8;  // IP + ICMP header
  // The error must fit where the packet was (the frame only shrinks).
  const uint32_t quote = std::min<uint32_t>(pp.l3_len - hdr, v4 ? kIcmp4QuoteMax : kIcmp6QuoteMax);
  uint8_t* ip = pkt.data + pp.l3_offset;
  // The original addresses, before the quote moves over them.
  uint8_t src[16], dst[16];
  std::memcpy(src, pp.key.src, 16);
  std::memcpy(dst, pp.key.dst, 16);
  std::memmove(ip + hdr, ip, quote);
  pkt.len = uint32_t(pp.l3_offset) + hdr + quote;

  // Ethernet: back to the station that sent it.
  std::memcpy(pkt.data, pkt.data + 6, 6);
  std::memcpy(pkt.data + 6, port_mac.bytes.data(), 6);

  uint8_t* icmp = ip + ip_len;
  const uint32_t icmp_len = 8 + quote;
  if (v4) {
    ip[0] = 0x45;
    ip[1] = 0;
    store_be16(ip + 2, uint16_t(ip_len + icmp_len));
    store_be16(ip + 4, 0);
    store_be16(ip + 6, 0);
    ip[8] = 64;
    ip[9] = wire::kProtoIcmp;
    store_be16(ip + 10, 0);
    std::memcpy(ip + 12, dst, 4);
    std::memcpy(ip + 16, src, 4);
    store_be16(ip + 10, ipv4_header_checksum(ip, ip_len));
    icmp[0] = 3;  // destination unreachable
    icmp[1] = 4;  // fragmentation needed and DF set
    store_be16(icmp + 2, 0);
    store_be16(icmp + 4, 0);
    store_be16(icmp + 6, mtu);
    store_be16(icmp + 2, checksum_finish(checksum_partial(icmp, icmp_len)));
  } else {
    store_be32(ip, 6u << 28);
    store_be16(ip + 4, uint16_t(icmp_len));
    ip[6] = wire::kProtoIcmpv6;
    ip[7] = 64;
    std::memcpy(ip + 8, dst, 16);
    std::memcpy(ip + 24, src, 16);
    icmp[0] = 2;  // packet too big
    icmp[1] = 0;
    store_be16(icmp + 2, 0);
    store_be32(icmp + 4, std::max(mtu, kIpv6MinMtu));
    uint64_t sum = checksum_partial(ip + 8, 32);  // RFC 4443 2.3: the IPv6 pseudo-header
    sum += icmp_len;
    sum += wire::kProtoIcmpv6;
    store_be16(icmp + 2, checksum_finish(checksum_partial(icmp, icmp_len, sum)));
  }
}

}  // namespace edgelb
