#include "frames.h"

#include <algorithm>
#include <cstring>

#include "forward/checksum.h"
#include "packet/packet_view.h"

namespace edgelb::pktgen {
namespace {

constexpr uint16_t kProbeMarker = 0xed1b;
constexpr uint32_t kTrailer = 10;

uint32_t l3_len(const Vip& v) { return v.addr.is_v6() ? 40 : 20; }
uint32_t l4_len(const Vip& v) { return v.proto == 6 ? 20 : 8; }

// The TCP/UDP checksum of a frame whose payload after the L4 header is zero but for the last
// kTrailer bytes when `trailer` (zero bytes add nothing to a one's-complement sum).
void set_l4_checksum(uint8_t* p, uint32_t len, const Vip& v, bool trailer) {
  const bool v6 = v.addr.is_v6();
  uint8_t* ip = p + 14;
  uint8_t* l4 = ip + l3_len(v);
  const uint32_t l4_bytes = len - 14 - l3_len(v);
  uint8_t* check = l4 + (v.proto == 6 ? 16 : 6);
  store_be16(check, 0);
  uint64_t sum = v6 ? checksum_partial(ip + 8, 32) : checksum_partial(ip + 12, 8);
  sum += v.proto + l4_bytes;
  sum = checksum_partial(l4, l4_len(v), sum);
  if (trailer) {
    // The trailer starts (len - kTrailer) - (l4 - p) bytes into the segment; at an odd offset its
    // bytes land in the other half of each 16-bit word: sum them as words, then swap (RFC 1071).
    uint64_t t = checksum_partial(p + len - kTrailer, kTrailer);
    while (t >> 16) t = (t & 0xffff) + (t >> 16);
    if ((len - kTrailer - uint32_t(l4 - p)) & 1) t = ((t & 0xff) << 8) | (t >> 8);
    sum += t;
  }
  uint16_t c = checksum_finish(sum);
  if (v.proto == 17 && c == 0) c = 0xffff;  // UDP: 0 means "no checksum"
  store_be16(check, c);
}

}  // namespace

uint32_t build_frame(uint8_t* p, uint32_t frame_size, const MacAddress& src_mac, const MacAddress& dst_mac,
                     const Vip& v, uint64_t f, uint8_t tcp_flags) {
  const bool v6 = v.addr.is_v6();
  const uint32_t l3 = l3_len(v), l4 = l4_len(v);
  const uint32_t size = std::max<uint32_t>(frame_size, 14 + l3 + l4);
  std::memset(p, 0, size);
  std::memcpy(p, dst_mac.bytes.data(), 6);
  std::memcpy(p + 6, src_mac.bytes.data(), 6);
  store_be16(p + 12, v6 ? 0x86dd : 0x0800);
  uint8_t* ip = p + 14;
  const uint16_t sport = uint16_t(1024 + f % 64000);
  const uint32_t host = uint32_t(f / 64000);
  const uint32_t ip_len = size - 14;
  if (!v6) {
    ip[0] = 0x45;
    store_be16(ip + 2, uint16_t(ip_len));
    ip[8] = 64;
    ip[9] = v.proto;
    store_be32(ip + 12, 0xc6128000u | (host & 0x7fff));  // 198.18.128.0/17
    std::memcpy(ip + 16, v.addr.bytes.data(), 4);
    store_be16(ip + 10, ipv4_header_checksum(ip, 20));
  } else {
    ip[0] = 0x60;
    store_be16(ip + 4, uint16_t(ip_len - 40));
    ip[6] = v.proto;
    ip[7] = 64;
    const uint8_t src[16] = {0x20,
                             0x01,
                             0x0d,
                             0xb8,
                             0x80,
                             0,
                             0,
                             0,
                             0,
                             0,
                             0,
                             0,
                             uint8_t(host >> 24),
                             uint8_t(host >> 16),
                             uint8_t(host >> 8),
                             uint8_t(host)};  // 2001:db8:8000::/33
    std::memcpy(ip + 8, src, 16);
    std::memcpy(ip + 24, v.addr.bytes.data(), 16);
  }
  uint8_t* l4p = ip + l3;
  store_be16(l4p, sport);
  store_be16(l4p + 2, v.port);
  if (v.proto == 6) {
    l4p[12] = 0x50;
    l4p[13] = tcp_flags;
    store_be16(l4p + 14, 65535);
  } else {
    store_be16(l4p + 4, uint16_t(ip_len - l3));
  }
  set_l4_checksum(p, size, v, false);
  return size;
}

uint32_t build_flood_frame(uint8_t* p, uint32_t frame_size, const MacAddress& src_mac, const MacAddress& dst_mac,
                           const Vip& v, uint64_t n) {
  const uint32_t len = build_frame(p, frame_size, src_mac, dst_mac, v, 0, kSyn);
  uint8_t* ip = p + 14;
  store_be32(ip + 12, 0xc6130000u | uint32_t((n >> 16) & 0xffff));  // 198.19.0.0/16
  store_be16(ip + 10, 0);
  store_be16(ip + 10, ipv4_header_checksum(ip, 20));
  store_be16(ip + 20, uint16_t(n));
  set_l4_checksum(p, len, v, false);
  return len;
}

bool stamp_probe(uint8_t* p, uint32_t len, const Vip& v, uint64_t tsc) {
  if (len < 14 + l3_len(v) + l4_len(v) + kTrailer) return false;
  store_be16(p + len - kTrailer, kProbeMarker);
  std::memcpy(p + len - 8, &tsc, 8);
  set_l4_checksum(p, len, v, true);
  return true;
}

uint64_t probe_tsc(const uint8_t* p, uint32_t len) {
  if (len < 64 || load_be16(p + len - kTrailer) != kProbeMarker) return 0;
  uint64_t tsc;
  std::memcpy(&tsc, p + len - 8, 8);
  return tsc;
}

int64_t established_flow(const uint8_t* p, uint32_t len) {
  if (len < 38 || load_be16(p + 12) != 0x0800) return -1;
  const uint32_t src = load_be32(p + 26);
  if ((src & 0xffff8000u) != 0xc6128000u) return -1;  // not 198.18.128.0/17
  return int64_t(src & 0x7fff) * 64000 + (load_be16(p + 34) - 1024);
}

}  // namespace edgelb::pktgen
