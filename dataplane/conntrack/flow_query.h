// Listing a worker's tracked flows from the control side without sharing its table: the
// control thread posts a FlowQuery to the worker's mailbox; the worker scans its own table a
// chunk of buckets per loop iteration, resolves backends against the snapshot it holds, and
// hands back at most `limit` matching records (see Worker::list_flows).
#pragma once

#include <cstdint>
#include <vector>

#include "conntrack/flow_table.h"
#include "packet/ip_address.h"

namespace edgelb {

struct FlowQuery {
  // Filters; an address of family kNone, port 0 or protocol 0 matches anything.
  IpAddress vip;
  uint16_t port = 0;
  uint8_t protocol = 0;
  IpAddress client;
  IpAddress backend;
  uint32_t limit = 100;

  bool matches_key(const FlowKey& k) const {
    auto same = [&](const IpAddress& a, const uint8_t* b) {
      return a.family == IpFamily::kNone || (uint8_t(a.family) == k.family && std::memcmp(a.bytes.data(), b, 16) == 0);
    };
    return same(vip, k.dst) && same(client, k.src) && (port == 0 || port == k.dst_port) &&
           (protocol == 0 || protocol == k.proto);
  }
};

struct FlowRecord {
  uint32_t lcore = 0;
  FlowKey key{};  // client -> VIP
  FlowState state = FlowState::kUdp;
  bool backend_known = false;  // false: its backend left the table
  IpAddress backend;
  uint16_t backend_port = 0;
  uint32_t age_ms = 0;
  uint32_t expires_in_ms = 0;
  bool nat = false;  // NAT flow: the source the backend sees
  IpAddress nat_address;
  uint16_t nat_port = 0;
};

struct FlowListing {
  std::vector<FlowRecord> flows;
  bool truncated = false;  // more matched than the limit
};

}  // namespace edgelb
