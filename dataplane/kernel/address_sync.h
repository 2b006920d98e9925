// Keeps a set of addresses present on a kernel interface: the VIP addresses go on the first
// exception interface so the kernel answers ARP/ND for them, replies to ping, and HAProxy can
// bind L7 VIPs. Only addresses this object added are ever removed. Control side only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kernel/netlink.h"
#include "service/service_spec.h"

namespace edgelb {

class AddressSync {
 public:
  AddressSync(Netlink& nl, int ifindex) : nl_(nl), ifindex_(ifindex) {}
  ~AddressSync();  // removes what it added
  // Makes the interface carry exactly these host routes (/32, /128) among those we manage.
  void sync(const std::vector<IpAddress>& addresses);
  static std::vector<IpAddress> vip_addresses(const TableSpec& spec);

 private:
  Netlink& nl_;
  int ifindex_;
  std::map<std::string, IpPrefix> added_;  // by IpPrefix text
};

}  // namespace edgelb
