// The edgelb-dataplane configuration file (YAML). See docs/dataplane.md for every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "conntrack/flow_table.h"
#include "service/service_spec.h"

namespace edgelb {

// The port's exception path: a kernel-facing port that gets everything the fast path does not
// own (ARP/ND, ping, traffic to the host's addresses, L7 VIPs) and whose kernel output is sent
// on the data port.
struct ExceptionConfig {
  bool enabled = false;
  std::string interface;            // kernel interface name (default: elb<port index>)
  std::string device;               // vdev; default "net_tap<i>,iface=<interface>"
  std::vector<IpPrefix> addresses;  // host addresses put on the interface (also punted)
  std::vector<IpAddress> gateways;  // next hop for backends off the connected prefixes
};

struct PortConfig {
  std::string device;             // vdev string ("net_memif0,role=client,...") or PCI address
  std::optional<MacAddress> mac;  // overrides the port's own MAC as rewrite source
  std::string profile = "auto";   // NIC profile name, or "auto" (by driver name)
  ExceptionConfig exception;
};

// Settings shared by the exception paths of all ports.
struct ExceptionPathConfig {
  uint64_t punt_rate_pps = 100000;  // per port, split evenly across workers; 0: unlimited
  uint64_t punt_burst = 2048;
  bool vip_addresses = true;  // put VIP addresses on the kernel side (ARP/ND, HAProxy binds)
  // At stop, how long the TAPs outlive the data ports, so that the kernel side finishes what
  // it was handed (a connect() finds its route; see Dataplane::stop). Adds to a restart.
  uint32_t stop_delay_ms = 200;
};

enum class HugepageMode { kAuto, kOn, kOff };

struct EalConfig {
  std::string file_prefix;  // default: edgelb-dp-<pid>
  uint32_t memory_mb = 1024;
  HugepageMode hugepages = HugepageMode::kAuto;
  std::vector<std::string> pci_allow;  // empty: --no-pci
  uint32_t main_lcore = 0;
  // DPDK --lcores mapping ("0@0,1@1,2@1"): lets several lcores share a CPU (tests on small
  // machines). Empty: -l with the main and worker lcores.
  std::string lcores;
  std::vector<std::string> extra_args;
};

struct DataplaneConfig {
  EalConfig eal;
  std::vector<uint32_t> workers{1};  // lcore ids running workers
  std::vector<PortConfig> ports;
  std::string nic_profiles_dir;  // default: found next to the binary / source tree
  FlowTableConfig conntrack;
  ForwardingGlobals forwarding;
  ExceptionPathConfig exception_path;
  std::string services_file;
  uint32_t stats_interval_s = 0;  // print a stats line every N seconds (0: off)
  std::string metrics_listen;     // Prometheus /metrics address ("127.0.0.1:9910"); empty: off
  std::string control_socket;     // local gRPC control service (unix socket path); empty: off
  std::string stats_json;         // write final stats JSON here at exit
  uint32_t until_idle_ms = 0;     // file mode: stop after this long with no packets
  uint32_t duration_s = 0;        // stop after this long (0: until signalled)
};

// Throws ConfigError listing every problem.
DataplaneConfig load_dataplane_config(const std::string& file);
DataplaneConfig parse_dataplane_config(const YAML::Node& root, FieldErrors& errors);

}  // namespace edgelb
