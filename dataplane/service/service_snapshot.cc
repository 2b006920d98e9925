#include "service/service_snapshot.h"

#include <algorithm>

#include "packet/flow_key.h"

namespace edgelb {

void ServiceSnapshot::finalize() {
  size_t size = 16;
  while (size < services.size() * 2) size <<= 1;
  index_.assign(size, -1);
  index_mask_ = size - 1;
  local_addresses_.clear();
  auto add_local = [&](const IpAddress& a, uint8_t kind) {
    for (auto& l : local_addresses_)
      if (l.address == a) {
        l.kind |= kind;
        return;
      }
    local_addresses_.push_back({a, kind});
  };
  for (size_t s = 0; s < services.size(); ++s) {
    const auto& e = services[s];
    uint64_t i = key_hash(e.vip.bytes.data(), uint8_t(e.vip.family), e.port, e.protocol) & index_mask_;
    while (index_[i] >= 0) i = (i + 1) & index_mask_;
    index_[i] = int32_t(s);
    add_local(e.vip, kVipAddress);
  }
  for (const auto& a : globals.local_addresses) add_local(a, kHostAddress);
  for (const auto& a : globals.nat_pool) add_local(a, kNatAddress);
  size_t asize = 16;
  while (asize < local_addresses_.size() * 2) asize <<= 1;
  address_index_.assign(asize, -1);
  address_mask_ = asize - 1;
  for (size_t a = 0; a < local_addresses_.size(); ++a) {
    const auto& v = local_addresses_[a].address;
    uint64_t i = key_hash(v.bytes.data(), uint8_t(v.family), 0, 0) & address_mask_;
    while (address_index_[i] >= 0) i = (i + 1) & address_mask_;
    address_index_[i] = int32_t(a);
  }
}

}  // namespace edgelb
