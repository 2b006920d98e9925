// Builds test frames byte by byte (Ethernet / VLAN / IPv4 / IPv6 / TCP / UDP / ICMP) with
// correct length fields, so tests can then corrupt exactly the byte they care about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "forward/checksum.h"
#include "packet/ip_address.h"
#include "packet/packet_view.h"

namespace edgelb::test {

struct L4 {
  uint8_t proto = 6;
  uint16_t sport = 40000, dport = 80;
  uint8_t tcp_flags = 0x02;
  uint8_t icmp_type = 0, icmp_code = 0;
  std::vector<uint8_t> icmp_inner{};  // quoted packet for ICMP errors
  size_t payload = 0;
};

inline IpAddress ip(const std::string& s) { return *IpAddress::parse(s); }

inline std::vector<uint8_t> ip_packet(const IpAddress& src, const IpAddress& dst, const L4& l4) {
  std::vector<uint8_t> l4b;
  if (l4.proto == 6) {
    l4b.assign(20 + l4.payload, 0);
    store_be16(&l4b[0], l4.sport);
    store_be16(&l4b[2], l4.dport);
    l4b[12] = 0x50;
    l4b[13] = l4.tcp_flags;
    store_be16(&l4b[14], 65535);
  } else if (l4.proto == 17) {
    l4b.assign(8 + l4.payload, 0);
    store_be16(&l4b[0], l4.sport);
    store_be16(&l4b[2], l4.dport);
    store_be16(&l4b[4], uint16_t(8 + l4.payload));
  } else if (l4.proto == 1 || l4.proto == 58) {
    l4b.assign(8, 0);
    l4b[0] = l4.icmp_type;
    l4b[1] = l4.icmp_code;
    l4b.insert(l4b.end(), l4.icmp_inner.begin(), l4.icmp_inner.end());
  } else {
    l4b.assign(l4.payload, 0);
  }
  std::vector<uint8_t> p;
  if (src.is_v4()) {
    p.assign(20, 0);
    p[0] = 0x45;
    store_be16(&p[2], uint16_t(20 + l4b.size()));
    p[8] = 64;
    p[9] = l4.proto;
    std::copy(src.bytes.begin(), src.bytes.begin() + 4, p.begin() + 12);
    std::copy(dst.bytes.begin(), dst.bytes.begin() + 4, p.begin() + 16);
    store_be16(&p[10], ipv4_header_checksum(p.data(), 20));
  } else {
    p.assign(40, 0);
    p[0] = 0x60;
    store_be16(&p[4], uint16_t(l4b.size()));
    p[6] = l4.proto;
    p[7] = 64;
    std::copy(src.bytes.begin(), src.bytes.end(), p.begin() + 8);
    std::copy(dst.bytes.begin(), dst.bytes.end(), p.begin() + 24);
  }
  p.insert(p.end(), l4b.begin(), l4b.end());
  return p;
}

inline std::vector<uint8_t> ether(const std::vector<uint8_t>& ip_pkt, bool v6, std::vector<uint16_t> vlans = {}) {
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0xcc};  // to the tests' port MAC
  for (uint16_t tag : vlans) {
    f.push_back(0x81);
    f.push_back(0x00);
    f.push_back(uint8_t(tag >> 8));
    f.push_back(uint8_t(tag));
  }
  f.push_back(v6 ? 0x86 : 0x08);
  f.push_back(v6 ? 0xdd : 0x00);
  f.insert(f.end(), ip_pkt.begin(), ip_pkt.end());
  return f;
}

inline std::vector<uint8_t> frame(const std::string& src, const std::string& dst, const L4& l4,
                                  std::vector<uint16_t> vlans = {}) {
  IpAddress s = ip(src), d = ip(dst);
  return ether(ip_packet(s, d, l4), s.is_v6(), std::move(vlans));
}

// A buffer with 128 bytes of headroom, like an mbuf.
struct Buffer {
  static constexpr uint32_t kHeadroom = 128;
  std::vector<uint8_t> storage;
  PacketView view;
  explicit Buffer(const std::vector<uint8_t>& f) : storage(kHeadroom + f.size() + 64) {
    std::copy(f.begin(), f.end(), storage.begin() + kHeadroom);
    view = PacketView{storage.data() + kHeadroom, uint32_t(f.size()), kHeadroom};
  }
  std::vector<uint8_t> bytes() const { return {view.data, view.data + view.len}; }
};

}  // namespace edgelb::test
