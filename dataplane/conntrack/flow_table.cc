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
constexpr uint32_t kWays = FlowBuckets<FlowEntryV4>::kWays;

uint32_t bucket_count(uint64_t capacity) {
  uint64_t b = (capacity + kWays - 1) / kWays;
  if (b == 0) b = 1;
  if (b > 0xffffffffULL) throw std::invalid_argument("flow table capacity too large");
  return static_cast<uint32_t>(b);
}
size_t v4_bytes(const FlowTableConfig& cfg) {
  return FlowBuckets<FlowEntryV4>::memory_size(bucket_count(cfg.capacity));
}

constexpr size_t kHuge = size_t(2) << 20;
size_t huge_rounded(size_t size) { return (size + kHuge - 1) & ~(kHuge - 1); }

// Large tables are TLB-bound: reserved 2 MiB pages where the host has them free, else 2 MiB-
// aligned heap memory advised for transparent huge pages (which the kernel may not grant).
FlowTable::OwnMemory allocate_huge(size_t size) {
  const size_t bytes = huge_rounded(size);
  if (size >= kHuge / 2) {  // small tables (tests, file mode) leave the reserved pages alone
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (mem != MAP_FAILED) return {mem, true};  // zero-filled by the kernel
  }
  void* mem = std::aligned_alloc(kHuge, bytes);
  if (!mem) throw std::bad_alloc();
  madvise(mem, bytes, MADV_HUGEPAGE);
  std::memset(mem, 0, bytes);
  return {mem, false};
}
}  // namespace

uint64_t FlowTable::ipv6_capacity(const FlowTableConfig& cfg) {
  return cfg.capacity_v6 ? cfg.capacity_v6 : cfg.capacity / 8;
}

size_t FlowTable::memory_size(const FlowTableConfig& cfg) {
  return v4_bytes(cfg) + FlowBuckets<FlowEntryV6>::memory_size(bucket_count(ipv6_capacity(cfg)));
}

FlowTable::FlowTable(const FlowTableConfig& cfg, void* memory)
    : cfg_(cfg),
      memory_(memory),
      owns_memory_(false),
      v4_(memory, bucket_count(cfg.capacity)),
      v6_(static_cast<char*>(memory) + v4_bytes(cfg), bucket_count(ipv6_capacity(cfg))) {
  if (!memory) throw std::invalid_argument("flow table memory is null");
}

FlowTable::FlowTable(const FlowTableConfig& cfg) : FlowTable(cfg, allocate_huge(memory_size(cfg))) {}

FlowTable::FlowTable(const FlowTableConfig& cfg, OwnMemory own) : FlowTable(cfg, own.memory) {
  owns_memory_ = true;
  hugetlb_ = own.hugetlb;
}

FlowTable::~FlowTable() {
  if (!owns_memory_) return;
  if (hugetlb_)
    munmap(memory_, huge_rounded(memory_size(cfg_)));
  else
    std::free(memory_);
}

uint32_t FlowTable::timeout_for(FlowState s) const { return flow_timeout_ms(cfg_, s); }

void FlowTable::refresh(int64_t slot, uint8_t tcp_flags, uint32_t now_ms) {
  FlowMeta& e = meta(slot);
  if (e.state != FlowState::kUdp) {
    if (tcp_flags & (wire::kTcpFin | wire::kTcpRst))
      e.state = FlowState::kClosing;
    else if (!(tcp_flags & wire::kTcpSyn) && e.state == FlowState::kSynSent)
      e.state = FlowState::kEstablished;
  }
  e.deadline = now_ms + timeout_for(e.state);
}

void FlowTable::erase(int64_t slot) {
  if (slot & kV6Slot ? v6_.erase(slot & ~kV6Slot) : v4_.erase(slot)) counters_.occupancy.sub();
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
  WayTaken took;
  const int64_t slot =
      key.family == 6 ? v6_.insert(key, hash, now_ms, &took) | kV6Slot : v4_.insert(key, hash, now_ms, &took);
  if (took == WayTaken::kEmpty)
    counters_.occupancy.add();
  else if (took == WayTaken::kExpired)
    counters_.expired.add();
  else
    counters_.evictions.add();

  FlowMeta& e = meta(slot);
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
  e.deadline = now_ms + timeout_for(e.state);
  counters_.inserts.add();
  return slot;
}

}  // namespace edgelb
