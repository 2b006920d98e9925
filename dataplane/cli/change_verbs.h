// edgelb-dpctl's changes (each prints the new live version):
//   apply FILE [--version N]                 the whole table (services YAML, docs/dataplane.md)
//   upsert FILE [--expected-version N]       one service (a services[] entry as a YAML map)
//   delete NAME [--expected-version N]
//   set-backend SERVICE BACKEND... [--weight N] [--state up|drain|down] [--expected-version N]
//                                            several backends: one table, all of them or none
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/control_client.h"

namespace edgelb::dpctl {

struct ChangeVerbs {
  CLI::App *apply = nullptr, *upsert = nullptr, *del = nullptr, *set_backend = nullptr;
  std::string file, name, state;
  std::vector<std::string> backends;
  std::optional<uint32_t> weight;
  uint64_t expected = 0, version_override = 0;
};

void add_change_verbs(CLI::App& app, ChangeVerbs* v);
// Runs the parsed verb; returns false when none of these verbs was given. Throws
// edgelb::ConfigError for a services file that does not read.
bool run_change_verbs(const ChangeVerbs& v, ControlClient& client, int* exit);

}  // namespace edgelb::dpctl
