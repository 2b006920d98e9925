#include "io/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <stdexcept>

namespace edgelb {

bool hugepages_available(uint32_t mb) {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  bool mounted = false;
  while (std::getline(mounts, line))
    if (line.find(" hugetlbfs ") != std::string::npos) mounted = true;
  if (!mounted) return false;
  std::ifstream meminfo("/proc/meminfo");
  uint64_t free_pages = 0, page_kb = 0;
  while (std::getline(meminfo, line)) {
    if (line.rfind("HugePages_Free:", 0) == 0) free_pages = std::stoull(line.substr(15));
    if (line.rfind("Hugepagesize:", 0) == 0) page_kb = std::stoull(line.substr(13));
  }
  return page_kb > 0 && free_pages * page_kb >= uint64_t(mb) * 1024;
}

bool is_pci_address(const std::string& device) {
  static const std::regex pci(R"(^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$)");
  return std::regex_match(device, pci);
}

std::vector<std::string> eal_arguments(const std::string& program, const EalConfig& eal,
                                       const std::vector<uint32_t>& worker_lcores,
                                       const std::vector<std::string>& vdevs, bool use_hugepages) {
  std::vector<std::string> a = {program};
  std::set<uint32_t> lcores(worker_lcores.begin(), worker_lcores.end());
  lcores.insert(eal.main_lcore);
  std::string list;
  for (uint32_t l : lcores) {
    if (!list.empty()) list += ',';
    list += std::to_string(l);
  }
  if (eal.lcores.empty())
    a.insert(a.end(), {"-l", list});
  else
    a.insert(a.end(), {"--lcores", eal.lcores});
  a.insert(a.end(), {"--main-lcore", std::to_string(eal.main_lcore)});
  a.push_back("--file-prefix=" + (eal.file_prefix.empty() ? "edgelb-dp-" + std::to_string(getpid()) : eal.file_prefix));
  if (eal.pci_allow.empty()) {
    a.push_back("--no-pci");
  } else {
    for (const auto& p : eal.pci_allow) a.insert(a.end(), {"-a", p});
  }
  if (use_hugepages) {
    a.insert(a.end(), {"-m", std::to_string(eal.memory_mb), "--huge-unlink"});
  } else {
    a.insert(a.end(), {"--no-huge", "-m", std::to_string(eal.memory_mb)});
  }
  for (const auto& v : vdevs) a.insert(a.end(), {"--vdev", v});
  a.push_back("--log-level=warning");
  a.push_back("--no-telemetry");
  for (const auto& x : eal.extra_args) a.push_back(x);
  return a;
}

void eal_init(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::vector<std::string> copy = args;  // rte_eal_init may permute argv
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  if (rte_eal_init(int(args.size()), argv.data()) < 0)
    throw std::runtime_error(std::string("rte_eal_init failed: ") + rte_strerror(rte_errno));
}

}  // namespace edgelb
