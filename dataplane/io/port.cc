#include "io/port.h"

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace edgelb {

namespace {
struct FlagName {
  const char* name;
  uint64_t flag;
};

const FlagName kRxOffloads[] = {
    {"vlan_strip", RTE_ETH_RX_OFFLOAD_VLAN_STRIP}, {"ipv4_cksum", RTE_ETH_RX_OFFLOAD_IPV4_CKSUM},
    {"udp_cksum", RTE_ETH_RX_OFFLOAD_UDP_CKSUM},   {"tcp_cksum", RTE_ETH_RX_OFFLOAD_TCP_CKSUM},
    {"rss_hash", RTE_ETH_RX_OFFLOAD_RSS_HASH},     {"scatter", RTE_ETH_RX_OFFLOAD_SCATTER},
    {"timestamp", RTE_ETH_RX_OFFLOAD_TIMESTAMP},   {"outer_ipv4_cksum", RTE_ETH_RX_OFFLOAD_OUTER_IPV4_CKSUM},
};
const FlagName kTxOffloads[] = {
    {"vlan_insert", RTE_ETH_TX_OFFLOAD_VLAN_INSERT},
    {"ipv4_cksum", RTE_ETH_TX_OFFLOAD_IPV4_CKSUM},
    {"udp_cksum", RTE_ETH_TX_OFFLOAD_UDP_CKSUM},
    {"tcp_cksum", RTE_ETH_TX_OFFLOAD_TCP_CKSUM},
    {"multi_segs", RTE_ETH_TX_OFFLOAD_MULTI_SEGS},
    {"mbuf_fast_free", RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE},
    {"outer_ipv4_cksum", RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM},
    {"outer_udp_cksum", RTE_ETH_TX_OFFLOAD_OUTER_UDP_CKSUM},
};
const FlagName kRssFields[] = {
    {"ipv4", RTE_ETH_RSS_IPV4},
    {"ipv6", RTE_ETH_RSS_IPV6},
    {"ipv4_tcp", RTE_ETH_RSS_NONFRAG_IPV4_TCP},
    {"ipv4_udp", RTE_ETH_RSS_NONFRAG_IPV4_UDP},
    {"ipv4_other", RTE_ETH_RSS_NONFRAG_IPV4_OTHER},
    {"ipv6_tcp", RTE_ETH_RSS_NONFRAG_IPV6_TCP},
    {"ipv6_udp", RTE_ETH_RSS_NONFRAG_IPV6_UDP},
    {"ipv6_other", RTE_ETH_RSS_NONFRAG_IPV6_OTHER},
    {"frag_ipv4", RTE_ETH_RSS_FRAG_IPV4},
    {"frag_ipv6", RTE_ETH_RSS_FRAG_IPV6},
    {"tcp", RTE_ETH_RSS_TCP},
    {"udp", RTE_ETH_RSS_UDP},
};

template <size_t N>
uint64_t lookup(const FlagName (&table)[N], const std::string& name) {
  for (const auto& f : table)
    if (name == f.name) return f.flag;
  return 0;
}

template <size_t N>
std::string names_of(const FlagName (&table)[N], uint64_t flags) {
  std::string s;
  for (const auto& f : table)
    if (flags & f.flag) {
      if (!s.empty()) s += ',';
      s += f.name;
    }
  return s;
}

[[noreturn]] void fail(const std::string& port, const std::string& what, int rc) {
  throw std::runtime_error("port " + port + ": " + what + ": " + rte_strerror(rc < 0 ? -rc : rc));
}
}  // namespace

uint64_t rx_offload_flag(const std::string& n) { return lookup(kRxOffloads, n); }
uint64_t tx_offload_flag(const std::string& n) { return lookup(kTxOffloads, n); }
uint64_t rss_hash_flag(const std::string& n) { return lookup(kRssFields, n); }

std::string device_name(const std::string& device) { return device.substr(0, device.find(',')); }

void attach_vdev(const std::string& device) {
  const std::string name = device_name(device);
  const std::string args = device.size() > name.size() ? device.substr(name.size() + 1) : "";
  if (int rc = rte_vdev_init(name.c_str(), args.c_str()); rc != 0) fail(name, "create vdev '" + device + "'", rc);
}

PortRuntime setup_port(const PortConfig& cfg, const std::vector<NicProfile>& profiles, uint16_t workers, uint16_t mtu) {
  PortRuntime p;
  p.name = device_name(cfg.device);
  if (rte_eth_dev_get_port_by_name(p.name.c_str(), &p.port_id) != 0)
    throw std::runtime_error("port " + p.name + ": no such ethdev (device string '" + cfg.device + "')");
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(p.port_id, &info); rc != 0) fail(p.name, "dev_info_get", rc);
  p.driver = info.driver_name ? info.driver_name : "";

  const NicProfile* prof =
      cfg.profile == "auto" ? find_profile_for_driver(profiles, p.driver) : find_profile_by_name(profiles, cfg.profile);
  if (!prof) {
    if (cfg.profile != "auto")
      throw std::runtime_error("port " + p.name + ": no NIC profile named '" + cfg.profile + "'");
    p.warnings.push_back("no NIC profile for driver " + p.driver + "; using built-in defaults");
    p.profile = NicProfile{};
    p.profile.name = "default";
  } else {
    p.profile = *prof;
  }
  const NicProfile& np = p.profile;

  if (info.max_rx_queues < workers || info.max_tx_queues < workers)
    throw std::runtime_error("port " + p.name + " (" + p.driver + "): " + std::to_string(workers) +
                             " workers need as many queues; the device has " + std::to_string(info.max_rx_queues) +
                             " RX / " + std::to_string(info.max_tx_queues) + " TX");
  p.queues = workers;

  rte_eth_conf conf{};
  uint64_t want_rx = 0, want_tx = 0, want_rss = 0;
  std::string unknown;
  for (const auto& o : np.rx_offloads) {
    uint64_t f = rx_offload_flag(o);
    if (!f) unknown += " rx:" + o;
    want_rx |= f;
  }
  for (const auto& o : np.tx_offloads) {
    uint64_t f = tx_offload_flag(o);
    if (!f) unknown += " tx:" + o;
    want_tx |= f;
  }
  for (const auto& h : np.rss_hash_fields) {
    uint64_t f = rss_hash_flag(h);
    if (!f) unknown += " rss:" + h;
    want_rss |= f;
  }
  if (!unknown.empty()) throw std::runtime_error("NIC profile " + np.file + ": unknown names:" + unknown);

  std::string degraded;
  if (mtu > RTE_ETHER_MTU) {  // jumbo frames
    conf.rxmode.mtu = std::min<uint32_t>(mtu, info.max_mtu);
    if (info.max_mtu < mtu)
      degraded += " mtu " + std::to_string(mtu) + " (at most " + std::to_string(info.max_mtu) + ")";
  }
  conf.rxmode.offloads = want_rx & info.rx_offload_capa;
  conf.txmode.offloads = want_tx & info.tx_offload_capa;
  if (want_rx & ~info.rx_offload_capa)
    degraded += " rx offloads [" + names_of(kRxOffloads, want_rx & ~info.rx_offload_capa) + "]";
  if (want_tx & ~info.tx_offload_capa)
    degraded += " tx offloads [" + names_of(kTxOffloads, want_tx & ~info.tx_offload_capa) + "]";
  std::vector<uint8_t> key = np.rss_key;
  if (workers > 1 && want_rss) {
    uint64_t rss = want_rss & info.flow_type_rss_offloads;
    if (rss != want_rss)
      degraded += " rss fields [" + names_of(kRssFields, want_rss & ~info.flow_type_rss_offloads) + "]";
    if (rss) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = rss;
      if (!key.empty() && key.size() == info.hash_key_size) {
        conf.rx_adv_conf.rss_conf.rss_key = key.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = uint8_t(key.size());
      } else if (!key.empty()) {
        degraded += " rss key (device wants " + std::to_string(info.hash_key_size) + " bytes)";
      }
    } else {
      degraded += " RSS entirely (workers share no flows; spread traffic per queue yourself)";
    }
  } else if (workers > 1) {
    p.warnings.push_back("profile " + np.name + " has no RSS hash fields for " + std::to_string(workers) + " workers");
  }
  if (!degraded.empty())
    p.warnings.push_back("device " + p.driver + " lacks:" + degraded + "; continuing without them");

  if (int rc = rte_eth_dev_configure(p.port_id, workers, workers, &conf); rc != 0) fail(p.name, "configure", rc);
  uint16_t nrx = np.rx_descriptors, ntx = np.tx_descriptors;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(p.port_id, &nrx, &ntx); rc != 0) fail(p.name, "adjust descriptors", rc);

  const int socket = rte_eth_dev_socket_id(p.port_id) < 0 ? 0 : rte_eth_dev_socket_id(p.port_id);
  const uint32_t mbufs = std::max<uint32_t>(np.mbufs_per_queue * workers, (nrx + ntx) * workers + 1024);
  const std::string pool_name = "mp_" + std::to_string(p.port_id);
  // Room for a whole frame of `mtu` (two VLAN tags, FCS) after the headroom: one segment each.
  const uint32_t frame_room = RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
  const uint16_t data_room = uint16_t(std::max<uint32_t>(np.mbuf_data_room, frame_room));
  p.pool = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, np.mempool_cache, 0, data_room, socket);
  if (!p.pool) fail(p.name, "mempool of " + std::to_string(mbufs) + " mbufs", rte_errno);

  for (uint16_t q = 0; q < workers; ++q) {
    rte_eth_rxconf rxc = info.default_rxconf;
    rxc.offloads = conf.rxmode.offloads;
    if (int rc = rte_eth_rx_queue_setup(p.port_id, q, nrx, socket, &rxc, p.pool); rc != 0) fail(p.name, "rx queue", rc);
    rte_eth_txconf txc = info.default_txconf;
    txc.offloads = conf.txmode.offloads;
    if (int rc = rte_eth_tx_queue_setup(p.port_id, q, ntx, socket, &txc); rc != 0) fail(p.name, "tx queue", rc);
  }
  if (int rc = rte_eth_dev_start(p.port_id); rc != 0) fail(p.name, "start", rc);
  rte_eth_promiscuous_enable(p.port_id);  // not all PMDs support it; VIP MACs may differ

  rte_ether_addr mac;
  rte_eth_macaddr_get(p.port_id, &mac);
  std::copy(mac.addr_bytes, mac.addr_bytes + 6, p.mac.bytes.begin());
  if (cfg.mac) p.mac = *cfg.mac;
  for (const auto& w : p.warnings)
    std::fprintf(stderr, "edgelb-dataplane: warning: port %s: %s\n", p.name.c_str(), w.c_str());
  return p;
}

void stop_port(PortRuntime& port) {
  rte_eth_dev_stop(port.port_id);
  rte_eth_dev_close(port.port_id);
  rte_mempool_free(port.pool);
  port.pool = nullptr;
}

}  // namespace edgelb
