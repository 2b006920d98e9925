// Reads a static service table (YAML) into a TableSpec. Format (docs/dataplane.md):
//   version: 1
//   services:
//     - name: web            vip: 198.18.1.10     port: 80      protocol: tcp|udp
//       forwarding: dsr|ipip|gue   gue_port: 6080 (opt)   maglev_table_size: 65537 (opt)
//       backends:
//         - address: 198.18.2.1  port: 80 (opt)  weight: 1 (opt)  state: up|drain|down (opt)
//           mac: 02:00:00:00:02:01 (opt)  id: "stable identity" (opt)
// Throws ConfigError listing every problem with its path; semantic checks (duplicates,
// families, limits) are SnapshotBuilder::validate's.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "service/service_spec.h"

namespace edgelb {

TableSpec load_service_file(const std::string& file);
// Parses an already-loaded node; appends problems to `errors`.
TableSpec parse_service_table(const YAML::Node& root, FieldErrors& errors);

}  // namespace edgelb
