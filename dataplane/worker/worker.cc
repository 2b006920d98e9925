#include "worker/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#define EDGELB_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace edgelb {

namespace {
// TX buffer overflow: the ring was full even after the PMD tried; count and free.
void tx_unsent(rte_mbuf** pkts, uint16_t unsent, void* userdata) {
  auto* stats = static_cast<WorkerStats*>(userdata);
  for (uint16_t i = 0; i < unsent; ++i) stats->drop(DropReason::kTxFull);
  rte_pktmbuf_free_bulk(pkts, unsent);
}
void kernel_tx_unsent(rte_mbuf** pkts, uint16_t unsent, void* userdata) {
  auto* stats = static_cast<WorkerStats*>(userdata);
  for (uint16_t i = 0; i < unsent; ++i) stats->drop(DropReason::kKernelTxFull);
  rte_pktmbuf_free_bulk(pkts, unsent);
}
rte_eth_dev_tx_buffer* make_tx_buffer(int socket, uint16_t burst, buffer_tx_error_fn on_full, void* userdata) {
  auto* b = static_cast<rte_eth_dev_tx_buffer*>(
      rte_zmalloc_socket("tx_buffer", RTE_ETH_TX_BUFFER_SIZE(Pipeline::kMaxBurst), 64, socket));
  if (!b) throw std::runtime_error("worker: cannot allocate a TX buffer");
  rte_eth_tx_buffer_init(b, burst);
  rte_eth_tx_buffer_set_err_callback(b, on_full, userdata);
  return b;
}
}  // namespace

Worker::Worker(uint32_t lcore, std::vector<WorkerQueue> queues, const FlowTableConfig& conntrack,
               const ForwardingGlobals& limits, const SnapshotPublisher& publisher)
    : lcore_(lcore), queues_(std::move(queues)), publisher_(publisher) {
  const size_t bytes = FlowTable::memory_size(conntrack.capacity);
  const int socket = int(rte_lcore_to_socket_id(lcore)) < 0 ? SOCKET_ID_ANY : int(rte_lcore_to_socket_id(lcore));
  flow_mem_ = rte_zmalloc_socket("flow_table", bytes, 64, socket);
  flow_mem_dpdk_ = flow_mem_ != nullptr;
  if (!flow_mem_) {  // EAL memory too small for the table: use the heap (THP where available)
    flow_mem_ = std::aligned_alloc(2 << 20, (bytes + (2 << 20) - 1) & ~size_t((2 << 20) - 1));
    if (!flow_mem_) throw std::runtime_error("flow table: cannot allocate " + std::to_string(bytes) + " bytes");
    madvise(flow_mem_, bytes, MADV_HUGEPAGE);
    std::memset(flow_mem_, 0, bytes);
  }
  flows_ = std::make_unique<FlowTable>(conntrack, flow_mem_);
  stats_ = std::make_unique<WorkerStats>(limits.max_services, limits.max_backends);
  pipeline_ = std::make_unique<Pipeline>(*flows_, *stats_);
  for (auto& q : queues_) {
    q.tx_buffer = make_tx_buffer(socket, q.burst_size, tx_unsent, stats_.get());
    if (q.has_kernel) {
      q.kernel_tx_buffer = make_tx_buffer(socket, q.burst_size, kernel_tx_unsent, stats_.get());
      q.punt_bucket = TokenBucket(q.punt_rate_pps, q.punt_burst, rte_get_tsc_hz(), rte_rdtsc());
    }
  }
}

Worker::~Worker() {
  for (auto& q : queues_) {
    rte_free(q.tx_buffer);
    rte_free(q.kernel_tx_buffer);
  }
  flows_.reset();
  if (flow_mem_dpdk_) rte_free(flow_mem_);
  else std::free(flow_mem_);
}

int Worker::run() {
  SnapshotPublisher::reader_register();
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t tsc_per_ms = hz / 1000 ? hz / 1000 : 1;
  const uint64_t tsc0 = rte_rdtsc();
  rte_mbuf* mbufs[Pipeline::kMaxBurst];
  rte_mbuf* to_free[Pipeline::kMaxBurst];
  PacketView views[Pipeline::kMaxBurst];
  DropReason verdicts[Pipeline::kMaxBurst];
  WorkerStats& st = *stats_;

  while (!stop_.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const uint32_t now_ms = uint32_t((t0 - tsc0) / tsc_per_ms);
    const ServiceSnapshot* snap = publisher_.reader_current();
    uint32_t received = 0;
    uint64_t sent = 0;

    for (auto& q : queues_) {
      if (q.enabled && !q.enabled->load(std::memory_order_acquire)) continue;
      if (q.has_kernel) {  // what the kernel sends goes out unchanged on the port
        const uint16_t nk = rte_eth_rx_burst(q.kernel_port_id, q.kernel_queue_id, mbufs, q.burst_size);
        if (EDGELB_UNLIKELY(nk != 0)) {
          received += nk;
          uint64_t kb = 0;
          for (uint16_t i = 0; i < nk; ++i) {
            kb += mbufs[i]->pkt_len;
            sent += rte_eth_tx_buffer(q.port_id, q.queue_id, q.tx_buffer, mbufs[i]);
          }
          st.tx_bytes.add(kb);
          st.from_kernel_packets.add(nk);
          st.from_kernel_bytes.add(kb);
        }
      }
      const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue_id, mbufs, q.burst_size);
      if (n == 0) continue;
      received += n;
      uint64_t bytes = 0;
      uint16_t nfree = 0;
      uint16_t k = 0;
      for (uint16_t i = 0; i < n; ++i) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i], void*));
      for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = mbufs[i];
        bytes += m->pkt_len;
        if (EDGELB_UNLIKELY(m->nb_segs != 1)) {  // chained (jumbo) frames are not balanced yet
          st.drop(DropReason::kMultiSegment);
          to_free[nfree++] = m;
          continue;
        }
        mbufs[k] = m;
        views[k++] = PacketView{rte_pktmbuf_mtod(m, uint8_t*), m->data_len, rte_pktmbuf_headroom(m)};
      }
      st.rx_packets.add(n);
      st.rx_bytes.add(bytes);
      pipeline_->process_burst(views, k, verdicts, snap, q.port_mac, now_ms);
      for (uint16_t i = 0; i < k; ++i) {
        rte_mbuf* m = mbufs[i];
        if (verdicts[i] == DropReason::kNone) {
          const uint8_t* before = rte_pktmbuf_mtod(m, uint8_t*);
          m->data_off = uint16_t(m->data_off - (before - views[i].data));
          m->data_len = uint16_t(views[i].len);
          m->pkt_len = views[i].len;
          st.tx_bytes.add(views[i].len);
          sent += rte_eth_tx_buffer(q.port_id, q.queue_id, q.tx_buffer, m);
        } else if (EDGELB_UNLIKELY(verdicts[i] == DropReason::kPunt)) {
          if (!q.has_kernel) {
            st.drop(DropReason::kNoExceptionPath);
            to_free[nfree++] = m;
          } else if (!q.punt_bucket.take(t0)) {
            st.drop(DropReason::kPuntRateLimited);
            to_free[nfree++] = m;
          } else {
            st.to_kernel_packets.add();
            st.to_kernel_bytes.add(m->pkt_len);
            rte_eth_tx_buffer(q.kernel_port_id, q.kernel_queue_id, q.kernel_tx_buffer, m);
          }
        } else {
          to_free[nfree++] = m;
        }
      }
      if (nfree) rte_pktmbuf_free_bulk(to_free, nfree);
    }
    for (auto& q : queues_) {
      sent += rte_eth_tx_buffer_flush(q.port_id, q.queue_id, q.tx_buffer);
      if (q.has_kernel) rte_eth_tx_buffer_flush(q.kernel_port_id, q.kernel_queue_id, q.kernel_tx_buffer);
    }
    if (sent) st.tx_packets.add(sent);
    flows_->sweep(now_ms, received ? 2 : 64);

    const uint64_t spent = rte_rdtsc() - t0;
    st.loops.add();
    st.total_cycles.add(spent);
    if (received) {
      st.busy_loops.add();
      st.busy_cycles.add(spent);
      st.processed_packets.add(received);
    }
    SnapshotPublisher::reader_quiescent();
  }
  SnapshotPublisher::reader_unregister();
  return 0;
}

}  // namespace edgelb
