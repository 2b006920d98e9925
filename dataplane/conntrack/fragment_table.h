// Shallow virtual reassembly (VPP's ip4-sv-reass): the ports of a fragmented datagram, learnt
// from its first fragment, so that its later fragments -- which carry no L4 header -- are
// balanced with the same 5-tuple, and so reach the same backend (and the same NAT session).
// Nothing is reassembled or copied; every fragment is forwarded as it came.
//
// Keyed by (source, destination, protocol, IP identification). A fixed number of entries in
// 4-way sets; an entry lives kLifetimeMs after its first fragment was seen (RFC 791's
// reassembly timer is 15 s, Linux's 30 s; a datagram's fragments arrive within microseconds of
// each other, so seconds are plenty); a full set replaces the entry closest to expiry.
// Thread-safety: one table per worker, no locking.
#pragma once

#include <cstdint>
#include <vector>

#include "packet/flow_key.h"
#include "packet/parser.h"

namespace edgelb {

class FragmentTable {
 public:
  static constexpr uint32_t kLifetimeMs = 2000;
  static constexpr uint32_t kWays = 4;

  // `capacity` is rounded up to a power of two (at least kWays).
  explicit FragmentTable(uint32_t capacity = 4096);

  // The datagram a fragment belongs to, as a key (the IP identification in the port fields).
  static FlowKey datagram_of(const ParsedPacket& pp);

  // Remembers the ports of a datagram from its first fragment.
  void learn(const FlowKey& datagram, uint16_t src_port, uint16_t dst_port, uint32_t now_ms);
  // The ports learnt for a datagram, if its entry is still alive.
  bool find(const FlowKey& datagram, uint32_t now_ms, uint16_t* src_port, uint16_t* dst_port) const;

 private:
  struct Entry {
    FlowKey key;
    uint16_t src_port, dst_port;
    uint32_t expires_ms;
    bool used;
  };
  static bool alive(const Entry& e, uint32_t now_ms) { return e.used && int32_t(e.expires_ms - now_ms) > 0; }

  std::vector<Entry> entries_;
  uint32_t set_mask_;
};

}  // namespace edgelb
