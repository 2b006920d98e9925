#include "conntrack/nat_table.h"

#include <cstring>
#include <stdexcept>

#include "packet/packet_view.h"

namespace edgelb {

NatTable::NatTable(const NatConfig& cfg, const FlowTableConfig& timeouts) : cfg_(cfg), timeouts_(timeouts) {
  if (cfg_.workers == 0 || cfg_.worker >= cfg_.workers) throw std::invalid_argument("nat: bad worker index");
  if (cfg_.port_min > cfg_.port_max) throw std::invalid_argument("nat: port_min > port_max");
  ports_ = (uint32_t(cfg_.port_max) - cfg_.port_min + 1) / cfg_.workers;
  if (ports_ == 0) throw std::invalid_argument("nat: fewer ports than workers");
  base_ = uint16_t(cfg_.port_min + cfg_.worker * ports_);
  sessions_.assign(size_t(ports_) * cfg_.pool.size(), NatSession{});
  hand_.assign(cfg_.pool.size(), 0);
  by_family_.resize(2);
  for (uint32_t i = 0; i < cfg_.pool.size(); ++i) by_family_[cfg_.pool[i].is_v4() ? 0 : 1].push_back(i);
}

int NatTable::pool_index(const uint8_t* addr, uint8_t family) const {
  for (size_t i = 0; i < cfg_.pool.size(); ++i)
    if (uint8_t(cfg_.pool[i].family) == family && std::memcmp(cfg_.pool[i].bytes.data(), addr, 16) == 0) return int(i);
  return -1;
}

uint32_t NatTable::timeout_for(FlowState s) const { return flow_timeout_ms(timeouts_, s); }

int64_t NatTable::allocate(const FlowKey& client, uint64_t hash, uint32_t backend_ref, const IpAddress& backend,
                           uint16_t backend_port, const uint8_t* client_mac, uint32_t now_ms) {
  const auto& candidates = by_family_[client.family == 4 ? 0 : 1];
  if (candidates.empty()) return kNone;
  const uint32_t p = candidates[(hash >> 20) % candidates.size()];
  const uint32_t probes = ports_ < kMaxProbe ? ports_ : kMaxProbe;
  for (uint32_t i = 0; i < probes; ++i) {
    const uint32_t off = hand_[p];
    hand_[p] = off + 1 == ports_ ? 0 : off + 1;
    const uint32_t idx = p * ports_ + off;
    NatSession& s = sessions_[idx];
    if (s.in_use && !expired(s.deadline, now_ms)) continue;
    if (!s.in_use) counters_.active.add();
    s.client = client;
    s.in_use = 1;
    s.state = client.proto == wire::kProtoTcp ? FlowState::kSynSent : FlowState::kUdp;
    s.backend_port = backend_port;
    std::memcpy(s.client_mac, client_mac, 6);
    std::memcpy(s.backend, backend.bytes.data(), 16);
    s.backend_ref = backend_ref;
    s.created_ms = now_ms;
    s.deadline = now_ms + timeout_for(s.state);
    counters_.allocations.add();
    return idx;
  }
  counters_.exhausted.add();
  return kNone;
}

int64_t NatTable::find_reply(int pool_idx, uint16_t port, uint32_t now_ms) const {
  if (pool_idx < 0 || port < base_ || uint32_t(port - base_) >= ports_) return kNone;
  const uint32_t idx = uint32_t(pool_idx) * ports_ + (port - base_);
  const NatSession& s = sessions_[idx];
  return s.in_use && !expired(s.deadline, now_ms) ? int64_t(idx) : kNone;
}

bool NatTable::owned_by(uint32_t session, const FlowKey& client, uint32_t now_ms) const {
  if (session >= sessions_.size()) return false;
  const NatSession& s = sessions_[session];
  return s.in_use && !expired(s.deadline, now_ms) && s.client == client;
}

void NatTable::refresh(uint32_t idx, uint8_t tcp_flags, uint32_t now_ms) {
  NatSession& s = sessions_[idx];
  if (s.state != FlowState::kUdp) {
    if (tcp_flags & (wire::kTcpFin | wire::kTcpRst))
      s.state = FlowState::kClosing;
    else if (!(tcp_flags & wire::kTcpSyn) && s.state == FlowState::kSynSent)
      s.state = FlowState::kEstablished;
    else if ((tcp_flags & (wire::kTcpSyn | wire::kTcpAck)) == wire::kTcpSyn && s.state == FlowState::kClosing)
      s.state = FlowState::kSynSent;
  }
  s.deadline = now_ms + timeout_for(s.state);
}

void NatTable::release(uint32_t idx) {
  if (sessions_[idx].in_use) {
    sessions_[idx].in_use = 0;
    counters_.active.sub();
  }
}

void NatTable::sweep(uint32_t now_ms, uint32_t n) {
  if (sessions_.empty()) return;
  for (uint32_t i = 0; i < n; ++i) {
    NatSession& s = sessions_[sweep_cursor_];
    if (s.in_use && expired(s.deadline, now_ms)) release(sweep_cursor_);
    if (++sweep_cursor_ == sessions_.size()) sweep_cursor_ = 0;
  }
}

}  // namespace edgelb
