#include "kernel/neighbor_table.h"

namespace edgelb {

NeighborTable::NeighborTable(Netlink& nl, std::vector<KernelLink> links) : nl_(nl), links_(std::move(links)) {
  reload();
}

void NeighborTable::reload() {
  macs_.clear();
  for (const auto& l : links_)
    for (const auto& e : nl_.dump_neighbors(l.ifindex))
      if (!e.removed && e.mac) macs_[{l.ifindex, e.address}] = *e.mac;
}

std::optional<NeighborTable::Key> NeighborTable::route(const IpAddress& destination) const {
  for (const auto& l : links_)
    for (const auto& p : l.prefixes)
      if (p.contains(destination)) return Key{l.ifindex, destination};
  for (const auto& l : links_)
    for (const auto& g : l.gateways)
      if (g.family == destination.family) return Key{l.ifindex, g};
  return std::nullopt;
}

std::optional<MacAddress> NeighborTable::next_hop(const IpAddress& destination) const {
  auto key = route(destination);
  if (!key) return std::nullopt;
  used_.insert(*key);
  auto it = macs_.find(*key);
  if (it == macs_.end()) {
    missing_.insert(*key);
    return std::nullopt;
  }
  missing_.erase(*key);
  return it->second;
}

bool NeighborTable::poll() {
  bool changed = false, lost = false;
  const auto events = nl_.poll_neighbors(&lost);
  if (lost) {  // notifications were lost: start over
    reload();
    return true;
  }
  for (const auto& e : events) {
    const Key key{e.ifindex, e.address};
    auto it = macs_.find(key);
    if (e.removed || !e.mac) {
      if (it == macs_.end()) continue;
      macs_.erase(it);
    } else {
      if (it != macs_.end() && it->second == *e.mac) continue;
      macs_[key] = *e.mac;
    }
    if (used_.count(key)) changed = true;
  }
  return changed;
}

std::vector<IpAddress> NeighborTable::resolve_missing(std::chrono::milliseconds interval) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<IpAddress> out;
  for (const auto& key : missing_) {
    if (macs_.count(key)) continue;
    out.push_back(key.second);
    auto it = asked_.find(key);
    if (it != asked_.end() && now - it->second < interval) continue;
    asked_[key] = now;
    nl_.resolve_neighbor(key.first, key.second);
  }
  return out;
}

}  // namespace edgelb
