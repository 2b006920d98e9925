// Next-hop MACs from the kernel's neighbour table (control side). The exception interfaces
// (TAPs) carry the host's addresses, so the kernel does ARP/ND through the dataplane; this
// table mirrors what it learns on those interfaces, tells SnapshotBuilder which MAC to use for
// a backend (the backend itself when it is on a connected prefix, else the link's gateway),
// and asks the kernel to resolve next hops that builds found missing.
//
// Thread-safety: one control thread (the one that builds snapshots).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/netlink.h"
#include "service/snapshot_builder.h"

namespace edgelb {

struct KernelLink {
  int ifindex = 0;
  std::vector<IpPrefix> prefixes;   // connected prefixes (the host addresses on this link)
  std::vector<IpAddress> gateways;  // next hop for destinations off these prefixes
};

class NeighborTable : public NextHopResolver {
 public:
  NeighborTable(Netlink& nl, std::vector<KernelLink> links);

  std::optional<MacAddress> next_hop(const IpAddress& destination) const override;
  void begin_build() const override {
    used_.clear();
    missing_.clear();
  }

  // Applies pending kernel notifications; true when a MAC the last build used or missed
  // changed, i.e. the service table should be rebuilt.
  bool poll();
  // Asks the kernel to resolve every next hop a build found missing, at most once per
  // `interval` each. Returns the addresses still unresolved.
  std::vector<IpAddress> resolve_missing(std::chrono::milliseconds interval = std::chrono::milliseconds(1000));

 private:
  using Key = std::pair<int, IpAddress>;
  struct KeyLess {
    bool operator()(const Key& a, const Key& b) const {
      if (a.first != b.first) return a.first < b.first;
      if (a.second.family != b.second.family) return a.second.family < b.second.family;
      return a.second.bytes < b.second.bytes;
    }
  };
  // The (link, neighbour address) to use for `destination`, or nullopt if no link reaches it.
  std::optional<Key> route(const IpAddress& destination) const;
  void reload();

  Netlink& nl_;
  std::vector<KernelLink> links_;
  std::map<Key, MacAddress, KeyLess> macs_;
  mutable std::set<Key, KeyLess> used_;     // looked up by builds (changes matter)
  mutable std::set<Key, KeyLess> missing_;  // looked up but unknown
  std::map<Key, std::chrono::steady_clock::time_point, KeyLess> asked_;
};

}  // namespace edgelb
