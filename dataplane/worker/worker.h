// One poll-mode worker per lcore: the canonical run-to-completion loop.
//
//   loop: snapshot = rcu current            (one table version per loop iteration)
//         for each (port, queue) it owns:
//           rx_burst -> prefetch -> Pipeline::process_burst -> buffered TX / bulk free
//             punt verdicts -> token bucket -> the port's kernel queue (exception path)
//           rx_burst on the kernel queue -> buffered TX on the port (what the kernel sends)
//         flush TX buffers; sweep a few conntrack buckets; account cycles;
//         report a quiescent state
//
// The worker owns its FlowTable, WorkerStats and TX buffers; nothing is shared with other
// workers. It registers as a liburcu QSBR reader for its lifetime.
// Thread-safety: run() executes on its lcore; stop() and stats reads may come from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "conntrack/flow_query.h"
#include "conntrack/flow_table.h"
#include "conntrack/nat_table.h"
#include "packet/ip_address.h"
#include "pipeline/pipeline.h"
#include "service/snapshot_publisher.h"
#include "stats/worker_stats.h"
#include "worker/flow_mailbox.h"
#include "worker/token_bucket.h"

struct rte_eth_dev_tx_buffer;
struct rte_mbuf;
struct rte_ring;

namespace edgelb {

struct WorkerQueue {
  uint16_t port_id = 0;
  uint16_t queue_id = 0;
  MacAddress port_mac;  // source MAC of frames sent
  uint16_t burst_size = 32;
  rte_eth_dev_tx_buffer* tx_buffer = nullptr;  // owned by the Worker
  // Optional gate (owned by the caller): the queue is polled only while it reads true.
  // File-mode phases use it to feed one input at a time.
  const std::atomic<bool>* enabled = nullptr;
  // Exception path: this worker's queue on the port's kernel-facing port (net_tap), or none.
  bool has_kernel = false;
  uint16_t kernel_port_id = 0;
  uint16_t kernel_queue_id = 0;
  uint64_t punt_rate_pps = 0;  // this worker's share; 0: unlimited
  uint64_t punt_burst = 0;
  rte_eth_dev_tx_buffer* kernel_tx_buffer = nullptr;  // owned by the Worker
  TokenBucket punt_bucket;                            // set up by the Worker from the two above
};

class Worker {
 public:
  // index/count: this worker's place among all workers (its NAT port partition and its
  // hand-off ring).
  Worker(uint32_t lcore, std::vector<WorkerQueue> queues, const FlowTableConfig& conntrack,
         const ForwardingGlobals& limits, const SnapshotPublisher& publisher, uint16_t index = 0, uint16_t count = 1);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The lcore entry point (rte_eal_remote_launch); returns when stop() was called.
  int run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }

  uint32_t lcore() const { return lcore_; }
  const WorkerStats& stats() const { return *stats_; }
  const FlowTable& flows() const { return *flows_; }
  const NatTable* nat() const { return nat_.get(); }
  // NAT hand-off: one multi-producer/single-consumer ring per worker, indexed by worker index
  // (not owned; set before run()). A NAT reply received here for another worker's port goes
  // into that worker's ring; this worker drains rings[index].
  void set_handoff_rings(std::vector<rte_ring*> rings) { handoff_rings_ = std::move(rings); }
  bool flow_memory_on_hugepages() const { return flow_mem_dpdk_; }

  // Control side: the flows this worker tracks that match `q` (at most q.limit), scanned by
  // the worker itself between bursts. Returns false when the worker did not finish within
  // `timeout_ms` (not running, or stalled). Callers are serialised.
  bool list_flows(const FlowQuery& q, uint32_t timeout_ms, FlowListing* out);

 private:
  uint64_t dispatch(WorkerQueue& q, rte_mbuf* m, const PacketView& view, Verdict v, uint16_t handoff_target,
                    uint64_t tsc, rte_mbuf** to_free, uint16_t& nfree);
  uint64_t dispatch_released(uint64_t tsc);
  uint64_t handle_burst(WorkerQueue& q, rte_mbuf** mbufs, uint16_t n, const ServiceSnapshot* snap, uint32_t now_ms,
                        uint64_t tsc);
  uint64_t drain_handoffs(rte_mbuf** mbufs, const ServiceSnapshot* snap, uint32_t now_ms, uint64_t tsc,
                          uint32_t* received);
  void serve_flow_query(const ServiceSnapshot* snap, uint32_t now_ms);
  void count_active_flows(size_t slots);
  FlowMailbox flow_mailbox_;  // list_flows (worker/flow_mailbox.h)
  // Active flows per backend slot, tallied over one conntrack sweep pass.
  std::vector<uint32_t> active_tally_;
  uint64_t tallied_passes_ = 0;

  uint32_t lcore_;
  std::vector<WorkerQueue> queues_;
  const SnapshotPublisher& publisher_;
  void* flow_mem_ = nullptr;  // EAL memory of the flow table (null: the table owns heap memory)
  bool flow_mem_dpdk_ = false;
  std::unique_ptr<FlowTable> flows_;
  std::unique_ptr<NatTable> nat_;  // only with a NAT pool
  std::vector<rte_ring*> handoff_rings_;
  uint16_t handoff_index_ = 0;
  std::unique_ptr<WorkerStats> stats_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> stop_{false};
};

}  // namespace edgelb
