#include "conntrack/flow_table.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "packet/packet_view.h"

namespace edgelb {

const char* flow_state_name(FlowState s) {
  switch (s) {
    case FlowState::kUdp: return "udp";
    case FlowState::kSynSent: return "syn_sent";
    case FlowState::kEstablished: return "established";
    case FlowState::kClosing: return "closing";
  }
  return "unknown";
}
namespace {
uint32_t bucket_count(uint64_t capacity) {
  uint64_t b = (capacity + FlowTable::kWays - 1) / FlowTable::kWays;
  if (b == 0) b = 1;
  if (b > 0xffffffffULL) throw std::invalid_argument("flow table capacity too large");
  return static_cast<uint32_t>(b);
}
}  // namespace

size_t FlowTable::memory_size(uint64_t capacity) { return size_t(bucket_count(capacity)) * sizeof(Bucket); }

FlowTable::FlowTable(const FlowTableConfig& cfg, void* memory)
    : cfg_(cfg), table_(static_cast<Bucket*>(memory)), buckets_(bucket_count(cfg.capacity)), owns_memory_(false) {
  if (!memory) throw std::invalid_argument("flow table memory is null");
}

FlowTable::FlowTable(const FlowTableConfig& cfg)
    : cfg_(cfg), table_(nullptr), buckets_(bucket_count(cfg.capacity)), owns_memory_(true) {
  // 2 MiB-aligned and advised for transparent huge pages: large tables are TLB-bound.
  constexpr size_t kHuge = size_t(2) << 20;
  size_t bytes = (memory_size(cfg.capacity) + kHuge - 1) & ~(kHuge - 1);
  void* mem = std::aligned_alloc(kHuge, bytes);
  if (!mem) throw std::bad_alloc();
  madvise(mem, bytes, MADV_HUGEPAGE);
  std::memset(mem, 0, bytes);
  table_ = static_cast<Bucket*>(mem);
}

FlowTable::~FlowTable() {
  if (owns_memory_) std::free(table_);
}

uint32_t FlowTable::timeout_for(FlowState s) const { return flow_timeout_ms(cfg_, s); }

int64_t FlowTable::find(const FlowKey& key, uint64_t hash, uint32_t now_ms) const {
  const uint32_t sig = signature(hash);
  const uint64_t b1 = bucket_of(hash), b2 = alt_bucket_of(hash);
  for (uint64_t b : {b1, b2}) {
    const Bucket& bk = table_[b];
    for (uint32_t w = 0; w < kWays; ++w) {
      if (bk.sig[w] == sig && !expired(bk.deadline[w], now_ms) && bk.entries[w].key == key)
        return int64_t(b * kWays + w);
    }
    if (b1 == b2) break;
  }
  return kNotFound;
}

void FlowTable::refresh(int64_t slot, uint8_t tcp_flags, uint32_t now_ms) {
  Bucket& bk = table_[slot / kWays];
  const uint32_t w = slot % kWays;
  FlowEntry& e = bk.entries[w];
  if (e.state != FlowState::kUdp) {
    if (tcp_flags & (wire::kTcpFin | wire::kTcpRst))
      e.state = FlowState::kClosing;
    else if (!(tcp_flags & wire::kTcpSyn) && e.state == FlowState::kSynSent)
      e.state = FlowState::kEstablished;
  }
  bk.deadline[w] = now_ms + timeout_for(e.state);
}

void FlowTable::erase(int64_t slot) {
  Bucket& bk = table_[slot / kWays];
  if (bk.sig[slot % kWays]) counters_.occupancy.sub();
  bk.sig[slot % kWays] = 0;
}

bool FlowTable::admit(bool syn_only, uint32_t now_ms) {
  if (!syn_only || cfg_.syn_flood_threshold == 0) return true;
  uint32_t elapsed = now_ms - window_start_ms_;
  if (elapsed >= 1000) {
    previous_window_syns_ = elapsed >= 2000 ? 0 : window_syns_;
    window_syns_ = 0;
    window_start_ms_ = now_ms;
  }
  ++window_syns_;
  const bool flood = window_syns_ > cfg_.syn_flood_threshold || previous_window_syns_ > cfg_.syn_flood_threshold;
  counters_.flood_active.set(flood ? 1 : 0);
  if (flood) {
    counters_.syn_not_tracked.add();
    return false;
  }
  return true;
}

int64_t FlowTable::insert(const FlowKey& key, uint64_t hash, uint32_t backend_ref, uint8_t tcp_flags, bool is_tcp,
                          uint32_t now_ms) {
  enum class Reuse { kEmpty, kExpired, kEvict } how = Reuse::kEvict;
  const uint64_t b1 = bucket_of(hash), b2 = alt_bucket_of(hash);
  uint64_t b = b1;
  uint32_t victim = 0;
  int32_t nearest = INT32_MAX;
  // Prefer an empty way in the less-loaded candidate (two-choice), then an expired way in
  // either, else the way with the nearest deadline.
  int free1 = 0, free2 = 0, first1 = -1, first2 = -1;
  for (uint32_t w = 0; w < kWays; ++w) {
    if (table_[b1].sig[w] == 0 && free1++ == 0) first1 = int(w);
    if (b2 != b1 && table_[b2].sig[w] == 0 && free2++ == 0) first2 = int(w);
  }
  if (free1 || free2) {
    how = Reuse::kEmpty;
    if (free1 >= free2)
      victim = uint32_t(first1);
    else {
      b = b2;
      victim = uint32_t(first2);
    }
  } else {
    for (uint64_t cand : {b1, b2}) {
      const Bucket& c = table_[cand];
      for (uint32_t w = 0; w < kWays && how != Reuse::kExpired; ++w) {
        const int32_t left = int32_t(c.deadline[w] - now_ms);
        if (left <= 0) {
          b = cand;
          victim = w;
          how = Reuse::kExpired;
        } else if (left < nearest) {
          nearest = left;
          b = cand;
          victim = w;
        }
      }
      if (how == Reuse::kExpired || b1 == b2) break;
    }
  }
  Bucket& bk = table_[b];
  if (how == Reuse::kEmpty)
    counters_.occupancy.add();
  else if (how == Reuse::kExpired)
    counters_.expired.add();
  else
    counters_.evictions.add();

  FlowEntry& e = bk.entries[victim];
  e.key = key;
  e.backend_ref = backend_ref;
  e.created_ms = now_ms;
  e.flags = 0;
  if (!is_tcp)
    e.state = FlowState::kUdp;
  else if (tcp_flags & (wire::kTcpFin | wire::kTcpRst))
    e.state = FlowState::kClosing;
  else if ((tcp_flags & (wire::kTcpSyn | wire::kTcpAck)) == wire::kTcpSyn)
    e.state = FlowState::kSynSent;
  else
    e.state = FlowState::kEstablished;
  bk.sig[victim] = signature(hash);
  bk.deadline[victim] = now_ms + timeout_for(e.state);
  counters_.inserts.add();
  return int64_t(b * kWays + victim);
}

}  // namespace edgelb
