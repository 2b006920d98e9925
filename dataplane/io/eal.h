// EAL start-up from an EalConfig. Safety rules are enforced here, not left to callers: without
// an explicit PCI allow-list every process gets --no-pci, and every process has its own
// --file-prefix; hugepage files are unlinked right after mapping (--huge-unlink), so a crash
// leaves nothing behind in hugetlbfs.
#pragma once

#include <string>
#include <vector>

#include "config/dataplane_config.h"

namespace edgelb {

// Whether hugepages are usable now (hugetlbfs mounted and enough free 2 MiB pages for `mb`).
bool hugepages_available(uint32_t mb);

// The argv for rte_eal_init. `vdevs` are the ports' vdev strings (non-PCI devices).
std::vector<std::string> eal_arguments(const std::string& program, const EalConfig& eal,
                                       const std::vector<uint32_t>& worker_lcores,
                                       const std::vector<std::string>& vdevs, bool use_hugepages);

// Initialises the EAL; throws std::runtime_error with DPDK's reason on failure.
void eal_init(const std::vector<std::string>& args);

// True for strings that look like a PCI address (0000:03:00.0 or 03:00.0).
bool is_pci_address(const std::string& device);

}  // namespace edgelb
