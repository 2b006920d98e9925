#include "maglev/maglev.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "packet/flow_key.h"

namespace edgelb {
namespace {

std::vector<MaglevBackend> backends(size_t n, uint32_t weight = 1) {
  std::vector<MaglevBackend> v;
  for (size_t i = 0; i < n; ++i) v.push_back({"198.18.2." + std::to_string(i) + ":80", weight});
  return v;
}

std::vector<size_t> counts(const MaglevTable& t, size_t n) {
  std::vector<size_t> c(n, 0);
  for (uint16_t e : t.entries()) {
    EXPECT_NE(e, MaglevTable::kEmpty);
    if (e != MaglevTable::kEmpty) ++c.at(e);
  }
  return c;
}

TEST(Maglev, Primes) {
  EXPECT_TRUE(MaglevTable::is_prime(65537));
  EXPECT_TRUE(MaglevTable::is_prime(251));
  EXPECT_FALSE(MaglevTable::is_prime(65536));
  EXPECT_FALSE(MaglevTable::is_prime(1));
  EXPECT_FALSE(MaglevTable::valid_size(7, 7));
}

// Paper property: with M >= 100*N every backend gets within 1% of M/N.
TEST(Maglev, ImbalanceWithinOnePercent) {
  for (size_t n : {3u, 10u, 50u, 100u, 655u}) {
    const uint32_t m = 65537;
    ASSERT_GE(m, 100 * n);
    auto t = MaglevTable::build(backends(n), m);
    auto c = counts(t, n);
    const double ideal = double(m) / n;
    for (size_t i = 0; i < n; ++i)
      EXPECT_LE(std::abs(double(c[i]) - ideal) / ideal, 0.01) << "n=" << n << " backend " << i << " has " << c[i];
  }
}

// Removing 1 of N backends remaps at most 1/N + 1% of the table.
TEST(Maglev, RemovalDisruption) {
  for (size_t n : {5u, 20u, 100u}) {
    auto all = backends(n);
    auto before = MaglevTable::build(all, 65537);
    for (size_t removed : {size_t(0), n / 2, n - 1}) {
      auto fewer = all;
      fewer.erase(fewer.begin() + removed);
      auto after = MaglevTable::build(fewer, 65537);
      size_t moved = 0;
      for (uint32_t i = 0; i < 65537; ++i) {
        const std::string& was = all[before.entries()[i]].identity;
        const std::string& now = fewer[after.entries()[i]].identity;
        if (was != now) ++moved;
      }
      const double frac = double(moved) / 65537;
      EXPECT_LE(frac, 1.0 / n + 0.01) << "n=" << n << " removed " << removed;
      EXPECT_GE(frac, 1.0 / n * 0.9) << "the removed backend's share must move";
    }
  }
}

TEST(Maglev, WeightsAreProportional) {
  std::vector<MaglevBackend> b = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  auto t = MaglevTable::build(b, 65537);
  auto c = counts(t, 4);
  for (size_t i = 0; i < 4; ++i) {
    const double want = 65537.0 * b[i].weight / 10.0;
    EXPECT_LE(std::abs(c[i] - want) / want, 0.01) << b[i].identity << " has " << c[i];
  }
}

TEST(Maglev, ZeroWeightGetsNothing) {
  std::vector<MaglevBackend> b = {{"a", 1}, {"drain", 0}, {"c", 1}};
  auto t = MaglevTable::build(b, 251);
  auto c = counts(t, 3);
  EXPECT_EQ(c[1], 0u);
  EXPECT_EQ(c[0] + c[2], 251u);
}

TEST(Maglev, AllZeroWeightIsEmpty) {
  std::vector<MaglevBackend> b = {{"a", 0}};
  auto t = MaglevTable::build(b, 251);
  for (uint16_t e : t.entries()) EXPECT_EQ(e, MaglevTable::kEmpty);
  EXPECT_EQ(t.lookup(12345), MaglevTable::kEmpty);
  auto none = MaglevTable::build({}, 251);
  EXPECT_EQ(none.lookup(1), MaglevTable::kEmpty);
}

TEST(Maglev, DeterministicAcrossBuilds) {
  auto b = backends(10);
  auto t1 = MaglevTable::build(b, 65537);
  auto t2 = MaglevTable::build(b, 65537);
  EXPECT_EQ(t1.entries(), t2.entries());
}

TEST(Maglev, LookupCoversWholeTable) {
  auto t = MaglevTable::build(backends(4), 251);
  EXPECT_EQ(t.lookup(0), t.entries()[0]);
  EXPECT_EQ(t.lookup(~0ull), t.entries()[250]);
}

}  // namespace
}  // namespace edgelb

namespace edgelb {
namespace {
// The fill as the paper states it: every claim probes its permutation for the next free slot.
// build() is optimised (bitmap, no division); an optimisation must not change the table.
std::vector<uint16_t> reference_fill(const std::vector<MaglevBackend>& b, uint32_t size) {
  const size_t n = b.size();
  std::vector<uint16_t> entries(size, MaglevTable::kEmpty);
  uint32_t max_weight = 0;
  for (const auto& x : b) max_weight = std::max(max_weight, x.weight);
  std::vector<uint32_t> position(n), skip(n);
  std::vector<uint64_t> credit(n, 0);
  for (size_t i = 0; i < n; ++i) {
    position[i] = uint32_t(hash_bytes(b[i].identity.data(), b[i].identity.size(), 0x6d61676c65763031ULL) % size);
    skip[i] = uint32_t(hash_bytes(b[i].identity.data(), b[i].identity.size(), 0x736b69702d736565ULL) % (size - 1)) + 1;
  }
  for (uint32_t filled = 0; filled < size;)
    for (size_t i = 0; i < n && filled < size; ++i) {
      credit[i] += b[i].weight;
      while (credit[i] >= max_weight && filled < size) {
        credit[i] -= max_weight;
        while (entries[position[i]] != MaglevTable::kEmpty) position[i] = (position[i] + skip[i]) % size;
        entries[position[i]] = uint16_t(i);
        position[i] = (position[i] + skip[i]) % size;
        ++filled;
      }
    }
  return entries;
}

TEST(Maglev, BuildGivesThePapersFill) {
  for (uint32_t size : {7u, 251u, 4099u, 65537u}) {
    for (size_t n : {1u, 2u, 5u, 100u, 1000u}) {
      if (!MaglevTable::valid_size(size, n)) continue;
      auto b = backends(n);
      for (size_t i = 0; i < n; i += 3) b[i].weight = uint32_t(1 + i % 7);  // mixed weights
      if (n > 4) b[4].weight = 0;
      EXPECT_EQ(MaglevTable::build(b, size).entries(), reference_fill(b, size)) << "M=" << size << " N=" << n;
    }
  }
}
}  // namespace
}  // namespace edgelb
