#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "forward/checksum.h"
#include "forward/forwarder.h"
#include "frame_builder.h"
#include "service/snapshot_builder.h"

namespace edgelb {
namespace {

// What the pipeline did with one packet: its verdict and, when dropped, why. Compares equal to
// a Verdict, or to a DropReason when that is why it was dropped.
struct Outcome {
  Verdict verdict;
  DropReason drop;
  bool operator==(Verdict v) const { return verdict == v; }
  bool operator==(DropReason r) const { return verdict == Verdict::kDrop && drop == r; }
};
void PrintTo(const Outcome& o, std::ostream* os) {
  static const char* kNames[] = {"forward", "punt", "handoff", "drop"};
  *os << kNames[size_t(o.verdict)];
  if (o.verdict == Verdict::kDrop) *os << " (" << drop_reason_name(o.drop) << ")";
}
using test::Buffer;
using test::frame;
using test::L4;

const MacAddress kPortMac = *MacAddress::parse("02:00:00:00:00:01");

ServiceSpec PipelineTest_service() {
  ServiceSpec s;
  s.vip = *IpAddress::parse("198.18.1.10");
  s.port = 80;
  s.protocol = 6;
  for (int i = 1; i <= 3; ++i) {
    BackendSpec b;
    b.address = *IpAddress::parse("198.18.2." + std::to_string(i));
    b.mac = MacAddress{{2, 0, 0, 0, 2, uint8_t(i)}};
    s.backends.push_back(b);
  }
  return s;
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : flows_(cfg()), stats_(64, 256), pipeline_(flows_, stats_), builder_(globals()) {}

  static FlowTableConfig cfg() {
    FlowTableConfig c;
    c.capacity = 4096;
    c.syn_flood_threshold = 0;
    return c;
  }
  static ForwardingGlobals globals() {
    ForwardingGlobals g;
    g.maglev_size = 251;
    g.max_services = 64;
    g.max_backends = 256;
    g.encap_source_v4 = IpPrefix::parse("198.18.254.0/24");
    g.encap_source_v6 = IpPrefix::parse("2001:db8:ffff::/64");
    g.gateway_mac = MacAddress::parse("02:00:00:00:00:fe");
    g.local_addresses = {*IpAddress::parse("198.18.0.2"), *IpAddress::parse("2001:db8::2")};
    g.removed_backend_grace_ms = 0;  // removal moves flows at once (grace: its own test)
    return g;
  }
  static ServiceSpec service(const char* vip, uint16_t port, uint8_t proto, ForwardingMode mode,
                             std::vector<const char*> backends) {
    ServiceSpec s;
    s.vip = *IpAddress::parse(vip);
    s.port = port;
    s.protocol = proto;
    s.mode = mode;
    int i = 0;
    for (const char* b : backends) {
      BackendSpec be;
      be.address = *IpAddress::parse(b);
      char mac[32];
      std::snprintf(mac, sizeof mac, "02:00:00:00:02:%02x", ++i);
      if (mode == ForwardingMode::kDsr) be.mac = MacAddress::parse(mac);
      s.backends.push_back(be);
    }
    return s;
  }
  void apply(std::vector<ServiceSpec> services) {
    auto r = builder_.build({++version_, std::move(services)});
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].path << ": " << r.errors[0].reason;
    snap_ = std::move(r.snapshot);
  }
  Outcome run(Buffer& b, uint32_t now = 1000) {
    const Verdict v = pipeline_.process(b.view, snap_.get(), kPortMac, now);
    return {v, pipeline_.drop_reason(0)};
  }
  // Backend a frame went to: the DSR destination MAC's last byte or the outer IPv4 dst.
  static std::string dsr_backend(const Buffer& b) {
    return MacAddress{{b.view.data[0], b.view.data[1], b.view.data[2], b.view.data[3], b.view.data[4], b.view.data[5]}}
        .to_string();
  }

  FlowTable flows_;
  WorkerStats stats_;
  Pipeline pipeline_;
  SnapshotBuilder builder_;
  std::unique_ptr<ServiceSnapshot> snap_;
  uint64_t version_ = 0;
};

TEST_F(PipelineTest, DsrRewritesOnlyMacs) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"})});
  auto in = frame("198.18.0.1", "198.18.1.10", L4{.dport = 80, .payload = 10});
  Buffer b(in);
  ASSERT_EQ(run(b), Verdict::kForward);
  auto out = b.bytes();
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(dsr_backend(b), "02:00:00:00:02:01");
  EXPECT_TRUE(std::equal(out.begin() + 6, out.begin() + 12, kPortMac.bytes.begin()));
  EXPECT_TRUE(std::equal(out.begin() + 12, out.end(), in.begin() + 12));
  EXPECT_EQ(stats_.vip[0].packets.get(), 1u);
  EXPECT_EQ(stats_.vip[0].new_flows.get(), 1u);
}

TEST_F(PipelineTest, NonVipIsDroppedAndVipAddressWithoutServiceIsPunted) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"})});
  Buffer a(frame("198.18.0.1", "198.18.1.99", L4{.dport = 80}));
  EXPECT_EQ(run(a), DropReason::kNonVip);
  Buffer c(frame("198.18.0.1", "198.18.1.10", L4{.dport = 81}));
  EXPECT_EQ(run(c), Verdict::kPunt);
  Buffer d(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 80}));
  EXPECT_EQ(run(d), Verdict::kPunt);
  Buffer e(frame("198.18.0.1", "198.18.1.10", L4{.proto = 1, .icmp_type = 8}));
  const auto before = e.bytes();
  EXPECT_EQ(run(e), Verdict::kPunt);
  EXPECT_EQ(e.bytes(), before) << "punted frames are not modified";
  EXPECT_EQ(stats_.drops[size_t(DropReason::kNonVip)].get(), 1u);
  EXPECT_EQ(stats_.punted[size_t(PuntReason::kLocalAddress)].get(), 3u);
  EXPECT_EQ(stats_.forwarded.get(), 0u);
}

TEST_F(PipelineTest, HostAddressesArpAndLinkScopeArePunted) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"})});
  Buffer ssh(frame("198.18.0.1", "198.18.0.2", L4{.dport = 22}));
  EXPECT_EQ(run(ssh), Verdict::kPunt);
  Buffer ping6(frame("2001:db8::1", "2001:db8::2", L4{.proto = 58, .icmp_type = 128}));
  EXPECT_EQ(run(ping6), Verdict::kPunt);
  EXPECT_EQ(stats_.punted[size_t(PuntReason::kLocalAddress)].get(), 2u);

  Buffer ns(frame("fe80::1", "ff02::1:ff00:2", L4{.proto = 58, .icmp_type = 135}));
  EXPECT_EQ(run(ns), Verdict::kPunt);
  Buffer na(frame("fe80::1", "fe80::2", L4{.proto = 58, .icmp_type = 136}));
  EXPECT_EQ(run(na), Verdict::kPunt);
  Buffer bcast(frame("198.18.0.1", "255.255.255.255", L4{.proto = 17, .dport = 67}));
  EXPECT_EQ(run(bcast), Verdict::kPunt);
  EXPECT_EQ(stats_.punted[size_t(PuntReason::kLinkScope)].get(), 3u);

  std::vector<uint8_t> arp(42, 0);
  std::fill(arp.begin(), arp.begin() + 6, 0xff);
  arp[12] = 0x08;
  arp[13] = 0x06;
  Buffer a(arp);
  EXPECT_EQ(run(a), Verdict::kPunt);
  EXPECT_EQ(stats_.punted[size_t(PuntReason::kArp)].get(), 1u);
  std::vector<uint8_t> lldp = arp;
  lldp[13] = 0xcc;
  lldp[12] = 0x88;
  Buffer l(lldp);
  EXPECT_EQ(run(l), DropReason::kNonIp);
}

TEST_F(PipelineTest, L7VipIsPuntedAndCounted) {
  ServiceSpec l7 = service("198.18.1.20", 443, 6, ForwardingMode::kL7, {});
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"}), l7});
  Buffer b(frame("198.18.0.1", "198.18.1.20", L4{.dport = 443, .payload = 10}));
  EXPECT_EQ(run(b), Verdict::kPunt);
  EXPECT_EQ(stats_.punted[size_t(PuntReason::kL7Vip)].get(), 1u);
  EXPECT_EQ(stats_.vip[snap_->find(l7.vip.bytes.data(), 4, 443, 6)->slot].packets.get(), 1u);
  EXPECT_EQ(flows_.counters().occupancy.get(), 0u) << "L7 flows are the kernel's, not tracked here";
  BackendSpec extra;
  extra.address = *IpAddress::parse("198.18.2.9");
  l7.backends.push_back(extra);
  auto errors = builder_.validate(TableSpec{9, {l7}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "services[0].backends");
}

TEST_F(PipelineTest, IpipV4HeaderIsCorrect) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kIpip, {"198.18.3.1"})});
  auto in = frame("198.18.0.1", "198.18.1.10", L4{.dport = 80, .payload = 5});
  in.resize(in.size() + 6, 0);  // Ethernet padding must not end up inside the tunnel
  Buffer b(in);
  ASSERT_EQ(run(b), Verdict::kForward);
  auto out = b.bytes();
  ASSERT_EQ(out.size(), in.size() - 6 + 20);
  const uint8_t* ip = out.data() + 14;
  EXPECT_EQ(ip[0], 0x45);
  EXPECT_EQ(load_be16(ip + 2), in.size() - 6 - 14 + 20);
  EXPECT_EQ(ip[9], 4);
  EXPECT_EQ(ip[8], 64);
  EXPECT_EQ(load_be16(ip + 6), 0x4000);
  EXPECT_EQ(checksum_finish(checksum_partial(ip, 20)), 0) << "header checksum verifies";
  EXPECT_EQ(IpAddress::v4(ip + 16).to_string(), "198.18.3.1");
  EXPECT_EQ(ip[12], 198);
  EXPECT_EQ(ip[13], 18);
  EXPECT_EQ(ip[14], 254);
  EXPECT_TRUE(std::equal(out.begin() + 34, out.end(), in.begin() + 14));
  EXPECT_EQ(dsr_backend(b), "02:00:00:00:00:fe") << "gateway MAC for tunnels";
}

TEST_F(PipelineTest, Ip6ip6AndGueV6Checksum) {
  apply({service("2001:db8:1::10", 443, 6, ForwardingMode::kIpip, {"2001:db8:3::1"}),
         service("2001:db8:1::10", 53, 17, ForwardingMode::kGue, {"2001:db8:3::2"})});
  auto in = frame("2001:db8::1", "2001:db8:1::10", L4{.dport = 443});
  Buffer b(in);
  ASSERT_EQ(run(b), Verdict::kForward);
  auto out = b.bytes();
  EXPECT_EQ(out[14 + 6], 41);
  EXPECT_EQ(load_be16(out.data() + 12), 0x86dd);
  auto in2 = frame("2001:db8::1", "2001:db8:1::10", L4{.proto = 17, .dport = 53, .payload = 33});
  Buffer g(in2);
  ASSERT_EQ(run(g), Verdict::kForward);
  auto o2 = g.bytes();
  const uint8_t* ip = o2.data() + 14;
  const uint8_t* udp = ip + 40;
  EXPECT_EQ(ip[6], 17);
  EXPECT_EQ(load_be16(udp + 2), 6080);
  EXPECT_GE(load_be16(udp), 0xc000);
  const uint32_t ulen = load_be16(udp + 4);
  EXPECT_EQ(ulen, 8 + in2.size() - 14);
  uint64_t sum = checksum_partial(ip + 8, 32);
  sum += ulen + 17;
  sum = checksum_partial(udp, ulen, sum);
  EXPECT_EQ(checksum_finish(sum), 0) << "UDP checksum over IPv6 verifies";
}

TEST_F(PipelineTest, Ipv4InIpv6AndIpv6InIpv4) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kIpip, {"2001:db8:3::1"}),
         service("2001:db8:1::10", 80, 6, ForwardingMode::kIpip, {"198.18.3.1"})});
  Buffer a(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80}));
  ASSERT_EQ(run(a), Verdict::kForward);
  EXPECT_EQ(a.view.data[14 + 6], 4) << "IPv4 inside IPv6: next header 4";
  Buffer c(frame("2001:db8::1", "2001:db8:1::10", L4{.dport = 80}));
  ASSERT_EQ(run(c), Verdict::kForward);
  EXPECT_EQ(c.view.data[14 + 9], 41) << "IPv6 inside IPv4: protocol 41";
}

TEST_F(PipelineTest, EncapTooBigAndNoHeadroom) {
  apply({service("198.18.1.10", 80, 17, ForwardingMode::kGue, {"198.18.3.1"})});
  Buffer big(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 80, .payload = 1500 - 28 - 27}));
  // Too big once encapsulated: dropped, and the frame turned into the client's ICMP error.
  EXPECT_EQ(run(big), Verdict::kForward);
  EXPECT_EQ(stats_.drops[size_t(DropReason::kEncapTooBig)].get(), 1u);
  EXPECT_EQ(stats_.icmp_too_big_sent.get(), 1u);
  const uint8_t* ip = big.view.data + 14;
  EXPECT_EQ(ip[9], 1) << "ICMP";
  EXPECT_EQ(std::memcmp(ip + 12, ip + 20 + 8 + 16, 4), 0) << "from the VIP the quoted packet was sent to";
  EXPECT_EQ(ip[20], 3);
  EXPECT_EQ(ip[21], 4);
  EXPECT_EQ(load_be16(ip + 26), 1500 - 20 - 8) << "the MTU left inside an IPv4 GUE tunnel";
  EXPECT_EQ(big.view.len, 14u + 576u);
  auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 80, .payload = 10});
  Buffer tight(f);
  tight.view.headroom = 10;
  EXPECT_EQ(run(tight), DropReason::kNoHeadroom);
  EXPECT_EQ(tight.bytes(), f) << "a dropped frame is left untouched";
}

TEST_F(PipelineTest, FlowsStickAndSpread) {
  apply(
      {service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1", "198.18.2.2", "198.18.2.3", "198.18.2.4"})});
  std::map<std::string, int> spread;
  std::map<int, std::string> first;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 400; ++i) {
      Buffer b(
          frame("198.18.0.1", "198.18.1.10",
                L4{.sport = uint16_t(10000 + i), .dport = 80, .tcp_flags = round ? uint8_t(0x10) : uint8_t(0x02)}));
      ASSERT_EQ(run(b), Verdict::kForward);
      auto be = dsr_backend(b);
      if (round == 0) {
        first[i] = be;
        ++spread[be];
      } else {
        EXPECT_EQ(first[i], be) << "flow " << i << " moved";
      }
    }
  }
  EXPECT_EQ(spread.size(), 4u);
  for (auto& [be, n] : spread) EXPECT_GT(n, 50) << be;
}

TEST_F(PipelineTest, DrainKeepsFlowsDownAndRemovalRebalance) {
  auto svc = service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1", "198.18.2.2"});
  apply({svc});
  std::map<int, std::string> owner;
  for (int i = 0; i < 200; ++i) {
    Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = uint16_t(20000 + i), .dport = 80}));
    ASSERT_EQ(run(b), Verdict::kForward);
    owner[i] = dsr_backend(b);
  }
  // Drain backend 1: its flows stay; new flows avoid it.
  svc.backends[0].state = BackendState::kDrain;
  apply({svc});
  for (int i = 0; i < 200; ++i) {
    Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = uint16_t(20000 + i), .dport = 80, .tcp_flags = 0x10}));
    ASSERT_EQ(run(b), Verdict::kForward);
    EXPECT_EQ(dsr_backend(b), owner[i]);
  }
  for (int i = 0; i < 50; ++i) {
    Buffer b(frame("198.18.0.9", "198.18.1.10", L4{.sport = uint16_t(30000 + i), .dport = 80}));
    ASSERT_EQ(run(b), Verdict::kForward);
    EXPECT_EQ(dsr_backend(b), "02:00:00:00:02:02");
  }
  // Mark it down: its flows move to the other backend.
  svc.backends[0].state = BackendState::kDown;
  apply({svc});
  for (int i = 0; i < 200; ++i) {
    Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = uint16_t(20000 + i), .dport = 80, .tcp_flags = 0x10}));
    ASSERT_EQ(run(b), Verdict::kForward);
    EXPECT_EQ(dsr_backend(b), "02:00:00:00:02:02");
  }
  EXPECT_GT(stats_.rebalanced.get(), 0u);
  // Remove every backend: no_backend, counted.
  svc.backends.clear();
  apply({svc});
  Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = 20000, .dport = 80}));
  EXPECT_EQ(run(b), DropReason::kNoBackend);
}

TEST_F(PipelineTest, RemovedBackendFlowsRebalanceEvenIfSlotReused) {
  auto svc = service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"});
  apply({svc});
  Buffer a(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80}));
  ASSERT_EQ(run(a), Verdict::kForward);
  EXPECT_EQ(dsr_backend(a), "02:00:00:00:02:01");
  svc.backends[0].address = *IpAddress::parse("198.18.2.9");  // a different backend, same slot
  svc.backends[0].mac = MacAddress::parse("02:00:00:00:02:09");
  apply({svc});
  Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80, .tcp_flags = 0x10}));
  ASSERT_EQ(run(b), Verdict::kForward);
  EXPECT_EQ(dsr_backend(b), "02:00:00:00:02:09");
  EXPECT_EQ(stats_.rebalanced.get(), 1u);
}

TEST(PipelineGrace, RemovedBackendKeepsItsFlowsDuringGrace) {
  FlowTableConfig fc;
  fc.capacity = 4096;
  fc.syn_flood_threshold = 0;
  FlowTable flows(fc);
  WorkerStats stats(64, 256);
  Pipeline pipeline(flows, stats);
  ForwardingGlobals g;
  g.maglev_size = 251;
  g.removed_backend_grace_ms = 3'600'000;
  SnapshotBuilder builder(g);
  auto svc = PipelineTest_service();
  auto build = [&](uint64_t v) {
    auto r = builder.build(TableSpec{v, {svc}});
    EXPECT_TRUE(r.errors.empty());
    return std::move(r.snapshot);
  };
  auto snap = build(1);
  std::map<int, uint8_t> owner;
  for (int i = 0; i < 100; ++i) {
    Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = uint16_t(20000 + i), .dport = 80}));
    ASSERT_EQ(pipeline.process(b.view, snap.get(), kPortMac, 1000), Verdict::kForward);
    owner[i] = b.view.data[5];
  }
  svc.backends.erase(svc.backends.begin());  // remove backend 1
  snap = build(2);
  int kept = 0;
  for (int i = 0; i < 100; ++i) {
    Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.sport = uint16_t(20000 + i), .dport = 80, .tcp_flags = 0x10}));
    ASSERT_EQ(pipeline.process(b.view, snap.get(), kPortMac, 1001), Verdict::kForward);
    EXPECT_EQ(b.view.data[5], owner[i]) << "flow " << i << " stays on its backend";
    kept += owner[i] == 1;
  }
  EXPECT_GT(kept, 10);
  for (int i = 0; i < 100; ++i) {  // new flows never pick the removed backend
    Buffer b(frame("198.18.0.7", "198.18.1.10", L4{.sport = uint16_t(30000 + i), .dport = 80}));
    ASSERT_EQ(pipeline.process(b.view, snap.get(), kPortMac, 1002), Verdict::kForward);
    EXPECT_NE(b.view.data[5], 1);
  }
  EXPECT_EQ(stats.rebalanced.get(), 0u);
}

TEST_F(PipelineTest, IcmpTooBigFollowsTheFlow) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1", "198.18.2.2", "198.18.2.3"})});
  using test::ip;
  for (int i = 0; i < 30; ++i) {
    const uint16_t sport = uint16_t(40000 + i);
    Buffer b(frame("198.18.0.7", "198.18.1.10", L4{.sport = sport, .dport = 80}));
    ASSERT_EQ(run(b), Verdict::kForward);
    auto owner = dsr_backend(b);
    auto quoted = test::ip_packet(ip("198.18.1.10"), ip("198.18.0.7"), L4{.proto = 6, .sport = 80, .dport = sport});
    quoted.resize(28);
    Buffer icmp(
        frame("198.18.100.1", "198.18.1.10", L4{.proto = 1, .icmp_type = 3, .icmp_code = 4, .icmp_inner = quoted}));
    ASSERT_EQ(run(icmp), Verdict::kForward);
    EXPECT_EQ(dsr_backend(icmp), owner);
  }
  EXPECT_EQ(stats_.icmp_too_big_steered.get(), 30u);
}

TEST_F(PipelineTest, SynOnClosingFlowStartsNewFlow) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"})});
  Buffer a(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80}));
  ASSERT_EQ(run(a, 0), Verdict::kForward);
  Buffer fin(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80, .tcp_flags = 0x11}));
  ASSERT_EQ(run(fin, 1), Verdict::kForward);
  Buffer syn(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80, .tcp_flags = 0x02}));
  ASSERT_EQ(run(syn, 2), Verdict::kForward);
  EXPECT_EQ(stats_.vip[0].new_flows.get(), 2u);
}

// Node drain: what is tracked goes on, nothing new starts; the host's own traffic is untouched.
TEST_F(PipelineTest, DrainingNodeTakesNoNewFlows) {
  ServiceSpec l7 = service("198.18.1.20", 443, 6, ForwardingMode::kL7, {});
  auto services = std::vector<ServiceSpec>{service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"}),
                                           service("198.18.1.10", 53, 17, ForwardingMode::kDsr, {"198.18.2.1"}), l7};
  apply(services);
  Buffer old_syn(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1000, .dport = 80}));
  ASSERT_EQ(run(old_syn), Verdict::kForward);
  Buffer old_udp(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .sport = 1000, .dport = 53}));
  ASSERT_EQ(run(old_udp), Verdict::kForward);
  builder_.set_draining(true);
  apply(services);
  ASSERT_TRUE(snap_->draining);
  const uint64_t flows = flows_.counters().occupancy.get();

  Buffer old_ack(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1000, .dport = 80, .tcp_flags = 0x10}));
  EXPECT_EQ(run(old_ack), Verdict::kForward) << "a tracked TCP flow goes on";
  Buffer old_udp2(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .sport = 1000, .dport = 53}));
  EXPECT_EQ(run(old_udp2), Verdict::kForward) << "a tracked UDP flow goes on";
  Buffer new_syn(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1001, .dport = 80}));
  EXPECT_EQ(run(new_syn), DropReason::kNodeDraining);
  Buffer new_udp(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .sport = 1001, .dport = 53}));
  EXPECT_EQ(run(new_udp), DropReason::kNodeDraining);
  Buffer lost_ack(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1002, .dport = 80, .tcp_flags = 0x10}));
  EXPECT_EQ(run(lost_ack), Verdict::kForward) << "a connection the table lost track of is not cut";
  EXPECT_EQ(dsr_backend(lost_ack), "02:00:00:00:02:01");
  EXPECT_EQ(flows_.counters().occupancy.get(), flows) << "nothing new is tracked while draining";
  Buffer l7_syn(frame("198.18.0.1", "198.18.1.20", L4{.sport = 1003, .dport = 443}));
  EXPECT_EQ(run(l7_syn), DropReason::kNodeDraining) << "no new connection to HAProxy";
  Buffer l7_ack(frame("198.18.0.1", "198.18.1.20", L4{.sport = 1003, .dport = 443, .tcp_flags = 0x10}));
  EXPECT_EQ(run(l7_ack), Verdict::kPunt) << "HAProxy's established connections go on";
  Buffer host(frame("198.18.0.1", "198.18.0.2", L4{.sport = 1004, .dport = 22}));
  EXPECT_EQ(run(host), Verdict::kPunt) << "the host's own traffic (SSH) is not drained";
  // a new connection on the tuple of a closing flow is a new flow too
  Buffer fin(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1000, .dport = 80, .tcp_flags = 0x11}));
  ASSERT_EQ(run(fin), Verdict::kForward);
  Buffer reuse(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1000, .dport = 80}));
  EXPECT_EQ(run(reuse), DropReason::kNodeDraining);
  EXPECT_EQ(stats_.drops[size_t(DropReason::kNodeDraining)].get(), 4u);

  builder_.set_draining(false);
  apply(services);
  Buffer again(frame("198.18.0.1", "198.18.1.10", L4{.sport = 1001, .dport = 80}));
  EXPECT_EQ(run(again), Verdict::kForward) << "undrained: new flows again";
}

TEST_F(PipelineTest, FragmentsToVipAndNoTable) {
  apply({service("198.18.1.10", 53, 17, ForwardingMode::kDsr, {"198.18.2.1"})});
  // IPv4 identification and flags/offset, with the header checksum redone.
  auto fragment = [](std::vector<uint8_t> f, uint16_t id, uint16_t flags_offset) {
    store_be16(&f[18], id);
    store_be16(&f[20], flags_offset);
    store_be16(&f[24], 0);
    store_be16(&f[24], ipv4_header_checksum(&f[14], 20));
    return f;
  };
  const auto f = frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 53, .payload = 40});
  Buffer first(fragment(f, 7, 0x2000));  // MF, offset 0: carries the ports
  EXPECT_EQ(run(first), Verdict::kForward);
  Buffer later(fragment(f, 7, 0x0006));  // offset 48: no ports, the first one's are used
  EXPECT_EQ(run(later), Verdict::kForward);
  EXPECT_EQ(dsr_backend(later), dsr_backend(first));
  Buffer unknown(fragment(f, 8, 0x0006));  // no first fragment seen, and this pipeline holds none
  EXPECT_EQ(run(unknown), DropReason::kIpFragment);
  Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.proto = 17, .dport = 53}));
  EXPECT_EQ(pipeline_.process(b.view, nullptr, kPortMac, 0), Verdict::kDrop);
  EXPECT_EQ(pipeline_.drop_reason(0), DropReason::kNoSnapshot);
}

TEST_F(PipelineTest, NicChecksumVerdictReplacesTheSoftwareCheck) {
  apply({service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"})});
  auto good = frame("198.18.0.1", "198.18.1.10", L4{.dport = 80});
  Buffer flagged_bad(good);
  flagged_bad.view.rx_ip_checksum = PacketView::IpChecksum::kBad;
  EXPECT_EQ(run(flagged_bad), DropReason::kIpv4BadChecksum) << "the NIC said bad";
  auto wrong = good;
  wrong[24] ^= 0x5a;
  Buffer unknown(wrong);
  EXPECT_EQ(run(unknown), DropReason::kIpv4BadChecksum) << "no NIC verdict: summed in software";
  Buffer trusted(wrong);
  trusted.view.rx_ip_checksum = PacketView::IpChecksum::kGood;
  EXPECT_EQ(run(trusted), Verdict::kForward) << "the NIC's good verdict is not second-guessed";
}

TEST_F(PipelineTest, DsrWithoutMacIsNoNextHop) {
  auto svc = service("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1"});
  svc.backends[0].mac.reset();
  apply({svc});
  Buffer b(frame("198.18.0.1", "198.18.1.10", L4{.dport = 80}));
  EXPECT_EQ(run(b), DropReason::kNoNextHop);
}

TEST(Forwarder, EncapSourceUsesHostBitsOnly) {
  auto p4 = *IpPrefix::parse("198.18.254.0/24");
  for (uint64_t h : {0ull, 1ull, 0xffull, 0x12345678abcdull}) {
    auto a = encap_source(p4, h);
    EXPECT_EQ(a.bytes[0], 198);
    EXPECT_EQ(a.bytes[2], 254);
    EXPECT_EQ(a.bytes[3], uint8_t(h));
  }
  auto p6 = *IpPrefix::parse("2001:db8:ffff::/64");
  auto a = encap_source(p6, 0x0102030405060708ull);
  EXPECT_EQ(a.to_string(), "2001:db8:ffff:0:102:304:506:708");
}

}  // namespace
}  // namespace edgelb
