#include "packet/parser.h"

#include <gtest/gtest.h>

#include "frame_builder.h"

namespace edgelb {
namespace {
using test::frame;
using test::L4;

MaybeDrop parse(const std::vector<uint8_t>& f, ParsedPacket* pp) {
  return parse_packet(f.data(), uint32_t(f.size()), pp);
}

TEST(Parser, Ipv4Tcp) {
  ParsedPacket pp;
  auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 6, .sport = 1234, .dport = 80, .tcp_flags = 0x02});
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_EQ(pp.l3_offset, 14);
  EXPECT_EQ(pp.l4_offset, 34);
  EXPECT_EQ(pp.key.family, 4);
  EXPECT_EQ(pp.key.proto, 6);
  EXPECT_EQ(pp.key.src_port, 1234);
  EXPECT_EQ(pp.key.dst_port, 80);
  EXPECT_EQ(pp.tcp_flags, 0x02);
  EXPECT_TRUE(pp.has_ports);
  EXPECT_FALSE(pp.fragment);
  EXPECT_EQ(IpAddress::v4(pp.key.dst).to_string(), "198.18.1.10");
  for (int i = 4; i < 16; ++i) EXPECT_EQ(pp.key.src[i], 0) << "IPv4 key must be zero padded";
}

TEST(Parser, Ipv6Udp) {
  ParsedPacket pp;
  auto f = frame("2001:db8::1", "2001:db8:1::10", L4{.proto = 17, .sport = 5353, .dport = 53, .payload = 10});
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_EQ(pp.key.family, 6);
  EXPECT_EQ(pp.l4_offset, 54);
  EXPECT_EQ(pp.key.dst_port, 53);
  EXPECT_EQ(IpAddress::v6(pp.key.dst).to_string(), "2001:db8:1::10");
}

TEST(Parser, VlanAndQinQ) {
  ParsedPacket pp;
  auto one = frame("198.18.0.1", "198.18.1.10", L4{}, {100});
  ASSERT_EQ(parse(one, &pp), std::nullopt);
  EXPECT_EQ(pp.vlan_count, 1);
  EXPECT_EQ(pp.l3_offset, 18);
  EXPECT_EQ(pp.ethertype_offset, 16);
  auto two = frame("198.18.0.1", "198.18.1.10", L4{}, {100, 200});
  two[12] = 0x88;  // outer tag is 802.1ad
  two[13] = 0xa8;
  ASSERT_EQ(parse(two, &pp), std::nullopt);
  EXPECT_EQ(pp.vlan_count, 2);
  EXPECT_EQ(pp.l3_offset, 22);
  auto three = frame("198.18.0.1", "198.18.1.10", L4{}, {1, 2, 3});
  EXPECT_EQ(parse(three, &pp), DropReason::kVlanTooDeep);
}

TEST(Parser, Ipv4Options) {
  auto f = frame("198.18.0.1", "198.18.1.10", L4{.dport = 443});
  // Insert 8 bytes of options (NOP NOP NOP NOP + 4x EOL) after the 20-byte header.
  f.insert(f.begin() + 34, {1, 1, 1, 1, 0, 0, 0, 0});
  f[14] = 0x47;
  store_be16(&f[16], uint16_t(load_be16(&f[16]) + 8));
  ParsedPacket pp;
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_EQ(pp.l4_offset, 42);
  EXPECT_EQ(pp.key.dst_port, 443);
}

TEST(Parser, Ipv4Fragments) {
  auto first = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 53, .payload = 100});
  store_be16(&first[20], 0x2000);  // MF, offset 0
  ParsedPacket pp;
  ASSERT_EQ(parse(first, &pp), std::nullopt);
  EXPECT_TRUE(pp.fragment);
  EXPECT_TRUE(pp.has_ports);
  EXPECT_EQ(pp.key.dst_port, 53);
  auto later = first;
  store_be16(&later[20], 0x0010);  // offset 16*8, last fragment
  ASSERT_EQ(parse(later, &pp), std::nullopt);
  EXPECT_TRUE(pp.fragment);
  EXPECT_FALSE(pp.has_ports);
}

TEST(Parser, Ipv6ExtensionHeadersAndFragment) {
  using test::ip;
  auto inner = test::ip_packet(ip("2001:db8::1"), ip("2001:db8:1::10"), L4{.proto = 6, .dport = 8080});
  // Insert hop-by-hop (8 bytes) then fragment header (8 bytes) before TCP.
  std::vector<uint8_t> hbh = {44, 0, 1, 4, 0, 0, 0, 0};  // next: fragment; PadN
  std::vector<uint8_t> fh = {6, 0, 0, 0, 0, 0, 0, 42};   // next: TCP; offset 0, M=0
  inner.insert(inner.begin() + 40, fh.begin(), fh.end());
  inner.insert(inner.begin() + 40, hbh.begin(), hbh.end());
  inner[6] = 0;
  store_be16(&inner[4], uint16_t(load_be16(&inner[4]) + 16));
  auto f = test::ether(inner, true);
  ParsedPacket pp;
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_EQ(pp.l4_proto, 6);
  EXPECT_EQ(pp.l4_offset, 14 + 40 + 16);
  EXPECT_TRUE(pp.fragment);
  EXPECT_TRUE(pp.has_ports);
  EXPECT_EQ(pp.key.dst_port, 8080);
  // A later fragment has no ports.
  f[14 + 40 + 8 + 3] = 0x08;  // offset 1
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_FALSE(pp.has_ports);
}

TEST(Parser, Ipv6TooManyExtHeaders) {
  using test::ip;
  auto p = test::ip_packet(ip("2001:db8::1"), ip("2001:db8:1::10"), L4{.proto = 59});
  std::vector<uint8_t> ext;
  for (int i = 0; i < 9; ++i) ext.insert(ext.end(), {60, 0, 1, 4, 0, 0, 0, 0});
  ext[9 * 8 - 8] = 59;
  p.insert(p.begin() + 40, ext.begin(), ext.end());
  p[6] = 60;
  store_be16(&p[4], uint16_t(ext.size()));
  ParsedPacket pp;
  EXPECT_EQ(parse(test::ether(p, true), &pp), DropReason::kIpv6TooManyExtHeaders);
}

TEST(Parser, IcmpTooBigCarriesInnerTuple) {
  using test::ip;
  auto quoted = test::ip_packet(ip("198.18.1.10"), ip("198.18.0.1"), L4{.proto = 6, .sport = 80, .dport = 40000});
  quoted.resize(28);  // the IP header + 8 bytes, as routers quote
  auto f = frame("198.18.9.9", "198.18.1.10", L4{.proto = 1, .icmp_type = 3, .icmp_code = 4, .icmp_inner = quoted});
  ParsedPacket pp;
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_TRUE(pp.icmp_error);
  EXPECT_EQ(pp.icmp_type, 3);
  EXPECT_EQ(pp.icmp_code, 4);
  EXPECT_EQ(pp.inner.src_port, 80);
  EXPECT_EQ(pp.inner.dst_port, 40000);
  EXPECT_EQ(IpAddress::v4(pp.inner.src).to_string(), "198.18.1.10");
}

TEST(Parser, Icmpv6PacketTooBig) {
  using test::ip;
  auto quoted = test::ip_packet(ip("2001:db8:1::10"), ip("2001:db8::1"), L4{.proto = 17, .sport = 53, .dport = 999});
  auto f = frame("2001:db8:9::9", "2001:db8:1::10", L4{.proto = 58, .icmp_type = 2, .icmp_inner = quoted});
  ParsedPacket pp;
  ASSERT_EQ(parse(f, &pp), std::nullopt);
  EXPECT_TRUE(pp.icmp_error);
  EXPECT_EQ(pp.inner.proto, 17);
  EXPECT_EQ(pp.inner.dst_port, 999);
}

struct Malformed {
  const char* name;
  std::vector<uint8_t> (*make)();
  DropReason want;
};

std::vector<uint8_t> base4() { return frame("198.18.0.1", "198.18.1.10", L4{.payload = 4}); }
std::vector<uint8_t> base6() { return frame("2001:db8::1", "2001:db8:1::10", L4{.payload = 4}); }

const Malformed kMalformed[] = {
    {"empty", [] { return std::vector<uint8_t>{}; }, DropReason::kL2Truncated},
    {"13_bytes", [] { return std::vector<uint8_t>(13, 0xff); }, DropReason::kL2Truncated},
    {"vlan_cut",
     [] {
       auto f = base4();
       f[12] = 0x81;
       f[13] = 0;
       f.resize(16);
       return f;
     },
     DropReason::kL2Truncated},
    {"arp",
     [] {
       auto f = base4();
       f[12] = 0x08;
       f[13] = 0x06;
       return f;
     },
     DropReason::kNonIp},
    {"ipv4_no_header",
     [] {
       auto f = base4();
       f.resize(20);
       return f;
     },
     DropReason::kIpv4Truncated},
    {"ipv4_version6",
     [] {
       auto f = base4();
       f[14] = 0x65;
       return f;
     },
     DropReason::kIpv4BadVersion},
    {"ipv4_ihl4",
     [] {
       auto f = base4();
       f[14] = 0x44;
       return f;
     },
     DropReason::kIpv4BadIhl},
    {"ipv4_ihl_beyond_frame",
     [] {
       auto f = base4();
       f[14] = 0x4f;
       f.resize(40);
       return f;
     },
     DropReason::kIpv4Truncated},
    {"ipv4_total_len_big",
     [] {
       auto f = base4();
       store_be16(&f[16], 1500);
       return f;
     },
     DropReason::kIpv4BadTotalLength},
    {"ipv4_total_len_small",
     [] {
       auto f = base4();
       store_be16(&f[16], 10);
       return f;
     },
     DropReason::kIpv4BadTotalLength},
    {"tcp_truncated",
     [] {
       auto f = base4();
       store_be16(&f[16], 30);
       f.resize(44);
       return f;
     },
     DropReason::kTcpBadHeader},
    {"tcp_doff_small",
     [] {
       auto f = base4();
       f[46] = 0x40;
       return f;
     },
     DropReason::kTcpBadHeader},
    {"tcp_doff_big",
     [] {
       auto f = base4();
       f[46] = 0xf0;
       return f;
     },
     DropReason::kTcpBadHeader},
    {"udp_len_big",
     [] {
       auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17});
       store_be16(&f[38], 100);
       return f;
     },
     DropReason::kUdpBadHeader},
    {"udp_len_small",
     [] {
       auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17});
       store_be16(&f[38], 4);
       return f;
     },
     DropReason::kUdpBadHeader},
    {"udp_truncated",
     [] {
       auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17});
       store_be16(&f[16], 24);
       f.resize(38);
       return f;
     },
     DropReason::kUdpBadHeader},
    {"icmp_truncated",
     [] {
       auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 1});
       store_be16(&f[16], 24);
       f.resize(38);
       return f;
     },
     DropReason::kIcmpTruncated},
    {"ipv6_no_header",
     [] {
       auto f = base6();
       f.resize(40);
       return f;
     },
     DropReason::kIpv6Truncated},
    {"ipv6_version4",
     [] {
       auto f = base6();
       f[14] = 0x40;
       return f;
     },
     DropReason::kIpv6BadVersion},
    {"ipv6_payload_big",
     [] {
       auto f = base6();
       store_be16(&f[18], 9000);
       return f;
     },
     DropReason::kIpv6BadPayloadLength},
    {"ipv6_ext_truncated",
     [] {
       auto f = base6();
       f[20] = 0;
       store_be16(&f[18], 4);
       f.resize(58);
       return f;
     },
     DropReason::kIpv6ExtHeaderTruncated},
    {"ipv6_ext_len_beyond",
     [] {
       auto f = base6();
       f[20] = 60;
       f[55] = 200;
       return f;
     },
     DropReason::kIpv6ExtHeaderTruncated},
};

class MalformedTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedTest, DropsWithNamedReason) {
  auto f = GetParam().make();
  ParsedPacket pp;
  // Parse from a heap copy of exactly the frame's size so ASan catches any overread.
  std::vector<uint8_t> exact(f);
  auto* mem = new uint8_t[exact.size() ? exact.size() : 1];
  std::copy(exact.begin(), exact.end(), mem);
  const MaybeDrop r = parse_packet(mem, uint32_t(exact.size()), &pp);
  EXPECT_EQ(r, GetParam().want) << GetParam().name << " -> " << (r ? drop_reason_name(*r) : "parsed");
  delete[] mem;
}

INSTANTIATE_TEST_SUITE_P(All, MalformedTest, ::testing::ValuesIn(kMalformed),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Parser, EveryTruncationOfValidFramesIsSafe) {
  std::vector<std::vector<uint8_t>> frames = {base4(), base6(), frame("198.18.0.1", "198.18.1.10", L4{}, {5, 6})};
  for (const auto& f : frames) {
    for (size_t n = 0; n <= f.size(); ++n) {
      auto* mem = new uint8_t[n ? n : 1];
      std::copy(f.begin(), f.begin() + n, mem);
      ParsedPacket pp;
      const MaybeDrop r = parse_packet(mem, uint32_t(n), &pp);
      if (n < f.size())
        EXPECT_TRUE(r) << "truncated at " << n;
      else
        EXPECT_FALSE(r) << "parsed whole";
      delete[] mem;
    }
  }
}

TEST(DropReasons, AllNamed) {
  for (size_t i = 0; i < kDropReasonCount; ++i) EXPECT_NE(drop_reason_name(DropReason(i)), "unknown") << i;
}

}  // namespace
}  // namespace edgelb
