#include "kernel/address_sync.h"

#include <algorithm>

namespace edgelb {

namespace {
IpPrefix host_prefix(const IpAddress& a) { return IpPrefix{a, uint8_t(a.is_v4() ? 32 : 128)}; }
}  // namespace

std::vector<IpAddress> AddressSync::vip_addresses(const TableSpec& spec) {
  std::vector<IpAddress> out;
  for (const auto& s : spec.services)
    if (std::find(out.begin(), out.end(), s.vip) == out.end()) out.push_back(s.vip);
  return out;
}

void AddressSync::sync(const std::vector<IpAddress>& addresses) {
  std::map<std::string, IpPrefix> want;
  for (const auto& a : addresses) {
    const IpPrefix p = host_prefix(a);
    want.emplace(p.to_string(), p);
    if (!added_.count(p.to_string())) {
      nl_.add_address(ifindex_, p);
      added_.emplace(p.to_string(), p);
    }
  }
  for (auto it = added_.begin(); it != added_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    nl_.delete_address(ifindex_, it->second);
    it = added_.erase(it);
  }
}

AddressSync::~AddressSync() {
  for (const auto& [text, prefix] : added_) {
    try {
      nl_.delete_address(ifindex_, prefix);
    } catch (const std::exception& e) {  // the interface may already be gone with the TAP
      (void)e;
    }
  }
}

}  // namespace edgelb
