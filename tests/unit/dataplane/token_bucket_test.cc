#include "worker/token_bucket.h"

#include <gtest/gtest.h>

namespace edgelb {
namespace {

TEST(TokenBucket, BurstThenRate) {
  const uint64_t hz = 1'000'000;   // 1 tick = 1 us
  TokenBucket b(1000, 10, hz, 0);  // 1000/s, burst 10
  int ok = 0;
  for (int i = 0; i < 50; ++i) ok += b.take(0);
  EXPECT_EQ(ok, 10) << "a full bucket allows exactly the burst";
  EXPECT_FALSE(b.take(999)) << "just under one token refilled";
  EXPECT_TRUE(b.take(1000)) << "1 ms at 1000/s is one token";
  ok = 0;
  for (uint64_t t = 1000; t <= 1'001'000; t += 100) ok += b.take(t);  // 1 s, asking 10x the rate
  EXPECT_EQ(ok, 1000);
  ok = 0;
  for (int i = 0; i < 50; ++i) ok += b.take(100'000'000);  // long idle: capped at the burst
  EXPECT_EQ(ok, 10);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  TokenBucket b(0, 1, 1000, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(b.take(0));
}

}  // namespace
}  // namespace edgelb
