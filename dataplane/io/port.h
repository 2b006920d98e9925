// Brings up one DPDK ethdev port for N workers according to its NIC profile: one RX and one
// TX queue per worker, RSS over the profile's hash fields (limited to what the device
// supports), the profile's offloads limited to the device's capabilities. Anything requested
// but unsupported is dropped with one warning per port that lists all of it.
// Control-side only; throws std::runtime_error with the port and DPDK's reason on failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/dataplane_config.h"
#include "config/nic_profile.h"

struct rte_mempool;

namespace edgelb {

struct PortRuntime {
  uint16_t port_id = 0;
  std::string name;    // ethdev name (vdev name or PCI address)
  std::string driver;  // rte_eth_dev_info.driver_name
  NicProfile profile;
  MacAddress mac;  // source MAC for rewritten frames
  uint16_t queues = 0;
  rte_mempool* pool = nullptr;
  std::vector<std::string> warnings;  // degradations applied (also printed once)
};

// The ethdev name of a configured device string ("net_pcap0,rx_pcap=x" -> "net_pcap0").
std::string device_name(const std::string& device);

// Creates a virtual device after EAL start-up (e.g. the exception path's TAP, whose MAC is only
// known once the data port is up). `device` as in a --vdev argument. Throws on failure.
void attach_vdev(const std::string& device);

// `mtu` (forwarding.mtu): above 1500 the device's MTU is raised to it (capped, with a warning,
// at what the device allows) and mbufs get room for a whole frame of that size, so jumbo
// frames arrive in one segment.
PortRuntime setup_port(const PortConfig& cfg, const std::vector<NicProfile>& profiles, uint16_t workers,
                       uint16_t mtu = 1500);
void stop_port(PortRuntime& port);

// Names <-> rte_eth flags, exposed for tests and docs.
uint64_t rx_offload_flag(const std::string& name);
uint64_t tx_offload_flag(const std::string& name);
uint64_t rss_hash_flag(const std::string& name);

}  // namespace edgelb
