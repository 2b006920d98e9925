// Per-worker connection tracking: a fixed-capacity, 8-way set-associative table.
//
// Layout: a bucket is one 64-byte header (8 hash signatures + 8 expiry deadlines) followed by
// 8 FlowEntry records of 48 bytes: 56 bytes per flow, nothing allocated after construction.
// Each flow has two candidate buckets (two-choice hashing, from independent hash bits); a
// lookup reads their header lines, compares signatures, then touches one entry. An insert takes
// a free or expired way in either; when both are full it evicts the way with the nearest
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
#include <memory>

#include "packet/flow_key.h"
#include "stats/counter.h"

namespace edgelb {

struct FlowTableConfig {
  uint64_t capacity = 1 << 20;  // entries, rounded up to a multiple of 8
  uint32_t tcp_syn_timeout_ms = 5'000;
  uint32_t tcp_established_timeout_ms = 300'000;
  uint32_t tcp_closing_timeout_ms = 10'000;
  uint32_t udp_timeout_ms = 30'000;
  uint32_t syn_flood_threshold = 100'000;  // SYN-only new flows per second; 0 disables guard
};

enum class FlowState : uint8_t { kUdp = 0, kSynSent = 1, kEstablished = 2, kClosing = 3 };
const char* flow_state_name(FlowState s);  // "udp", "syn_sent", "established", "closing"

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

struct FlowEntry {
  static constexpr uint8_t kNat = 1;  // flags: a full-NAT flow (nat_session is valid)
  FlowKey key;                        // 38 bytes
  FlowState state;
  uint8_t flags;
  uint32_t backend_ref;  // ServiceSnapshot backend reference (slot | generation << 16)
  union {
    uint32_t created_ms;   // plain flows
    uint32_t nat_session;  // NAT flows: their NatTable session (which keeps created_ms)
  };
};
static_assert(sizeof(FlowEntry) == 48);

struct FlowTableCounters {
  Counter inserts, evictions, expired, syn_not_tracked, occupancy;
  Counter flood_active;  // 0 or 1
};

class FlowTable {
 public:
  static constexpr uint32_t kWays = 8;
  static constexpr int64_t kNotFound = -1;

  // Bytes of memory a table of `capacity` entries needs (64-byte aligned).
  static size_t memory_size(uint64_t capacity);

  // Uses caller-provided zeroed, 64-byte-aligned memory of memory_size() bytes (e.g. from
  // rte_zmalloc_socket on the worker's socket); the caller frees it after the table.
  FlowTable(const FlowTableConfig& cfg, void* memory);
  // Allocates its own memory from the heap.
  explicit FlowTable(const FlowTableConfig& cfg);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  uint64_t capacity() const { return uint64_t(buckets_) * kWays; }
  const FlowTableConfig& config() const { return cfg_; }

  // Header lines of the two candidate buckets for `hash` (to prefetch a burst ahead).
  const void* bucket_address(uint64_t hash) const { return &table_[bucket_of(hash)]; }
  const void* alt_bucket_address(uint64_t hash) const { return &table_[alt_bucket_of(hash)]; }

  // Returns the slot of a live entry for `key`, or kNotFound.
  int64_t find(const FlowKey& key, uint64_t hash, uint32_t now_ms) const;
  FlowEntry& entry(int64_t slot) { return table_[slot / kWays].entries[slot % kWays]; }
  // Advances the TCP state for a packet with `tcp_flags` (ignored for UDP) and extends expiry.
  void refresh(int64_t slot, uint8_t tcp_flags, uint32_t now_ms);
  // Removes the entry in `slot`.
  void erase(int64_t slot);

  // Whether a new flow may be created; applies the SYN-flood guard (counts attempts).
  bool admit(bool syn_only, uint32_t now_ms);
  // Creates an entry, evicting if the bucket is full. Returns its slot.
  int64_t insert(const FlowKey& key, uint64_t hash, uint32_t backend_ref, uint8_t tcp_flags, bool is_tcp,
                 uint32_t now_ms);
  // Clears expired entries in the next `buckets` buckets; returns how many were cleared.
  uint32_t sweep(uint32_t now_ms, uint32_t buckets) {
    return sweep(now_ms, buckets, [](const FlowEntry&) {});
  }
  // Same, and calls on_live(entry) for every live entry it passes; the hand wraps around the
  // table once per pass (sweep_passes() counts them), so a visitor that tallies between two
  // wraps has seen every live entry once (e.g. active flows per backend).
  template <typename F>
  uint32_t sweep(uint32_t now_ms, uint32_t buckets, F&& on_live) {
    uint32_t cleared = 0;
    for (uint32_t i = 0; i < buckets; ++i) {
      Bucket& bk = table_[sweep_cursor_];
      for (uint32_t w = 0; w < kWays; ++w) {
        if (!bk.sig[w]) continue;
        if (expired(bk.deadline[w], now_ms)) {
          bk.sig[w] = 0;
          ++cleared;
        } else {
          on_live(bk.entries[w]);
        }
      }
      if (++sweep_cursor_ == buckets_) {
        sweep_cursor_ = 0;
        ++sweep_passes_;
      }
    }
    if (cleared) {
      counters_.expired.add(cleared);
      counters_.occupancy.sub(cleared);
    }
    return cleared;
  }
  uint64_t sweep_passes() const { return sweep_passes_; }

  // Visits the live entries of buckets [first, first + count) as f(entry, expires_in_ms) and
  // returns the next bucket to visit (buckets() when done). For listings done by the
  // owning worker a chunk at a time.
  uint64_t buckets() const { return buckets_; }
  template <typename F>
  uint64_t scan(uint64_t first, uint32_t count, uint32_t now_ms, F&& f) const {
    const uint64_t end = first + count < buckets_ ? first + count : buckets_;
    for (uint64_t b = first; b < end; ++b)
      for (uint32_t w = 0; w < kWays; ++w)
        if (table_[b].sig[w] && !expired(table_[b].deadline[w], now_ms))
          f(table_[b].entries[w], table_[b].deadline[w] - now_ms);
    return end;
  }

  const FlowTableCounters& counters() const { return counters_; }

 private:
  struct alignas(64) Bucket {
    uint32_t sig[kWays];       // 0 = empty
    uint32_t deadline[kWays];  // now_ms-relative expiry (wrapping)
    FlowEntry entries[kWays];
  };
  static_assert(sizeof(Bucket) == 448);

  static bool expired(uint32_t deadline, uint32_t now) { return int32_t(deadline - now) <= 0; }
  static uint32_t signature(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) | 1u; }
  uint64_t bucket_of(uint64_t hash) const { return (uint64_t(static_cast<uint32_t>(hash)) * buckets_) >> 32; }
  uint64_t alt_bucket_of(uint64_t hash) const {
    return (uint64_t(static_cast<uint32_t>(mix64(hash))) * buckets_) >> 32;
  }
  uint32_t timeout_for(FlowState s) const;

  FlowTableConfig cfg_;
  Bucket* table_;
  uint32_t buckets_;
  bool owns_memory_;
  uint32_t sweep_cursor_ = 0;
  uint64_t sweep_passes_ = 0;
  uint32_t window_start_ms_ = 0;
  uint32_t window_syns_ = 0;
  uint32_t previous_window_syns_ = 0;
  FlowTableCounters counters_;
};

}  // namespace edgelb
