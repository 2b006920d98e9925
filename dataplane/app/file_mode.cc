#include "app/file_mode.h"

#include <cstdio>
#include <stdexcept>

#include "config/service_file.h"

namespace edgelb {

void apply_file_mode(const Options& opt, DataplaneConfig& cfg) {
  if (opt.pcap_out.empty()) throw std::invalid_argument("--pcap-in needs --pcap-out");
  ExceptionConfig ex = cfg.ports.empty() ? ExceptionConfig{} : cfg.ports[0].exception;
  if (!opt.pcap_kernel_in.empty()) {
    ex.enabled = true;
    ex.device = "net_pcap_kernel0,rx_pcap=" + opt.pcap_kernel_in + ",tx_pcap=" + opt.pcap_kernel_out;
  } else {
    ex.enabled = false;
  }
  // The port's MAC: --port-mac, else the config's first port's, else net_pcap's own.
  const std::optional<MacAddress> mac = opt.port_mac        ? opt.port_mac
                                        : cfg.ports.empty() ? std::nullopt
                                                            : cfg.ports[0].mac;
  cfg.ports = {PortConfig{"net_pcap0,rx_pcap=" + opt.pcap_in + ",tx_pcap=" + opt.pcap_out, mac, "auto", ex}};
  for (size_t i = 0; i < opt.phases.size(); ++i)
    cfg.ports.push_back(PortConfig{
        "net_pcap" + std::to_string(i + 1) + ",rx_pcap=" + opt.phases[i].pcap_in + ",tx_pcap=" + opt.phases[i].pcap_out,
        mac,
        "auto",
        {}});
  if (opt.config.empty()) {
    cfg.workers = {1};
    cfg.eal.memory_mb = 256;
    cfg.conntrack.capacity = 65536;
  }
  if (cfg.until_idle_ms == 0) cfg.until_idle_ms = 300;
  if (opt.stats_json.empty() && cfg.stats_json.empty()) cfg.stats_json = "-";
}

PhaseSequencer::PhaseSequencer(std::vector<Phase> phases, size_t ports) : phases_(std::move(phases)) {
  for (size_t i = 0; i < ports; ++i) gates_.push_back(std::make_unique<std::atomic<bool>>(i == 0));
}

bool PhaseSequencer::advance(TableManager& tables) {
  // Stop feeding this input, publish the phase's table, feed the next input.
  gates_[next_]->store(false, std::memory_order_release);
  const Phase& phase = phases_[next_];
  try {
    if (auto errors = tables.apply(load_service_file(phase.services)); !errors.empty()) {
      std::fprintf(stderr, "edgelb-dataplane: %s rejected (%zu error(s)):\n", phase.services.c_str(), errors.size());
      for (const auto& e : errors) std::fprintf(stderr, "  %s: %s\n", e.path.c_str(), e.reason.c_str());
      return false;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-dataplane: %s\n", e.what());
    return false;
  }
  ++next_;
  gates_[next_]->store(true, std::memory_order_release);
  return true;
}

}  // namespace edgelb
