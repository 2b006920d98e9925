// FragmentTable: the ports of a datagram learnt from its first fragment, kept for
// kLifetimeMs, in bounded 4-way sets.
#include "conntrack/fragment_table.h"

#include <gtest/gtest.h>

namespace edgelb {
namespace {

ParsedPacket fragment_of(uint8_t last_src_byte, uint32_t id) {
  ParsedPacket pp;
  pp.key.family = 4;
  pp.key.proto = 17;
  pp.key.src[0] = 198;
  pp.key.src[3] = last_src_byte;
  pp.key.dst[0] = 198;
  pp.key.dst[3] = 10;
  pp.fragment = true;
  pp.frag_id = id;
  return pp;
}

TEST(FragmentTable, LearnsPortsPerDatagramUntilTheyExpire) {
  FragmentTable t(64);
  const FlowKey a = FragmentTable::datagram_of(fragment_of(1, 7));
  const FlowKey b = FragmentTable::datagram_of(fragment_of(1, 8));  // same hosts, another datagram
  t.learn(a, 40000, 53, 1000);
  uint16_t sp = 0, dp = 0;
  ASSERT_TRUE(t.find(a, 1001, &sp, &dp));
  EXPECT_EQ(sp, 40000);
  EXPECT_EQ(dp, 53);
  EXPECT_FALSE(t.find(b, 1001, &sp, &dp));
  EXPECT_TRUE(t.find(a, 1000 + FragmentTable::kLifetimeMs - 1, &sp, &dp));
  EXPECT_FALSE(t.find(a, 1000 + FragmentTable::kLifetimeMs, &sp, &dp)) << "expired";
}

TEST(FragmentTable, IdsUseAll32BitsAndTheClockMayWrap) {
  FragmentTable t(64);
  const FlowKey hi = FragmentTable::datagram_of(fragment_of(1, 0x00010000));
  const FlowKey lo = FragmentTable::datagram_of(fragment_of(1, 0x00000001));
  t.learn(hi, 1, 2, 0xffffff00u);
  uint16_t sp, dp;
  EXPECT_TRUE(t.find(hi, 0x10, &sp, &dp)) << "alive across the 32-bit millisecond wrap";
  EXPECT_FALSE(t.find(lo, 0x10, &sp, &dp));
}

TEST(FragmentTable, BoundedFullSetsReplaceTheOldest) {
  FragmentTable t(4);  // one set of four
  for (uint32_t i = 0; i < 4; ++i) t.learn(FragmentTable::datagram_of(fragment_of(1, i)), uint16_t(i), 0, 100 + i);
  t.learn(FragmentTable::datagram_of(fragment_of(1, 99)), 99, 0, 200);
  uint16_t sp, dp;
  EXPECT_FALSE(t.find(FragmentTable::datagram_of(fragment_of(1, 0)), 201, &sp, &dp)) << "the oldest went";
  for (uint32_t i : {1u, 2u, 3u, 99u})
    EXPECT_TRUE(t.find(FragmentTable::datagram_of(fragment_of(1, i)), 201, &sp, &dp));
}

}  // namespace
}  // namespace edgelb
