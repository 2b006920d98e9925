// Full-NAT sessions, directly: disjoint per-worker port partitions and who owns a reply's port,
// allocation by family and flow hash, the way back from (pool address, port), expiry by TCP state
// seen in both directions, exhaustion counted, and the sweep keeping `active` exact.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "conntrack/nat_table.h"
#include "packet/packet_view.h"

namespace edgelb {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

FlowKey client(const char* addr, uint16_t port, uint8_t proto = wire::kProtoTcp) {
  FlowKey k{};
  const IpAddress a = ip(addr);
  std::memcpy(k.src, a.bytes.data(), 16);
  const IpAddress vip = a.is_v4() ? ip("198.18.0.100") : ip("2001:db8::100");
  std::memcpy(k.dst, vip.bytes.data(), 16);
  k.src_port = port;
  k.dst_port = 80;
  k.proto = proto;
  k.family = a.is_v4() ? 4 : 6;
  return k;
}

const uint8_t kMac[6] = {2, 0, 0, 0, 0, 1};
FlowTableConfig timeouts() {
  FlowTableConfig t;
  t.tcp_syn_timeout_ms = 100;
  t.tcp_established_timeout_ms = 1000;
  t.tcp_closing_timeout_ms = 50;
  t.udp_timeout_ms = 300;
  return t;
}

TEST(NatTable, PortPartitionsAreDisjointAndNameTheirWorker) {
  std::set<uint16_t> seen;
  for (uint16_t w = 0; w < 3; ++w) {
    NatTable t({{ip("198.18.0.200")}, 1024, 1053, w, 3}, timeouts());
    EXPECT_EQ(t.ports_per_worker(), 10u);
    EXPECT_EQ(t.first_port(), 1024 + 10 * w);
    for (uint32_t p = t.first_port(); p < t.first_port() + t.ports_per_worker(); ++p) {
      EXPECT_TRUE(seen.insert(uint16_t(p)).second) << p;
      EXPECT_EQ(t.owner_of(uint16_t(p)), w);
    }
    EXPECT_EQ(t.owner_of(1023), -1);  // below the range: the kernel's
    EXPECT_EQ(t.owner_of(1054), -1);  // above the last full partition
  }
  EXPECT_THROW(NatTable({{ip("198.18.0.200")}, 2000, 1000, 0, 1}, timeouts()), std::invalid_argument);
  EXPECT_THROW(NatTable({{ip("198.18.0.200")}, 1024, 1025, 0, 3}, timeouts()), std::invalid_argument);
  EXPECT_THROW(NatTable({{ip("198.18.0.200")}, 1024, 2000, 2, 2}, timeouts()), std::invalid_argument);
}

TEST(NatTable, AllocationByFamilyAndTheWayBack) {
  NatTable t({{ip("198.18.0.200"), ip("2001:db8::200"), ip("198.18.0.201")}, 40000, 40009, 0, 1}, timeouts());
  const FlowKey c4 = client("198.18.0.10", 5555), c6 = client("2001:db8::10", 5555);
  const int64_t s4 = t.allocate(c4, 0, 7, ip("198.18.1.1"), 8080, kMac, 1000);
  const int64_t s6 = t.allocate(c6, 0, 8, ip("2001:db8:1::1"), 8080, kMac, 1000);
  ASSERT_NE(s4, NatTable::kNone);
  ASSERT_NE(s6, NatTable::kNone);
  EXPECT_TRUE(t.pool_address(uint32_t(s4)).is_v4());  // a client's family picks the address
  EXPECT_EQ(t.pool_address(uint32_t(s6)), ip("2001:db8::200"));
  // The hash picks among same-family addresses.
  const int64_t other = t.allocate(client("198.18.0.11", 1), uint64_t(1) << 20, 9, ip("198.18.1.1"), 80, kMac, 1000);
  EXPECT_NE(t.pool_address(uint32_t(other)), t.pool_address(uint32_t(s4)));
  // A reply to (pool address, port) finds the session; it remembers the client.
  const IpAddress a4 = t.pool_address(uint32_t(s4));
  const int idx = t.pool_index(a4.bytes.data(), 4);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(t.find_reply(idx, t.port_of(uint32_t(s4)), 1001), s4);
  EXPECT_TRUE(t.owned_by(uint32_t(s4), c4, 1001));
  EXPECT_FALSE(t.owned_by(uint32_t(s4), c6, 1001));
  const NatSession& s = t.session(uint32_t(s4));
  EXPECT_EQ(s.backend_port, 8080);
  EXPECT_EQ(s.backend_ref, 7u);
  EXPECT_EQ(std::memcmp(s.client_mac, kMac, 6), 0);
  EXPECT_EQ(t.pool_index(ip("198.18.9.9").bytes.data(), 4), -1);
  EXPECT_EQ(t.find_reply(idx, 39999, 1001), NatTable::kNone);  // not this worker's port
  EXPECT_EQ(t.counters().active.get(), 3u);
  EXPECT_EQ(t.counters().allocations.get(), 3u);
}

TEST(NatTable, TcpStateDrivesExpiryAndExhaustionIsCounted) {
  NatTable t({{ip("198.18.0.200")}, 50000, 50002, 0, 1}, timeouts());  // three ports
  const FlowKey a = client("198.18.0.10", 1), b = client("198.18.0.11", 2), c = client("198.18.0.12", 3);
  const int64_t sa = t.allocate(a, 0, 1, ip("198.18.1.1"), 80, kMac, 0);
  const int64_t sb = t.allocate(b, 0, 1, ip("198.18.1.1"), 80, kMac, 0);
  const int64_t sc = t.allocate(c, 0, 1, ip("198.18.1.1"), 80, kMac, 0);
  ASSERT_NE(sc, NatTable::kNone);
  EXPECT_EQ(t.allocate(client("198.18.0.13", 4), 0, 1, ip("198.18.1.1"), 80, kMac, 10), NatTable::kNone);
  EXPECT_EQ(t.counters().exhausted.get(), 1u);
  // a: SYN-ACK seen, then ACK -> established (1000 ms); b: FIN -> closing (50 ms); c: SYN only (100 ms).
  t.refresh(uint32_t(sa), wire::kTcpSyn | wire::kTcpAck, 20);
  t.refresh(uint32_t(sa), wire::kTcpAck, 20);
  EXPECT_EQ(t.session(uint32_t(sa)).state, FlowState::kEstablished);
  t.refresh(uint32_t(sb), wire::kTcpAck, 20);
  t.refresh(uint32_t(sb), wire::kTcpFin | wire::kTcpAck, 20);
  EXPECT_EQ(t.session(uint32_t(sb)).state, FlowState::kClosing);
  EXPECT_TRUE(t.owned_by(uint32_t(sb), b, 69));
  EXPECT_FALSE(t.owned_by(uint32_t(sb), b, 70));  // closing: gone 50 ms after the FIN
  EXPECT_FALSE(t.owned_by(uint32_t(sc), c, 100));
  EXPECT_TRUE(t.owned_by(uint32_t(sa), a, 1019));
  // An expired session's port is taken again by the next allocation, before any sweep.
  const int64_t sd = t.allocate(client("198.18.0.13", 4), 0, 1, ip("198.18.1.1"), 80, kMac, 200);
  ASSERT_NE(sd, NatTable::kNone);
  EXPECT_TRUE(sd == sb || sd == sc);
  EXPECT_EQ(t.counters().active.get(), 3u);  // reused, not added
  // The sweep frees what expired and keeps `active` exact.
  t.sweep(2000, 3);
  EXPECT_EQ(t.counters().active.get(), 0u);
  EXPECT_EQ(t.find_reply(0, t.port_of(uint32_t(sa)), 2000), NatTable::kNone);
}

TEST(NatTable, UdpSessionsAndRelease) {
  NatTable t({{ip("198.18.0.200")}, 60000, 60009, 0, 1}, timeouts());
  const FlowKey u = client("198.18.0.10", 53, wire::kProtoUdp);
  const int64_t s = t.allocate(u, 0, 1, ip("198.18.1.1"), 53, kMac, 0);
  ASSERT_NE(s, NatTable::kNone);
  EXPECT_EQ(t.session(uint32_t(s)).state, FlowState::kUdp);
  t.refresh(uint32_t(s), wire::kTcpFin, 250);  // flags mean nothing to UDP: just extended
  EXPECT_EQ(t.session(uint32_t(s)).state, FlowState::kUdp);
  EXPECT_TRUE(t.owned_by(uint32_t(s), u, 549));
  EXPECT_FALSE(t.owned_by(uint32_t(s), u, 550));
  t.release(uint32_t(s));
  t.release(uint32_t(s));  // twice: counted once
  EXPECT_EQ(t.counters().active.get(), 0u);
}

}  // namespace
}  // namespace edgelb
