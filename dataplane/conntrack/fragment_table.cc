#include "conntrack/fragment_table.h"

#include <cstring>

namespace edgelb {

FragmentTable::FragmentTable(uint32_t capacity) {
  uint32_t n = kWays;
  while (n < capacity) n <<= 1;
  entries_.assign(n, Entry{});
  set_mask_ = n / kWays - 1;
}

FlowKey FragmentTable::datagram_of(const ParsedPacket& pp) {
  FlowKey k = pp.key;
  k.src_port = uint16_t(pp.frag_id >> 16);
  k.dst_port = uint16_t(pp.frag_id);
  return k;
}

void FragmentTable::learn(const FlowKey& datagram, uint16_t src_port, uint16_t dst_port, uint32_t now_ms) {
  Entry* set = &entries_[(flow_hash(datagram) & set_mask_) * kWays];
  Entry* slot = &set[0];
  for (uint32_t i = 0; i < kWays; ++i) {
    Entry& e = set[i];
    if (e.used && e.key == datagram) {  // a retransmitted first fragment
      slot = &e;
      break;
    }
    if (!alive(e, now_ms)) {
      slot = &e;
    } else if (alive(*slot, now_ms) && int32_t(e.expires_ms - slot->expires_ms) < 0) {
      slot = &e;
    }
  }
  slot->key = datagram;
  slot->src_port = src_port;
  slot->dst_port = dst_port;
  slot->expires_ms = now_ms + kLifetimeMs;
  slot->used = true;
}

bool FragmentTable::find(const FlowKey& datagram, uint32_t now_ms, uint16_t* src_port, uint16_t* dst_port) const {
  const Entry* set = &entries_[(flow_hash(datagram) & set_mask_) * kWays];
  for (uint32_t i = 0; i < kWays; ++i) {
    const Entry& e = set[i];
    if (alive(e, now_ms) && e.key == datagram) {
      *src_port = e.src_port;
      *dst_port = e.dst_port;
      return true;
    }
  }
  return false;
}

}  // namespace edgelb
