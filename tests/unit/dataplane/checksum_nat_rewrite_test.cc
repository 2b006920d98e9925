// The Internet checksum (RFC 1071) and its incremental update (RFC 1624), and full-NAT header
// rewriting checked against checksums recomputed from scratch: IPv4 and IPv6, TCP and UDP,
// VLAN-tagged, UDP's "no checksum" kept, and the MSS clamp of SYNs.
#include <gtest/gtest.h>

#include <random>

#include "forward/checksum.h"
#include "forward/nat_rewrite.h"
#include "frame_builder.h"
#include "packet/parser.h"

namespace edgelb {
namespace {

using test::L4;

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2; the field holds its complement.
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_finish(checksum_partial(data, sizeof data)), 0x220d);
  // An odd length pads with a zero byte; a partial sum continues across calls.
  const uint8_t odd[] = {0x01, 0x02, 0x03};
  const uint8_t padded[] = {0x01, 0x02, 0x03, 0x00};
  EXPECT_EQ(checksum_finish(checksum_partial(odd, 3)), checksum_finish(checksum_partial(padded, 4)));
  EXPECT_EQ(checksum_finish(checksum_partial(data + 4, 4, checksum_partial(data, 4))), 0x220d);
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> d(40);
    for (auto& b : d) b = uint8_t(rng());
    if (round % 10 == 0) std::fill(d.begin(), d.end(), 0xff);  // sums at the 0x0000/0xffff edge
    const uint16_t before = checksum_finish(checksum_partial(d.data(), d.size()));
    const size_t at = 2 * (rng() % 17);  // even offset, up to 6 bytes changed
    const size_t len = 2 + 2 * (rng() % 3);
    std::vector<uint8_t> old_bytes(d.begin() + long(at), d.begin() + long(at + len));
    for (size_t i = 0; i < len; ++i) d[at + i] = uint8_t(rng());
    const uint16_t full = checksum_finish(checksum_partial(d.data(), d.size()));
    const uint16_t incremental = checksum_update(before, old_bytes.data(), d.data() + at, len);
    // Both are valid encodings when they differ only as 0x0000 vs 0xffff (-0 and +0).
    if (full != incremental) {
      EXPECT_TRUE((full == 0 && incremental == 0xffff) || (full == 0xffff && incremental == 0)) << round;
    }
  }
}

// The TCP/UDP checksum over the pseudo-header and segment, recomputed from scratch: 0 verifies.
uint16_t l4_verify(const std::vector<uint8_t>& f, const ParsedPacket& pp) {
  const uint8_t* ip = f.data() + pp.l3_offset;
  const bool v6 = (ip[0] >> 4) == 6;
  const uint32_t l4_len = pp.l3_len - (pp.l4_offset - pp.l3_offset);
  uint64_t sum = v6 ? checksum_partial(ip + 8, 32) : checksum_partial(ip + 12, 8);
  const uint8_t pseudo[] = {0, 0, uint8_t(l4_len >> 8), uint8_t(l4_len), 0, 0, 0, pp.l4_proto};
  sum = checksum_partial(pseudo, sizeof pseudo, sum);
  return checksum_finish(checksum_partial(f.data() + pp.l4_offset, l4_len, sum));
}

// Fills in a correct TCP/UDP checksum (the frame builder leaves it 0).
void set_l4_checksum(std::vector<uint8_t>& f, const ParsedPacket& pp) {
  uint8_t* field = f.data() + pp.l4_offset + (pp.l4_proto == 6 ? 16 : 6);
  field[0] = field[1] = 0;
  uint16_t c = l4_verify(f, pp);
  if (c == 0 && pp.l4_proto == 17) c = 0xffff;
  store_be16(field, c);
}

struct RewriteCase {
  const char* name;
  const char *client, *vip, *pool, *backend;
  uint8_t proto;
  std::vector<uint16_t> vlans;
};

class NatRewrite : public ::testing::TestWithParam<RewriteCase> {};

TEST_P(NatRewrite, AddressesAndPortsReplacedAndEveryChecksumStillVerifies) {
  const RewriteCase& c = GetParam();
  L4 l4;
  l4.proto = c.proto;
  l4.sport = 40001;
  l4.dport = 80;
  l4.payload = 13;  // odd: the checksum's padding byte matters
  std::vector<uint8_t> f = test::frame(c.client, c.vip, l4, c.vlans);
  ParsedPacket pp;
  ASSERT_FALSE(parse_packet(f.data(), uint32_t(f.size()), &pp));
  set_l4_checksum(f, pp);
  ASSERT_EQ(l4_verify(f, pp), 0);
  test::Buffer buf(f);
  const IpAddress pool = test::ip(c.pool), backend = test::ip(c.backend);
  nat_rewrite(buf.view, pp, pool.bytes.data(), 61000, backend.bytes.data(), 8080);
  const std::vector<uint8_t> out = buf.bytes();
  ParsedPacket after;
  ASSERT_FALSE(parse_packet(out.data(), uint32_t(out.size()), &after));
  const size_t alen = pool.is_v4() ? 4 : 16;
  EXPECT_EQ(std::memcmp(after.key.src, pool.bytes.data(), alen), 0);
  EXPECT_EQ(std::memcmp(after.key.dst, backend.bytes.data(), alen), 0);
  EXPECT_EQ(after.key.src_port, 61000);
  EXPECT_EQ(after.key.dst_port, 8080);
  EXPECT_EQ(l4_verify(out, after), 0) << "L4 checksum";
  if (pool.is_v4()) {
    EXPECT_EQ(ipv4_header_checksum(out.data() + after.l3_offset, 20), 0) << "IPv4 header";
  }
  EXPECT_EQ(out.size(), f.size());
}

INSTANTIATE_TEST_SUITE_P(
    Families, NatRewrite,
    ::testing::Values(RewriteCase{"tcp4", "198.18.0.10", "198.18.0.100", "198.18.0.200", "198.18.1.1", 6, {}},
                      RewriteCase{"udp4", "198.18.0.10", "198.18.0.100", "198.18.0.200", "198.18.1.1", 17, {}},
                      RewriteCase{"tcp6", "2001:db8::10", "2001:db8::100", "2001:db8::200", "2001:db8:1::1", 6, {}},
                      RewriteCase{"udp6", "2001:db8::10", "2001:db8::100", "2001:db8::200", "2001:db8:1::1", 17, {}},
                      RewriteCase{
                          "tcp4_qinq", "198.18.0.10", "198.18.0.100", "198.18.0.200", "198.18.1.1", 6, {100, 200}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NatRewrite, Ipv4UdpWithoutChecksumStaysWithout) {
  L4 l4;
  l4.proto = 17;
  l4.payload = 8;
  std::vector<uint8_t> f = test::frame("198.18.0.10", "198.18.0.100", l4);  // UDP checksum 0: none
  ParsedPacket pp;
  ASSERT_FALSE(parse_packet(f.data(), uint32_t(f.size()), &pp));
  test::Buffer buf(f);
  const IpAddress pool = test::ip("198.18.0.200"), backend = test::ip("198.18.1.1");
  nat_rewrite(buf.view, pp, pool.bytes.data(), 61000, backend.bytes.data(), 8080);
  const std::vector<uint8_t> out = buf.bytes();
  EXPECT_EQ(out[pp.l4_offset + 6], 0);
  EXPECT_EQ(out[pp.l4_offset + 7], 0);
  EXPECT_EQ(ipv4_header_checksum(out.data() + pp.l3_offset, 20), 0);
}

// A SYN with an MSS option: the frame builder's 13 payload bytes become options.
std::vector<uint8_t> syn_with_mss(uint16_t mss, uint8_t flags, ParsedPacket* pp) {
  L4 l4;
  l4.proto = 6;
  l4.tcp_flags = flags;
  l4.payload = 4;
  std::vector<uint8_t> f = test::frame("198.18.0.10", "198.18.0.100", l4);
  EXPECT_FALSE(parse_packet(f.data(), uint32_t(f.size()), pp));
  uint8_t* tcp = f.data() + pp->l4_offset;
  tcp[12] = 0x60;  // 24-byte header: the 4 bytes are the MSS option
  tcp[20] = 2;
  tcp[21] = 4;
  store_be16(tcp + 22, mss);
  EXPECT_FALSE(parse_packet(f.data(), uint32_t(f.size()), pp));
  set_l4_checksum(f, *pp);
  return f;
}

TEST(MssClamp, LowersLargerMssOnSynsOnly) {
  ParsedPacket pp;
  std::vector<uint8_t> f = syn_with_mss(1460, wire::kTcpSyn, &pp);
  test::Buffer buf(f);
  EXPECT_TRUE(clamp_tcp_mss(buf.view, pp, 1400));
  std::vector<uint8_t> out = buf.bytes();
  EXPECT_EQ(load_be16(out.data() + pp.l4_offset + 22), 1400);
  EXPECT_EQ(l4_verify(out, pp), 0);
  // Already smaller: untouched.
  test::Buffer small(syn_with_mss(1200, wire::kTcpSyn | wire::kTcpAck, &pp));
  EXPECT_FALSE(clamp_tcp_mss(small.view, pp, 1400));
  EXPECT_EQ(load_be16(small.view.data + pp.l4_offset + 22), 1200);
  // Not a SYN: untouched.
  test::Buffer ack(syn_with_mss(1460, wire::kTcpAck, &pp));
  EXPECT_FALSE(clamp_tcp_mss(ack.view, pp, 1400));
  // A malformed option (length 0) is left alone.
  std::vector<uint8_t> bad = syn_with_mss(1460, wire::kTcpSyn, &pp);
  bad[pp.l4_offset + 21] = 0;
  test::Buffer badbuf(bad);
  EXPECT_FALSE(clamp_tcp_mss(badbuf.view, pp, 1400));
  EXPECT_EQ(badbuf.bytes(), bad);
}

}  // namespace
}  // namespace edgelb
