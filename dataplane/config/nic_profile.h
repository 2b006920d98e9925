// A NIC profile: per-driver-family settings (queues, descriptors, RSS, offloads, burst size,
// mempool sizing), one YAML file per family under nic-profiles/. The dataplane picks the
// profile whose `drivers` list contains the port's rte_eth_dev_info.driver_name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgelb {

struct NicProfile {
  std::string name;
  std::string file;
  std::vector<std::string> drivers;
  std::string description;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  uint16_t burst_size = 32;
  std::vector<uint8_t> rss_key;              // empty: driver default
  std::vector<std::string> rss_hash_fields;  // ipv4, ipv6, tcp, udp, ipv4_tcp, ...
  std::vector<std::string> rx_offloads;      // names as in RTE_ETH_RX_OFFLOAD_*, lower case
  std::vector<std::string> tx_offloads;
  uint32_t mbufs_per_queue = 8192;
  uint32_t mempool_cache = 256;
  uint16_t mbuf_data_room = 2176;  // RTE_MBUF_DEFAULT_BUF_SIZE
};

// Loads one profile; throws ConfigError.
NicProfile load_nic_profile(const std::string& file);
// Loads every *.yaml in `dir`; throws ConfigError on the first bad file.
std::vector<NicProfile> load_nic_profiles(const std::string& dir);
// The profile for a driver name, or nullptr.
const NicProfile* find_profile_for_driver(const std::vector<NicProfile>& profiles, const std::string& driver);
const NicProfile* find_profile_by_name(const std::vector<NicProfile>& profiles, const std::string& name);

}  // namespace edgelb
