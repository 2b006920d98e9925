#include "forward/nat_rewrite.h"

#include <cstring>

#include "forward/checksum.h"

namespace edgelb {

namespace {

uint16_t l4_checksum_offset(uint8_t proto) { return proto == wire::kProtoTcp ? 16 : 6; }

}  // namespace

void nat_rewrite(PacketView& pkt, const ParsedPacket& pp, const uint8_t* src, uint16_t src_port, const uint8_t* dst,
                 uint16_t dst_port) {
  uint8_t* ip = pkt.data + pp.l3_offset;
  uint8_t* l4 = pkt.data + pp.l4_offset;
  const bool v4 = pp.key.family == 4;
  const size_t alen = v4 ? 4 : 16;
  uint8_t* ip_src = ip + (v4 ? 12 : 8);  // the destination follows it
  if (pp.later_fragment) {               // no L4 header here: its first fragment's checksum covered the addresses
    uint8_t addrs[32];
    std::memcpy(addrs, src, alen);
    std::memcpy(addrs + alen, dst, alen);
    if (v4) store_be16(ip + 10, checksum_update(load_be16(ip + 10), ip_src, addrs, 2 * alen));
    std::memcpy(ip_src, addrs, 2 * alen);
    return;
  }

  // Old and new values of everything the L4 pseudo-header + header checksum covers.
  uint8_t old_words[36], new_words[36];
  std::memcpy(old_words, ip_src, 2 * alen);
  std::memcpy(old_words + 2 * alen, l4, 4);
  std::memcpy(new_words, src, alen);
  std::memcpy(new_words + alen, dst, alen);
  store_be16(new_words + 2 * alen, src_port);
  store_be16(new_words + 2 * alen + 2, dst_port);
  const size_t n = 2 * alen + 4;

  uint8_t* l4_check = l4 + l4_checksum_offset(pp.l4_proto);
  const uint16_t check = load_be16(l4_check);
  if (pp.l4_proto == wire::kProtoTcp || !v4 || check != 0) {
    uint16_t c = checksum_update(check, old_words, new_words, n);
    if (pp.l4_proto == wire::kProtoUdp && c == 0) c = 0xffff;
    store_be16(l4_check, c);
  }
  if (v4) store_be16(ip + 10, checksum_update(load_be16(ip + 10), old_words, new_words, 2 * alen));
  std::memcpy(ip_src, new_words, 2 * alen);
  std::memcpy(l4, new_words + 2 * alen, 4);
}

bool clamp_tcp_mss(PacketView& pkt, const ParsedPacket& pp, uint16_t mss) {
  if (pp.l4_proto != wire::kProtoTcp || !(pp.tcp_flags & wire::kTcpSyn) || mss == 0) return false;
  uint8_t* tcp = pkt.data + pp.l4_offset;
  const uint32_t hdr_len = uint32_t(tcp[12] >> 4) * 4;
  const uint32_t l3_end = uint32_t(pp.l3_offset) + pp.l3_len;
  if (hdr_len <= 20 || pp.l4_offset + hdr_len > l3_end || pp.l4_offset + hdr_len > pkt.len) return false;
  for (uint32_t off = 20; off < hdr_len;) {
    const uint8_t kind = tcp[off];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // NOP
      ++off;
      continue;
    }
    if (off + 1 >= hdr_len) break;
    const uint8_t len = tcp[off + 1];
    if (len < 2 || off + len > hdr_len) break;
    if (kind == 2 && len == 4) {
      const uint16_t cur = load_be16(tcp + off + 2);
      if (cur <= mss) return false;
      // Update over the aligned 16-bit words that contain the value (it may start on an odd
      // byte after a NOP).
      const uint32_t first = (off + 2) & ~1u, last = (off + 4 + 1) & ~1u;
      uint8_t before[4] = {}, after[4] = {};
      std::memcpy(before, tcp + first, last - first);
      store_be16(tcp + off + 2, mss);
      std::memcpy(after, tcp + first, last - first);
      store_be16(tcp + 16, checksum_update(load_be16(tcp + 16), before, after, last - first));
      return true;
    }
    off += len;
  }
  return false;
}

bool decrement_ttl(PacketView& pkt, const ParsedPacket& pp) {
  uint8_t* ip = pkt.data + pp.l3_offset;
  if (pp.key.family == 6) {
    if (ip[7] <= 1) return false;
    ip[7]--;
    return true;
  }
  if (ip[8] <= 1) return false;
  const uint8_t before[2] = {ip[8], ip[9]};
  ip[8]--;
  store_be16(ip + 10, checksum_update(load_be16(ip + 10), before, ip + 8, 2));
  return true;
}

}  // namespace edgelb
