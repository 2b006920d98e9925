// A small rtnetlink client (libmnl) for the control side: bring the exception interface up,
// manage its addresses, read and watch the kernel's neighbour table, and ask the kernel to
// resolve a neighbour. Never used on the hot path.
//
// Errors from requests throw std::runtime_error naming the operation and the kernel's reason.
// Thread-safety: one control thread per Netlink object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "packet/ip_address.h"

struct mnl_socket;

namespace edgelb {

struct NeighborEvent {
  bool removed = false;  // RTM_DELNEIGH, or a state without a usable address (FAILED, ...)
  int ifindex = 0;
  IpAddress address;
  std::optional<MacAddress> mac;
};

class Netlink {
 public:
  // `subscribe_neighbors`: also join RTNLGRP_NEIGH so poll_neighbors() sees changes.
  explicit Netlink(bool subscribe_neighbors = false);
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  static int ifindex(const std::string& name);  // 0 when there is no such interface
  void set_link_up(int ifindex);
  // Adds (IFA_F_NODAD, so IPv6 is usable at once) or removes an address; adding an address
  // that exists is not an error.
  void add_address(int ifindex, const IpPrefix& p);
  void delete_address(int ifindex, const IpPrefix& p);
  // The kernel's current neighbour entries on `ifindex` (0: all interfaces).
  std::vector<NeighborEvent> dump_neighbors(int ifindex);
  // Asks the kernel to resolve `address` on `ifindex` (RTM_NEWNEIGH with NTF_USE: ARP/ND
  // starts as if a packet were waiting); the answer arrives as a neighbour event.
  void resolve_neighbor(int ifindex, const IpAddress& address);
  // Reads pending neighbour notifications without blocking (needs subscribe_neighbors).
  // `lost` becomes true when the kernel dropped notifications (ENOBUFS): dump again.
  std::vector<NeighborEvent> poll_neighbors(bool* lost);

 private:
  void request(std::vector<char>& buf, const std::string& what, int tolerated_errno = 0);
  mnl_socket* nl_ = nullptr;      // requests
  mnl_socket* events_ = nullptr;  // RTNLGRP_NEIGH notifications
  uint32_t seq_ = 1;
};

}  // namespace edgelb
