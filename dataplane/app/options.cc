#include "app/options.h"

#include "app/file_mode.h"
#include "config/yaml_reader.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace edgelb {

void print_usage() {
  std::fprintf(
      stderr,
      "usage: edgelb-dataplane [--config FILE] [--services FILE]\n"
      "                        [--pcap-in IN.pcap --pcap-out OUT.pcap [--port-mac MAC]] [--stats-json FILE|-]\n"
      "                        [--until-idle-ms N] [--duration S] [--stats-interval S]\n"
      "                        [--phase SERVICES IN.pcap OUT.pcap]...\n"
      "                        [--pcap-kernel FROM_KERNEL.pcap TO_KERNEL.pcap]\n"
      "                        [--control-socket PATH] [--file-prefix NAME] [--no-huge]\n");
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config")
      o.config = next();
    else if (a == "--services")
      o.services = next();
    else if (a == "--pcap-in")
      o.pcap_in = next();
    else if (a == "--pcap-out")
      o.pcap_out = next();
    else if (a == "--port-mac") {
      const std::string m = next();
      o.port_mac = MacAddress::parse(m);
      if (!o.port_mac) throw std::invalid_argument("--port-mac: not a MAC address: " + m);
    } else if (a == "--stats-json")
      o.stats_json = next();
    else if (a == "--until-idle-ms")
      o.until_idle_ms = std::stol(next());
    else if (a == "--duration")
      o.duration_s = std::stol(next());
    else if (a == "--stats-interval")
      o.stats_interval_s = std::stol(next());
    else if (a == "--file-prefix")
      o.file_prefix = next();
    else if (a == "--control-socket")
      o.control_socket = next();
    else if (a == "--no-huge")
      o.no_huge = true;
    else if (a == "--pcap-kernel") {
      o.pcap_kernel_in = next();
      o.pcap_kernel_out = next();
    } else if (a == "--phase") {
      Phase p;
      p.services = next();
      p.pcap_in = next();
      p.pcap_out = next();
      o.phases.push_back(p);
    } else if (a == "-h" || a == "--help")
      return false;
    else
      throw std::invalid_argument("unknown argument " + a);
  }
  return true;
}

DataplaneConfig resolve_config(const Options& opt) {
  DataplaneConfig cfg;
  if (!opt.config.empty()) cfg = load_dataplane_config(opt.config);
  if (!opt.services.empty()) cfg.services_file = opt.services;
  if (!opt.file_prefix.empty()) cfg.eal.file_prefix = opt.file_prefix;
  if (!opt.control_socket.empty()) cfg.control_socket = opt.control_socket;
  if (opt.no_huge) cfg.eal.hugepages = HugepageMode::kOff;
  if (opt.file_mode()) apply_file_mode(opt, cfg);
  if (opt.until_idle_ms >= 0) cfg.until_idle_ms = uint32_t(opt.until_idle_ms);
  if (opt.duration_s >= 0) cfg.duration_s = uint32_t(opt.duration_s);
  if (opt.stats_interval_s >= 0) cfg.stats_interval_s = uint32_t(opt.stats_interval_s);
  if (!opt.stats_json.empty()) cfg.stats_json = opt.stats_json;
  if (!opt.phases.empty() && !opt.file_mode()) throw std::invalid_argument("--phase needs --pcap-in");
  if (cfg.ports.empty()) throw std::invalid_argument("no ports configured (ports: in the config, or --pcap-in)");
  if (cfg.services_file.empty()) throw std::invalid_argument("no service table (--services or services_file:)");
  for (uint32_t w : cfg.workers)
    if (w == cfg.eal.main_lcore)
      throw std::invalid_argument("worker lcore " + std::to_string(w) + " is the main lcore");

  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    auto& ex = cfg.ports[i].exception;
    if (ex.enabled && ex.device.empty()) ex.device = "net_tap" + std::to_string(i) + ",iface=" + ex.interface;
  }

  return cfg;
}

std::string find_profiles_dir(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("EDGELB_NIC_PROFILES")) return env;
  fs::path exe = fs::read_symlink("/proc/self/exe").parent_path();
  for (fs::path cand : {exe / "../share/edgelb/nic-profiles", exe / "../../nic-profiles", exe / "../nic-profiles",
                        fs::path(EDGELB_SOURCE_DIR) / "nic-profiles"})
    if (fs::is_directory(cand)) return fs::canonical(cand).string();
  throw std::runtime_error("cannot find nic-profiles/; set nic_profiles_dir or EDGELB_NIC_PROFILES");
}

}  // namespace edgelb
