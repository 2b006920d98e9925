// edgelb-dataplane's command line and how it combines with the config file (DataplaneConfig):
// which ports, services, stats outputs and limits the process runs with. Pure apart from
// reading the config file and locating nic-profiles/; no DPDK.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/dataplane_config.h"

namespace edgelb {

// --phase SERVICES IN.pcap OUT.pcap (file mode): a later step with its own table and input.
struct Phase {
  std::string services, pcap_in, pcap_out;
};

struct Options {
  std::vector<Phase> phases;  // after the first
  std::string config, services, pcap_in, pcap_out, stats_json, file_prefix, pcap_kernel_in, pcap_kernel_out,
      control_socket;
  std::optional<MacAddress> port_mac;  // file mode: the pcap ports' MAC (frames to others are dropped)
  long until_idle_ms = -1, duration_s = -1, stats_interval_s = -1;
  bool no_huge = false;

  bool file_mode() const { return !pcap_in.empty(); }
};

void print_usage();
// False for --help. Throws std::invalid_argument for anything it cannot parse.
bool parse_options(int argc, char** argv, Options& out);

// The configuration the process runs with: the config file (if any) with the command line on
// top, file mode's pcap ports, and every cross-check (ports, services, lcores). Throws
// ConfigError or std::invalid_argument.
DataplaneConfig resolve_config(const Options& opt);

// The nic-profiles/ directory: configured, $EDGELB_NIC_PROFILES, or found beside the binary /
// in the source tree. Throws std::runtime_error when there is none.
std::string find_profiles_dir(const std::string& configured);

}  // namespace edgelb
