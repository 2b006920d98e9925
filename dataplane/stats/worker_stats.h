// Per-worker counters: written only by the owning worker (see Counter), aggregated by the
// control side on read. Each worker's block is cache-aligned and its per-VIP / per-backend
// arrays are separate allocations, so workers never share a cache line.
#pragma once

#include <cstdint>
#include <memory>

#include "packet/drop_reason.h"
#include "packet/punt_reason.h"
#include "stats/counter.h"

namespace edgelb {

struct VipCounters {
  Counter packets, bytes, new_flows;
};

struct BackendCounters {
  Counter packets, bytes;
  Counter active_flows;  // live conntrack entries at the end of the last sweep pass (a gauge)
};

struct alignas(64) WorkerStats {
  WorkerStats(uint32_t max_services, uint32_t max_backends)
      : max_services(max_services),
        max_backends(max_backends),
        vip(new VipCounters[max_services]),
        backend(new BackendCounters[max_backends]) {}

  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
  Counter forwarded;   // packets the pipeline sent toward a backend
  Counter rebalanced;  // tracked flows moved because their backend went down or away
  Counter icmp_too_big_steered;
  Counter icmp_too_big_sent;  // errors sent to clients for packets over the MTU (also counted as drops)
  Counter drops[kDropReasonCount];
  Counter punted[kPuntReasonCount];  // pipeline verdicts, before the rate limit
  // Exception path: frames handed to the kernel port / frames the kernel sent to the wire.
  Counter to_kernel_packets, to_kernel_bytes, from_kernel_packets, from_kernel_bytes;
  // Full NAT: replies translated back to clients; replies passed to / taken from other workers.
  Counter nat_replies, handoffs_out, handoffs_in;
  // Busy accounting (TSC cycles): loops that received packets vs all loops.
  Counter loops, busy_loops, busy_cycles, total_cycles, processed_packets;
  Counter max_loop_cycles;  // the longest loop iteration so far (a worker stall shows here)

  const uint32_t max_services;
  const uint32_t max_backends;
  std::unique_ptr<VipCounters[]> vip;          // indexed by service slot
  std::unique_ptr<BackendCounters[]> backend;  // indexed by backend slot

  void drop(DropReason r) { drops[static_cast<size_t>(r)].add(); }
};

}  // namespace edgelb
