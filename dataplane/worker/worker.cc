#include "worker/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <thread>

#include "packet/likely.h"

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
               const ForwardingGlobals& limits, const SnapshotPublisher& publisher, uint16_t index, uint16_t count)
    : lcore_(lcore), queues_(std::move(queues)), publisher_(publisher), handoff_index_(index) {
  const size_t bytes = FlowTable::memory_size(conntrack);
  const int socket = int(rte_lcore_to_socket_id(lcore)) < 0 ? SOCKET_ID_ANY : int(rte_lcore_to_socket_id(lcore));
  flow_mem_ = rte_zmalloc_socket("flow_table", bytes, 64, socket);
  flow_mem_dpdk_ = flow_mem_ != nullptr;
  // EAL memory too small for the table: the table's own heap allocation (THP where available).
  flows_ = flow_mem_ ? std::make_unique<FlowTable>(conntrack, flow_mem_) : std::make_unique<FlowTable>(conntrack);
  stats_ = std::make_unique<WorkerStats>(limits.max_services, limits.max_backends);
  active_tally_.assign(limits.max_backends, 0);
  if (!limits.nat_pool.empty())
    nat_ = std::make_unique<NatTable>(
        NatConfig{limits.nat_pool, limits.nat_port_min, limits.nat_port_max, index, count}, conntrack);
  pipeline_ = std::make_unique<Pipeline>(*flows_, *stats_, nat_.get(), Pipeline::kMaxHeld);
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
  rte_free(flow_mem_);  // null when the table allocated its own
}

void Worker::count_active_flows(size_t slots) {
  tallied_passes_ = flows_->sweep_passes();
  // Slots are never taken away from later tables, so the current table's count bounds them.
  for (size_t i = 0; i < slots && i < active_tally_.size(); ++i) {
    if (active_tally_[i] || stats_->backend[i].active_flows.get())
      stats_->backend[i].active_flows.set(active_tally_[i]);
    active_tally_[i] = 0;
  }
}

void Worker::serve_flow_query(const ServiceSnapshot* snap, uint32_t now_ms) {
  flow_mailbox_.serve(*flows_, now_ms, [&](const FlowEntry& e, uint32_t expires_in, FlowRecord* r) {
    r->lcore = lcore_;
    r->key = e.key;
    r->state = e.state;
    if ((e.flags & FlowEntry::kNat) && nat_ && nat_->owned_by(e.nat_session, e.key, now_ms)) {
      r->nat = true;
      r->nat_address = nat_->pool_address(e.nat_session);
      r->nat_port = nat_->port_of(e.nat_session);
      r->age_ms = now_ms - nat_->session(e.nat_session).created_ms;
    } else {
      r->age_ms = (e.flags & FlowEntry::kNat) ? 0 : now_ms - e.created_ms;
    }
    r->expires_in_ms = expires_in;
    if (snap) {
      const BackendEntry& be = snap->backend(e.backend_ref);
      if (be.ref == e.backend_ref) {
        r->backend_known = true;
        r->backend = be.address;
        r->backend_port = be.port;
      }
    }
    return true;
  });
}

bool Worker::list_flows(const FlowQuery& q, uint32_t timeout_ms, FlowListing* out) {
  return flow_mailbox_.request(q, timeout_ms, out);
}

// Sends one frame where its verdict says: forwarded frames on q's TX queue, punts to the
// kernel port (rate-limited), NAT replies owned by another worker into that worker's hand-off
// ring; frames to free go to `to_free`. kHeld frames stay with the pipeline. Returns frames sent.
uint64_t Worker::dispatch(WorkerQueue& q, rte_mbuf* m, const PacketView& view, Verdict v, uint16_t handoff_target,
                          uint64_t tsc, rte_mbuf** to_free, uint16_t& nfree) {
  WorkerStats& st = *stats_;
  if (EDGELB_LIKELY(v == Verdict::kForward)) {
    const uint8_t* before = rte_pktmbuf_mtod(m, uint8_t*);
    m->data_off = uint16_t(m->data_off - (before - view.data));
    m->data_len = uint16_t(view.len);
    m->pkt_len = view.len;
    st.tx_bytes.add(view.len);
    return rte_eth_tx_buffer(q.port_id, q.queue_id, q.tx_buffer, m);
  }
  if (v == Verdict::kPunt) {
    if (!q.has_kernel) {
      st.drop(DropReason::kNoExceptionPath);
      to_free[nfree++] = m;
    } else if (!q.punt_bucket.take(tsc)) {
      st.drop(DropReason::kPuntRateLimited);
      to_free[nfree++] = m;
    } else {
      st.to_kernel_packets.add();
      st.to_kernel_bytes.add(m->pkt_len);
      rte_eth_tx_buffer(q.kernel_port_id, q.kernel_queue_id, q.kernel_tx_buffer, m);
    }
  } else if (v == Verdict::kHandoff) {  // m->port (set in handle_burst) tells the owner the port
    if (handoff_target < handoff_rings_.size() && rte_ring_mp_enqueue(handoff_rings_[handoff_target], m) == 0) {
      st.handoffs_out.add();
    } else {
      st.drop(DropReason::kHandoffFull);
      to_free[nfree++] = m;
    }
  } else if (v == Verdict::kDrop) {  // counted by the pipeline
    to_free[nfree++] = m;
  }
  return 0;
}

// Held fragments the pipeline let go in its last call: each leaves by the queue of the port it
// arrived on.
uint64_t Worker::dispatch_released(uint64_t tsc) {
  const PacketView* views;
  const Verdict* verdicts;
  const uint16_t n = pipeline_->released(&views, &verdicts);
  if (EDGELB_LIKELY(n == 0)) return 0;
  rte_mbuf* to_free[Pipeline::kMaxHeld];
  uint16_t nfree = 0;
  uint64_t sent = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = static_cast<rte_mbuf*>(views[i].owner);
    WorkerQueue* q = nullptr;
    for (auto& c : queues_)
      if (c.port_id == m->port) q = &c;
    if (!q) {  // cannot happen: held frames come from this worker's queues
      to_free[nfree++] = m;
      continue;
    }
    sent += dispatch(*q, m, views[i], verdicts[i], pipeline_->released_handoff_target(i), tsc, to_free, nfree);
  }
  if (nfree) rte_pktmbuf_free_bulk(to_free, nfree);
  return sent;
}

// Runs one burst received on (or handed over for) queue q through the pipeline and sends the
// results (dispatch). Returns frames sent.
uint64_t Worker::handle_burst(WorkerQueue& q, rte_mbuf** mbufs, uint16_t n, const ServiceSnapshot* snap,
                              uint32_t now_ms, uint64_t tsc) {
  WorkerStats& st = *stats_;
  rte_mbuf* to_free[Pipeline::kMaxBurst];
  PacketView views[Pipeline::kMaxBurst];
  Verdict verdicts[Pipeline::kMaxBurst];
  uint64_t sent = 0;
  uint16_t nfree = 0;
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    if (EDGELB_UNLIKELY(m->nb_segs != 1)) {  // larger than forwarding.mtu sized the mbufs for
      st.drop(DropReason::kMultiSegment);
      to_free[nfree++] = m;
      continue;
    }
    m->port = q.port_id;  // released fragments and NAT hand-offs leave by this port
    mbufs[k] = m;
    views[k] = PacketView{rte_pktmbuf_mtod(m, uint8_t*), m->data_len, rte_pktmbuf_headroom(m), m};
    const uint64_t ip_cksum = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;  // NONE/UNKNOWN: check in software
    if (ip_cksum == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
      views[k].rx_ip_checksum = PacketView::IpChecksum::kGood;
    else if (ip_cksum == RTE_MBUF_F_RX_IP_CKSUM_BAD)
      views[k].rx_ip_checksum = PacketView::IpChecksum::kBad;
    ++k;
  }
  pipeline_->process_burst(views, k, verdicts, snap, q.port_mac, now_ms);
  for (uint16_t i = 0; i < k; ++i)
    sent += dispatch(q, mbufs[i], views[i], verdicts[i], pipeline_->handoff_target(i), tsc, to_free, nfree);
  if (nfree) rte_pktmbuf_free_bulk(to_free, nfree);
  return sent + dispatch_released(tsc);
}

// NAT replies other workers received for flows this worker owns.
uint64_t Worker::drain_handoffs(rte_mbuf** mbufs, const ServiceSnapshot* snap, uint32_t now_ms, uint64_t tsc,
                                uint32_t* received) {
  if (handoff_index_ >= handoff_rings_.size()) return 0;
  const unsigned n = rte_ring_sc_dequeue_burst(handoff_rings_[handoff_index_], reinterpret_cast<void**>(mbufs),
                                               Pipeline::kMaxBurst, nullptr);
  if (n == 0) return 0;
  stats_->handoffs_in.add(n);
  *received += n;
  uint64_t sent = 0;
  for (auto& q : queues_) {  // group by the port they arrived on
    rte_mbuf* group[Pipeline::kMaxBurst];
    uint16_t g = 0;
    for (unsigned i = 0; i < n; ++i)
      if (mbufs[i] && mbufs[i]->port == q.port_id) {
        group[g++] = mbufs[i];
        mbufs[i] = nullptr;
      }
    if (g) sent += handle_burst(q, group, g, snap, now_ms, tsc);
  }
  for (unsigned i = 0; i < n; ++i)
    if (mbufs[i]) {  // from a port this worker does not serve (cannot happen with symmetric setups)
      stats_->drop(DropReason::kHandoffFull);
      rte_pktmbuf_free(mbufs[i]);
    }
  return sent;
}

int Worker::run() {
  SnapshotPublisher::reader_register();
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t tsc_per_ms = hz / 1000 ? hz / 1000 : 1;
  const uint64_t tsc0 = rte_rdtsc();
  rte_mbuf* mbufs[Pipeline::kMaxBurst];
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
      for (uint16_t i = 0; i < n; ++i) bytes += mbufs[i]->pkt_len;
      st.rx_packets.add(n);
      st.rx_bytes.add(bytes);
      sent += handle_burst(q, mbufs, n, snap, now_ms, t0);
    }
    if (EDGELB_UNLIKELY(!handoff_rings_.empty())) sent += drain_handoffs(mbufs, snap, now_ms, t0, &received);
    if (EDGELB_UNLIKELY(pipeline_->held()) && !received) {  // fragments waiting for their first
      pipeline_->expire_held(now_ms);
      sent += dispatch_released(t0);
    }
    for (auto& q : queues_) {
      sent += rte_eth_tx_buffer_flush(q.port_id, q.queue_id, q.tx_buffer);
      if (q.has_kernel) rte_eth_tx_buffer_flush(q.kernel_port_id, q.kernel_queue_id, q.kernel_tx_buffer);
    }
    if (sent) st.tx_packets.add(sent);
    flows_->sweep(now_ms, received ? 2 : 64, [this](const FlowMeta& e) {
      const uint32_t slot = backend_slot(e.backend_ref);
      if (slot < active_tally_.size()) ++active_tally_[slot];
    });
    if (nat_) nat_->sweep(now_ms, received ? 4 : 128);
    if (EDGELB_UNLIKELY(flows_->sweep_passes() != tallied_passes_))
      count_active_flows(snap ? snap->backends.size() : 0);
    if (EDGELB_UNLIKELY(flow_mailbox_.posted())) serve_flow_query(snap, now_ms);

    const uint64_t spent = rte_rdtsc() - t0;
    st.loops.add();
    st.total_cycles.add(spent);
    if (EDGELB_UNLIKELY(spent > st.max_loop_cycles.get())) st.max_loop_cycles.set(spent);
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
