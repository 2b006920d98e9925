// Per-worker connection tracking: fixed capacity, nothing allocated after construction.
//
// Two tables of the same shape (conntrack/flow_buckets.h), one per address family: IPv4 flows
// in 32-byte entries, IPv6 flows in 64-byte ones, each flow with two candidate buckets of 4
// ways. A slot number says which table it is in. An insert takes a free or expired way, moves
// a resident to its other bucket to make room, and only then evicts the way with the nearest
// deadline (an LRU approximation that prefers dying flows).
// A background sweep() clears expired entries a few buckets at a time (a clock hand).
//
// TCP state follows what the client sends (the VIP only sees one direction in DSR):
// SYN -> syn_sent, anything else -> established, FIN/RST -> closing; each state has its own
// timeout. A SYN that reuses a closing flow's tuple starts a new flow.
//
// SYN-flood guard: when more SYN-only flows per second than `syn_flood_threshold` try to enter,
// SYN-only packets stop creating entries until the rate falls (Maglev keeps them consistent);
// the flow is created by the client's next packet instead, so spoofed SYNs cannot wipe the
// table.
//
// Thread-safety: owned by one worker; only the counters may be read by other threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conntrack/flow_buckets.h"
#include "conntrack/flow_entry.h"
#include "packet/flow_key.h"
#include "stats/counter.h"

namespace edgelb {

struct FlowTableConfig {
  uint64_t capacity = 1 << 20;  // IPv4 entries, rounded up to a multiple of 4
  uint64_t capacity_v6 = 0;     // IPv6 entries; 0 = capacity / 8
  uint32_t tcp_syn_timeout_ms = 5'000;
  uint32_t tcp_established_timeout_ms = 300'000;
  uint32_t tcp_closing_timeout_ms = 10'000;
  uint32_t udp_timeout_ms = 30'000;
  uint32_t syn_flood_threshold = 100'000;  // SYN-only new flows per second; 0 disables guard
};

// How long an idle flow (or NAT session) in state `s` lives: the one place for both tables.
inline uint32_t flow_timeout_ms(const FlowTableConfig& cfg, FlowState s) {
  switch (s) {
    case FlowState::kSynSent: return cfg.tcp_syn_timeout_ms;
    case FlowState::kEstablished: return cfg.tcp_established_timeout_ms;
    case FlowState::kClosing: return cfg.tcp_closing_timeout_ms;
    case FlowState::kUdp: break;
  }
  return cfg.udp_timeout_ms;
}

struct FlowTableCounters {
  Counter inserts, evictions, expired, syn_not_tracked, occupancy;
  Counter flood_active;  // 0 or 1
};

class FlowTable {
 public:
  static constexpr int64_t kNotFound = -1;

  // Bytes of memory the two tables need (64-byte aligned), and how they are split.
  static size_t memory_size(const FlowTableConfig& cfg);
  static uint64_t ipv6_capacity(const FlowTableConfig& cfg);

  // Uses caller-provided zeroed, 64-byte-aligned memory of memory_size() bytes (e.g. from
  // rte_zmalloc_socket on the worker's socket); the caller frees it after the table.
  FlowTable(const FlowTableConfig& cfg, void* memory);
  // Allocates its own memory: reserved huge pages when free, else the heap.
  explicit FlowTable(const FlowTableConfig& cfg);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Slots of both tables together.
  uint64_t capacity() const { return (uint64_t(v4_.buckets()) + v6_.buckets()) * FlowBuckets<FlowEntryV4>::kWays; }
  const FlowTableConfig& config() const { return cfg_; }

  // Prefetches the two candidate buckets of the flow (a burst ahead of find()).
  void prefetch(const FlowKey& key, uint64_t hash) const {
    if (key.family == 6)
      v6_.prefetch(hash);
    else
      v4_.prefetch(hash);
  }

  // Returns the slot of a live entry for `key`, or kNotFound.
  int64_t find(const FlowKey& key, uint64_t hash, uint32_t now_ms) const {
    if (key.family == 6) {
      const int64_t s = v6_.find(FlowEntryV6::probe(key), hash, now_ms);
      return s == kNotFound ? s : s | kV6Slot;
    }
    return v4_.find(FlowEntryV4::probe(key), hash, now_ms);
  }
  // The state of the flow in `slot` (valid until the next insert()).
  FlowMeta& meta(int64_t slot) { return slot & kV6Slot ? v6_.at(slot & ~kV6Slot).meta : v4_.at(slot).meta; }
  // Advances the TCP state for a packet with `tcp_flags` (ignored for UDP) and extends expiry.
  void refresh(int64_t slot, uint8_t tcp_flags, uint32_t now_ms);
  // Removes the entry in `slot`.
  void erase(int64_t slot);

  // Whether a new flow may be created; applies the SYN-flood guard (counts attempts).
  bool admit(bool syn_only, uint32_t now_ms);
  // Creates an entry, making room if both buckets are full. Returns its slot. May move
  // another flow to its other bucket, so slots returned earlier are stale afterwards.
  int64_t insert(const FlowKey& key, uint64_t hash, uint32_t backend_ref, uint8_t tcp_flags, bool is_tcp,
                 uint32_t now_ms);
  // Clears expired entries in the next `buckets` buckets; returns how many were cleared.
  uint32_t sweep(uint32_t now_ms, uint32_t buckets) {
    return sweep(now_ms, buckets, [](const FlowMeta&) {});
  }
  // Same, and calls on_live(meta) for every live entry it passes; the hand wraps around both
  // tables once per pass (sweep_passes() counts them), so a visitor that tallies between two
  // wraps has seen every live entry once (e.g. active flows per backend; a flow moved to its
  // other bucket during the pass may be seen twice or not at all).
  template <typename F>
  uint32_t sweep(uint32_t now_ms, uint32_t buckets, F&& on_live) {
    uint32_t cleared = 0;
    while (buckets) {
      const bool in_v4 = sweep_table_ == 0;
      const uint32_t cursor = in_v4 ? sweep_cursor_v4_ : sweep_cursor_v6_;
      const uint32_t left = (in_v4 ? v4_.buckets() : v6_.buckets()) - cursor;
      const uint32_t n = buckets < left ? buckets : left;
      uint64_t wraps = 0;
      cleared += in_v4 ? v4_.sweep(now_ms, n, &sweep_cursor_v4_, &wraps, on_live)
                       : v6_.sweep(now_ms, n, &sweep_cursor_v6_, &wraps, on_live);
      buckets -= n;
      if (wraps) {
        sweep_table_ ^= 1;
        if (!in_v4) ++sweep_passes_;
      }
    }
    if (cleared) {
      counters_.expired.add(cleared);
      counters_.occupancy.sub(cleared);
    }
    return cleared;
  }
  uint64_t sweep_passes() const { return sweep_passes_; }

  // Visits the live entries of buckets [first, first + count) (IPv4 buckets, then IPv6 ones)
  // as f(entry, expires_in_ms) and returns the next bucket to visit (buckets() when done).
  // For listings done by the owning worker a chunk at a time.
  uint64_t buckets() const { return uint64_t(v4_.buckets()) + v6_.buckets(); }
  template <typename F>
  uint64_t scan(uint64_t first, uint32_t count, uint32_t now_ms, F&& f) const {
    const uint64_t end = first + count < buckets() ? first + count : buckets();
    const uint64_t n4 = v4_.buckets();
    auto visit = [&](const auto& e) {
      FlowEntry view;
      view.key = e.key();
      view.state = e.meta.state;
      view.flags = e.meta.flags;
      view.backend_ref = e.meta.backend_ref;
      view.created_ms = e.meta.created_ms;
      f(static_cast<const FlowEntry&>(view), e.meta.deadline - now_ms);
    };
    if (first < n4) v4_.scan(first, end < n4 ? end : n4, now_ms, visit);
    if (end > n4) v6_.scan(first > n4 ? first - n4 : 0, end - n4, now_ms, visit);
    return end;
  }

  const FlowTableCounters& counters() const { return counters_; }

  struct OwnMemory {
    void* memory;
    bool hugetlb;  // from MAP_HUGETLB (munmap), else the heap (free)
  };

 private:
  FlowTable(const FlowTableConfig& cfg, OwnMemory own);
  static constexpr int64_t kV6Slot = int64_t(1) << 40;
  uint32_t timeout_for(FlowState s) const;

  FlowTableConfig cfg_;
  void* memory_;
  bool owns_memory_;
  bool hugetlb_ = false;
  FlowBuckets<FlowEntryV4> v4_;
  FlowBuckets<FlowEntryV6> v6_;
  uint32_t sweep_cursor_v4_ = 0;
  uint32_t sweep_cursor_v6_ = 0;
  uint32_t sweep_table_ = 0;  // 0: the hand is in the IPv4 table
  uint64_t sweep_passes_ = 0;
  uint32_t window_start_ms_ = 0;
  uint32_t window_syns_ = 0;
  uint32_t previous_window_syns_ = 0;
  FlowTableCounters counters_;
};

}  // namespace edgelb
