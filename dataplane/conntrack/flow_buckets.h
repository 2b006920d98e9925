// The storage behind FlowTable, one instance per entry layout (FlowEntryV4, FlowEntryV6):
// buckets of 4 entries (128 bytes for IPv4, 256 for IPv6), each flow with two candidate buckets
// chosen by independent hash bits. A lookup reads the two prefetched buckets and compares the
// keys stored there: no signature array, no third memory access.
//
// Insert takes a free way in the less-loaded candidate, else an expired way in either, else
// moves resident flows to their other buckets to free a way (cuckoo moves, a chain of at most
// 3 found breadth-first; only while the table is under 95% full), and only then evicts the way
// with the nearest deadline. Measured on 64K IPv4 slots
// (tests/unit/dataplane/flow_table_test.cc): no eviction up to 90% load.
//
// The caller (FlowTable) owns policy: timeouts, TCP state, counters. Memory is the caller's:
// zeroed, 64-byte aligned, memory_size(buckets) bytes. Thread-safety: one owning worker.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conntrack/flow_entry.h"

namespace edgelb {

// What insert() had to do to find a way for the new flow.
enum class WayTaken { kEmpty, kExpired, kEvicted };

template <class Entry>
class FlowBuckets {
 public:
  static constexpr uint32_t kWays = 4;
  static constexpr int64_t kNotFound = -1;
  struct alignas(64) Bucket {
    Entry e[kWays];
  };

  static size_t memory_size(uint32_t buckets) { return size_t(buckets) * sizeof(Bucket); }

  FlowBuckets(void* memory, uint32_t buckets)
      : table_(static_cast<Bucket*>(memory)), buckets_(buckets), move_below_(uint64_t(buckets) * kWays * 95 / 100) {}

  uint32_t buckets() const { return buckets_; }
  uint64_t first(uint64_t hash) const { return (uint64_t(uint32_t(hash)) * buckets_) >> 32; }
  uint64_t second(uint64_t hash) const { return (uint64_t(uint32_t(mix64(hash))) * buckets_) >> 32; }

  void prefetch(uint64_t hash) const {
    const char* a = reinterpret_cast<const char*>(&table_[first(hash)]);
    const char* b = reinterpret_cast<const char*>(&table_[second(hash)]);
    for (size_t off = 0; off < sizeof(Bucket); off += 64) {
      __builtin_prefetch(a + off, 1, 3);
      __builtin_prefetch(b + off, 1, 3);
    }
  }

  static bool expired(uint32_t deadline, uint32_t now) { return int32_t(deadline - now) <= 0; }

  int64_t find(typename Entry::Probe p, uint64_t hash, uint32_t now_ms) const {
    const uint64_t b1 = first(hash), b2 = second(hash);
    for (uint64_t b : {b1, b2}) {
      const Bucket& bk = table_[b];
      for (uint32_t w = 0; w < kWays; ++w) {
        const Entry& e = bk.e[w];
        if (e.meta.used && e.matches(p) && !expired(e.meta.deadline, now_ms)) return int64_t(b * kWays + w);
      }
      if (b1 == b2) break;
    }
    return kNotFound;
  }

  Entry& at(int64_t slot) { return table_[uint64_t(slot) / kWays].e[uint64_t(slot) % kWays]; }
  const Entry& at(int64_t slot) const { return table_[uint64_t(slot) / kWays].e[uint64_t(slot) % kWays]; }

  // Finds a way for a new flow with `hash` and stores `key` there (used, other_bucket set;
  // the rest of the meta is the caller's to fill). Returns its slot.
  int64_t insert(const FlowKey& key, uint64_t hash, uint32_t now_ms, WayTaken* took) {
    const uint64_t b1 = first(hash), b2 = second(hash);
    int64_t slot = take_free(b1, b2);
    *took = WayTaken::kEmpty;
    if (slot == kNotFound) slot = take_expired(b1, b2, now_ms, took);
    // Past 95% full a search for moves mostly fails after reading its whole tree (up to 128
    // buckets): under a flood of new flows the nearest-deadline eviction is the cheaper answer.
    if (slot == kNotFound && live_ < move_below_) slot = make_room(b1, b2, now_ms, took);
    if (slot == kNotFound) {
      slot = nearest_deadline(b1, b2, now_ms);
      *took = WayTaken::kEvicted;
    }
    Entry& e = at(slot);
    e.store(key);
    e.other_bucket = uint32_t(b1 ^ b2);
    e.meta.used = 1;
    if (*took == WayTaken::kEmpty) ++live_;
    return slot;
  }
  // Empties `slot`; returns whether it held a flow.
  bool erase(int64_t slot) {
    FlowMeta& m = at(slot).meta;
    const bool was = m.used;
    m.used = 0;
    live_ -= was;
    return was;
  }

  // Clears expired ways of `count` buckets from `*cursor` (wrapping; `*passes` counts wraps)
  // and calls on_live(meta) for each live one; returns how many were cleared.
  template <typename F>
  uint32_t sweep(uint32_t now_ms, uint32_t count, uint32_t* cursor, uint64_t* passes, F&& on_live) {
    uint32_t cleared = 0;
    for (uint32_t i = 0; i < count; ++i) {
      Bucket& bk = table_[*cursor];
      for (uint32_t w = 0; w < kWays; ++w) {
        FlowMeta& m = bk.e[w].meta;
        if (!m.used) continue;
        if (expired(m.deadline, now_ms)) {
          m.used = 0;
          ++cleared;
        } else {
          on_live(static_cast<const FlowMeta&>(m));
        }
      }
      if (++*cursor == buckets_) {
        *cursor = 0;
        ++*passes;
      }
    }
    live_ -= cleared;
    return cleared;
  }

  // Calls f(entry) for the live entries of buckets [first_bucket, end).
  template <typename F>
  void scan(uint64_t first_bucket, uint64_t end, uint32_t now_ms, F&& f) const {
    for (uint64_t b = first_bucket; b < end; ++b)
      for (uint32_t w = 0; w < kWays; ++w)
        if (table_[b].e[w].meta.used && !expired(table_[b].e[w].meta.deadline, now_ms)) f(table_[b].e[w]);
  }

 private:
  int free_ways(uint64_t b, int* first_free) const {
    int n = 0;
    for (uint32_t w = 0; w < kWays; ++w)
      if (!table_[b].e[w].meta.used && n++ == 0) *first_free = int(w);
    return n;
  }
  int64_t take_free(uint64_t b1, uint64_t b2) const {
    int w1 = 0, w2 = 0;
    const int f1 = free_ways(b1, &w1);
    const int f2 = b2 == b1 ? 0 : free_ways(b2, &w2);
    if (f1 == 0 && f2 == 0) return kNotFound;
    return f1 >= f2 ? int64_t(b1 * kWays + uint64_t(w1)) : int64_t(b2 * kWays + uint64_t(w2));
  }
  int64_t expired_way(uint64_t b, uint32_t now_ms) const {
    for (uint32_t w = 0; w < kWays; ++w)
      if (expired(table_[b].e[w].meta.deadline, now_ms)) return int64_t(b * kWays + w);
    return kNotFound;
  }
  // A free way of `b`, else an expired one (noted in *took), else -1.
  int vacant_way(uint64_t b, uint32_t now_ms, WayTaken* took) const {
    int way = 0;
    if (free_ways(b, &way)) return way;
    const int64_t e = expired_way(b, now_ms);
    if (e == kNotFound) return -1;
    *took = WayTaken::kExpired;
    return int(e % kWays);
  }
  int64_t take_expired(uint64_t b1, uint64_t b2, uint32_t now_ms, WayTaken* took) const {
    int64_t s = expired_way(b1, now_ms);
    if (s == kNotFound && b2 != b1) s = expired_way(b2, now_ms);
    if (s != kNotFound) *took = WayTaken::kExpired;
    return s;
  }
  // Cuckoo moves found breadth-first: a chain of residents, each moving to its other bucket,
  // that ends at a free (or expired) way, at most kMaxMoves long. Moves the chain and returns
  // the way it frees in b1 or b2, or kNotFound when no chain exists within the search.
  static constexpr int kMaxMoves = 3;
  static constexpr int kMaxNodes = 128;
  int64_t make_room(uint64_t b1, uint64_t b2, uint32_t now_ms, WayTaken* took) {
    struct Node {
      uint64_t bucket;
      int16_t parent;  // index in `q`, -1 for b1/b2
      uint8_t way;     // the way in the parent whose resident would move here
      uint8_t depth;
    };
    Node q[kMaxNodes];
    int tail = 0;
    q[tail++] = {b1, -1, 0, 0};
    if (b2 != b1) q[tail++] = {b2, -1, 0, 0};
    for (int head = 0; head < tail; ++head) {
      const Node n = q[head];
      int way = -1;
      if (n.depth > 0 && (way = vacant_way(n.bucket, now_ms, took)) >= 0) {
        // Move the chain, last link first; the way left behind in b1 or b2 is the new flow's.
        int cur = head;
        for (; q[cur].parent >= 0; cur = q[cur].parent) {
          table_[q[cur].bucket].e[way] = table_[q[q[cur].parent].bucket].e[q[cur].way];
          way = q[cur].way;
        }
        return int64_t(q[cur].bucket * kWays + uint64_t(way));
      }
      if (n.depth == kMaxMoves) continue;
      for (uint32_t w = 0; w < kWays && tail < kMaxNodes; ++w) {
        const uint64_t alt = n.bucket ^ table_[n.bucket].e[w].other_bucket;
        if (alt == n.bucket || alt >= buckets_) continue;
        q[tail++] = {alt, int16_t(head), uint8_t(w), uint8_t(n.depth + 1)};
      }
    }
    return kNotFound;
  }
  int64_t nearest_deadline(uint64_t b1, uint64_t b2, uint32_t now_ms) const {
    int64_t victim = int64_t(b1 * kWays);
    int32_t nearest = INT32_MAX;
    for (uint64_t b : {b1, b2})
      for (uint32_t w = 0; w < kWays; ++w) {
        const int32_t left = int32_t(table_[b].e[w].meta.deadline - now_ms);
        if (left < nearest) {
          nearest = left;
          victim = int64_t(b * kWays + w);
        }
      }
    return victim;
  }

  Bucket* table_;
  uint32_t buckets_;
  uint64_t move_below_;  // live flows under which insert() tries moves
  uint64_t live_ = 0;
};

}  // namespace edgelb
