// edgelb-pktgen's frames (checksums a kernel accepts, probes, flood sources), its pcap reader
// and its option checks; the DPDK loop around them is driven in tests/packet (pktgen_pcap.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "forward/checksum.h"
#include "frames.h"
#include "options.h"
#include "packet/packet_view.h"
#include "pcap_file.h"

namespace edgelb::pktgen {
namespace {

const MacAddress kSrc = *MacAddress::parse("02:00:00:00:00:aa");
const MacAddress kDst = *MacAddress::parse("02:00:00:00:00:01");

Vip vip(const char* addr, uint16_t port, uint8_t proto) { return Vip{*IpAddress::parse(addr), port, proto}; }

// The one's-complement sum over the pseudo header and the whole L4 segment: 0xffff folded
// (a checksum that verifies) or not, computed byte by byte without pktgen's shortcut.
bool l4_checksum_ok(const uint8_t* p, uint32_t len) {
  const bool v6 = load_be16(p + 12) == 0x86dd;
  const uint8_t* ip = p + 14;
  const uint32_t l3 = v6 ? 40 : 20;
  const uint8_t proto = v6 ? ip[6] : ip[9];
  uint64_t sum = v6 ? checksum_partial(ip + 8, 32) : checksum_partial(ip + 12, 8);
  sum += proto + (len - 14 - l3);
  sum = checksum_partial(ip + l3, len - 14 - l3, sum);
  return checksum_finish(sum) == 0;
}

TEST(PktgenFrames, Ipv4TcpHasValidChecksumsAndItsFlowNumber) {
  uint8_t p[1514];
  const Vip v = vip("198.18.1.10", 80, 6);
  for (uint32_t size : {64u, 570u, 1514u}) {
    const uint32_t len = build_frame(p, size, kSrc, kDst, v, 130001, kAck);
    ASSERT_EQ(len, size);
    EXPECT_EQ(ipv4_header_checksum(p + 14, 20), 0) << size;
    EXPECT_TRUE(l4_checksum_ok(p, len)) << size;
    EXPECT_EQ(load_be16(p + 16), size - 14);
    EXPECT_EQ(p[47], kAck);
    EXPECT_EQ(established_flow(p, len), 130001);
    EXPECT_EQ(load_be32(p + 26) & 0xffff8000u, 0xc6128000u);  // 198.18.128.0/17
  }
}

TEST(PktgenFrames, Ipv6UdpHasValidChecksumAndLength) {
  uint8_t p[1514];
  const Vip v = vip("2001:db8:1::10", 53, 17);
  for (uint32_t size : {64u, 65u, 512u}) {
    const uint32_t len = build_frame(p, size, kSrc, kDst, v, 7, 0);
    ASSERT_EQ(len, std::max(size, 62u));
    EXPECT_TRUE(l4_checksum_ok(p, len)) << size;
    EXPECT_NE(load_be16(p + 14 + 40 + 6), 0) << "UDP over IPv6 must carry a checksum";
    EXPECT_EQ(load_be16(p + 14 + 4), len - 54);       // payload length
    EXPECT_EQ(load_be16(p + 14 + 40 + 4), len - 54);  // UDP length
    EXPECT_EQ(established_flow(p, len), -1);          // only IPv4 flows are told apart
  }
}

TEST(PktgenFrames, ProbeKeepsTheChecksumValidAtEvenAndOddLengths) {
  uint8_t p[1514];
  for (const Vip& v : {vip("198.18.1.10", 80, 6), vip("2001:db8:1::10", 443, 17)})
    for (uint32_t size : {96u, 97u, 570u, 1513u}) {
      const uint32_t len = build_frame(p, size, kSrc, kDst, v, 42, kAck);
      const uint64_t tsc = 0x0123456789abcdefull + size;
      ASSERT_TRUE(stamp_probe(p, len, v, tsc));
      EXPECT_TRUE(l4_checksum_ok(p, len)) << v.addr.to_string() << " " << size;
      EXPECT_EQ(probe_tsc(p, len), tsc);
    }
}

TEST(PktgenFrames, NoProbeWhereTheHeadersLeaveNoRoom) {
  uint8_t p[128];
  const Vip v = vip("2001:db8:1::10", 80, 6);
  const uint32_t len = build_frame(p, 64, kSrc, kDst, v, 1, kAck);  // 14 + 40 + 20 = 74 bytes
  std::vector<uint8_t> before(p, p + len);
  EXPECT_FALSE(stamp_probe(p, len, v, 99));
  EXPECT_EQ(std::vector<uint8_t>(p, p + len), before);
  EXPECT_EQ(probe_tsc(p, len), 0u);
}

TEST(PktgenFrames, FloodFramesComeFromTheirOwnRangeWithValidChecksums) {
  uint8_t p[128];
  const Vip v = vip("198.18.1.10", 80, 6);
  for (uint64_t n : {0ull, 65537ull, 4294967295ull}) {
    const uint32_t len = build_flood_frame(p, 64, kSrc, kDst, v, n);
    EXPECT_EQ(load_be32(p + 26) >> 16, 0xc613u);  // 198.19.0.0/16
    EXPECT_EQ(load_be16(p + 34), uint16_t(n));
    EXPECT_EQ(p[47], kSyn);
    EXPECT_EQ(ipv4_header_checksum(p + 14, 20), 0);
    EXPECT_TRUE(l4_checksum_ok(p, len));
    EXPECT_EQ(established_flow(p, len), -1);
  }
}

class PcapFile : public ::testing::Test {
 protected:
  std::string path = ::testing::TempDir() + "pktgen_frames_test.pcap";
  void TearDown() override { std::remove(path.c_str()); }

  // Writes a capture: magic as given (its byte order decides the rest), then the records.
  void write(uint32_t magic, uint32_t linktype, const std::vector<std::vector<uint8_t>>& frames,
             uint32_t truncate_to = 0, size_t cut_tail = 0) {
    const bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    std::string out;
    const auto u32 = [&](uint32_t v) {
      if (swap) v = __builtin_bswap32(v);
      out.append(reinterpret_cast<const char*>(&v), 4);
    };
    const auto u16 = [&](uint16_t v) {
      if (swap) v = __builtin_bswap16(v);
      out.append(reinterpret_cast<const char*>(&v), 2);
    };
    out.append(reinterpret_cast<const char*>(&magic), 4);  // as the writer's host stores it
    u16(2), u16(4), u32(0), u32(0), u32(65535), u32(linktype);
    for (const auto& f : frames) {
      const uint32_t caplen = truncate_to ? std::min<uint32_t>(truncate_to, f.size()) : f.size();
      u32(1), u32(2), u32(caplen), u32(f.size());
      out.append(reinterpret_cast<const char*>(f.data()), caplen);
    }
    out.resize(out.size() - cut_tail);
    std::ofstream(path, std::ios::binary) << out;
  }
  static std::vector<uint8_t> frame(size_t n, uint8_t fill) { return std::vector<uint8_t>(n, fill); }
  std::string error() {
    try {
      read_pcap(path, 2048);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(PcapFile, ReadsFramesInOrderInEitherByteOrderAndResolution) {
  for (uint32_t magic : {0xa1b2c3d4u, 0xd4c3b2a1u, 0xa1b23c4du, 0x4d3cb2a1u}) {
    write(magic, 1, {frame(60, 1), frame(1514, 2), frame(14, 3)});
    const PcapFrames f = read_pcap(path, 2048);
    ASSERT_EQ(f.count(), 3u) << std::hex << magic;
    EXPECT_EQ(f.length(0), 60u);
    EXPECT_EQ(f.length(1), 1514u);
    EXPECT_EQ(f.length(2), 14u);
    EXPECT_EQ(f.frame(1)[0], 2);
    EXPECT_EQ(f.frame(2)[13], 3);
  }
}

TEST_F(PcapFile, RefusesWhatItCannotReplayAsCaptured) {
  const auto says = [&](const std::string& want) {
    const std::string e = error();
    EXPECT_NE(e.find(path + ": " + want), std::string::npos) << e;
  };
  write(0xa1b2c3d4u, 1, {frame(60, 1), frame(100, 2)}, 80);
  says("frame 2: captured 80 of its 100 bytes");
  write(0xa1b2c3d4u, 1, {frame(60, 1), frame(100, 2)}, 0, 10);
  says("frame 2: cut short");
  write(0xa1b2c3d4u, 1, {frame(60, 1)}, 0, 70);
  says("frame 1: record header cut short");
  write(0xa1b2c3d4u, 1, {frame(60, 1), frame(2049, 2)});
  says("frame 2: 2049 bytes; frames must be 14..2048");
  write(0xa1b2c3d4u, 1, {frame(13, 1)});
  says("frame 1: 13 bytes");
  write(0xa1b2c3d4u, 113, {frame(60, 1)});
  says("link type 113, not Ethernet (1)");
  write(0xa1b2c3d4u, 1, {});
  says("no frames");
  write(0x0a0d0d0au, 1, {frame(60, 1)});
  says("a pcapng file");
  write(0x12345678u, 1, {frame(60, 1)});
  says("not a pcap file");
  std::ofstream(path, std::ios::binary) << "short";
  says("shorter than a pcap file header");
  std::remove(path.c_str());
  says("cannot open");
}

TEST_F(PcapFile, RefusesCapturesPastItsLimits) {
  write(0xa1b2c3d4u, 1, {frame(60, 1), frame(60, 2), frame(60, 3)});
  EXPECT_EQ(read_pcap(path, 2048, 3, 180).count(), 3u);
  EXPECT_THROW(read_pcap(path, 2048, 2, 1000), std::runtime_error);
  EXPECT_THROW(read_pcap(path, 2048, 10, 179), std::runtime_error);
}

Options parse(std::vector<std::string> args) {
  args.insert(args.begin(), "edgelb-pktgen");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(int(argv.size()), argv.data());
}

std::string parse_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(PktgenOptions, PcapReplacesFrameBuilding) {
  const Options o = parse({"--port", "net_pcap0", "--pcap", "in.pcap", "--rate-pps", "1000"});
  EXPECT_EQ(o.pcap, "in.pcap");
  EXPECT_FALSE(o.dst_mac_given);
  EXPECT_TRUE(parse({"--port", "p", "--pcap", "x", "--dst-mac", "02:00:00:00:00:09"}).dst_mac_given);
  for (const char* f : {"--vip", "--flows", "--size", "--latency-every"}) {
    std::string value = std::string(f) == "--vip" ? "198.18.1.10:80/tcp" : "64";
    EXPECT_NE(parse_error({"--port", "p", "--pcap", "x", f, value}).find(std::string(f) + " builds frames"),
              std::string::npos)
        << f;
  }
  EXPECT_NE(parse_error({"--port", "p"}).find("--vip (or --pcap)"), std::string::npos);
}

TEST(PktgenOptions, BadValuesAreNamed) {
  const std::vector<std::string> base = {"--port", "p", "--vip", "198.18.1.10:80/tcp"};
  const auto with = [&](std::vector<std::string> more) {
    auto a = base;
    a.insert(a.end(), more.begin(), more.end());
    return parse_error(a);
  };
  EXPECT_NE(with({"--dst-mac", "nonsense"}).find("--dst-mac nonsense"), std::string::npos);
  EXPECT_NE(with({"--flows", "12abc"}).find("--flows 12abc: want a whole number"), std::string::npos);
  EXPECT_NE(with({"--rate-pps", "-1"}).find("--rate-pps -1"), std::string::npos);
  EXPECT_NE(with({"--duration", "121"}).find("--duration must be 1..120"), std::string::npos);
  EXPECT_NE(with({"--warmup-ms", "10001"}).find("--warmup-ms"), std::string::npos);
  EXPECT_NE(with({"--vip", "198.18.1.10:80/sctp"}).find("tcp or udp"), std::string::npos);
  EXPECT_EQ(with({"--size", "imix"}), "");
  EXPECT_EQ(parse({"--port", "p", "--vip", "198.18.1.10:80/tcp", "--size", "imix"}).sizes.size(), 12u);
}

}  // namespace
}  // namespace edgelb::pktgen
