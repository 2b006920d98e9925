// Per-worker full-NAT sessions: which (pool address, source port) a NAT flow was given, and
// the way back for replies.
//
// The NAT port range [port_min, port_max] is split into equal, disjoint partitions, one per
// worker; a worker allocates only from its own, so the destination port of a reply names the
// worker that owns its session (owner_of) and replies that arrive on another worker are handed
// to it (worker hand-off rings). A session lives at index pool_index * ports + (port - base):
// a reply finds it with one array access, no hashing.
//
// Allocation walks a clock hand over the worker's ports of the chosen pool address and takes
// the first free or expired session (at most kMaxProbe probes); none: the caller drops the
// packet as nat_ports_exhausted. Sessions expire like conntrack entries (TCP state from the
// flags seen in both directions); sweep() frees them a few at a time and keeps `active` exact.
//
// Thread-safety: owned by one worker; counters may be read by any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "conntrack/flow_table.h"
#include "packet/ip_address.h"
#include "stats/counter.h"

namespace edgelb {

struct NatConfig {
  std::vector<IpAddress> pool;
  uint16_t port_min = 1024;
  uint16_t port_max = 65535;
  uint16_t worker = 0;   // this worker's index
  uint16_t workers = 1;  // how many share the range
};

struct NatSession {
  FlowKey client;  // the client -> VIP key
  FlowState state;
  uint8_t in_use;
  uint16_t backend_port;
  uint8_t client_mac[6];  // replies go back to the MAC the client's packets came from
  uint8_t backend[16];
  uint32_t backend_ref;
  uint32_t deadline;  // now_ms-relative expiry (wrapping)
  uint32_t created_ms;
};

struct NatCounters {
  Counter active, allocations, exhausted;
};

class NatTable {
 public:
  static constexpr uint32_t kMaxProbe = 256;
  static constexpr int64_t kNone = -1;

  NatTable(const NatConfig& cfg, const FlowTableConfig& timeouts);

  uint16_t worker() const { return cfg_.worker; }
  uint32_t ports_per_worker() const { return ports_; }
  uint16_t first_port() const { return base_; }  // this worker's partition starts here
  // The worker owning `port`, or -1 outside the NAT range (the port is the kernel's).
  int owner_of(uint16_t port) const {
    if (port < cfg_.port_min || ports_ == 0) return -1;
    const uint32_t w = uint32_t(port - cfg_.port_min) / ports_;
    return w < cfg_.workers ? int(w) : -1;
  }
  // Index of a pool address, or -1.
  int pool_index(const uint8_t* addr, uint8_t family) const;
  const IpAddress& pool_address(uint32_t session) const { return cfg_.pool[session / ports_]; }
  uint16_t port_of(uint32_t session) const { return uint16_t(base_ + session % ports_); }

  // A new session for `client` toward the backend; kNone when the chosen address's ports are
  // all busy. The pool address is picked by flow hash among those of the client's family.
  int64_t allocate(const FlowKey& client, uint64_t hash, uint32_t backend_ref, const IpAddress& backend,
                   uint16_t backend_port, const uint8_t* client_mac, uint32_t now_ms);
  // The live session for a reply to (pool address index, port) on this worker, or kNone.
  int64_t find_reply(int pool_idx, uint16_t port, uint32_t now_ms) const;
  // Whether `session` is live and still belongs to `client` (flows keep a session index).
  bool owned_by(uint32_t session, const FlowKey& client, uint32_t now_ms) const;
  NatSession& session(uint32_t s) { return sessions_[s]; }
  const NatSession& session(uint32_t s) const { return sessions_[s]; }
  // TCP state from a packet in either direction; extends the deadline.
  void refresh(uint32_t s, uint8_t tcp_flags, uint32_t now_ms);
  void release(uint32_t s);
  // Frees expired sessions among the next `n`.
  void sweep(uint32_t now_ms, uint32_t n);

  const NatCounters& counters() const { return counters_; }

 private:
  static bool expired(uint32_t deadline, uint32_t now) { return int32_t(deadline - now) <= 0; }
  uint32_t timeout_for(FlowState s) const;

  NatConfig cfg_;
  FlowTableConfig timeouts_;
  uint32_t ports_ = 0;  // per worker
  uint16_t base_ = 0;
  std::vector<NatSession> sessions_;
  std::vector<uint32_t> hand_;                    // per pool address: next port offset to try
  std::vector<std::vector<uint32_t>> by_family_;  // [0] IPv4 pool indexes, [1] IPv6
  uint32_t sweep_cursor_ = 0;
  NatCounters counters_;
};

}  // namespace edgelb
