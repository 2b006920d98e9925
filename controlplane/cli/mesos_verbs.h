// edgelbctl's mesos-listener verbs (edgelb.v1.MesosListener):
//   tasks [--watch [--from REV] [--max-batches N]]   the live tasks, or a stream of changes
//   endpoints POOL                                   where the pool's instances listen (lb_verbs)
//   endpoints --backends POOL | --file POOL_FILE [--all]  what its service selectors select now
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct MesosVerbs {
  CLI::App* tasks = nullptr;
  CLI::App* endpoints = nullptr;
  bool watch = false;
  uint64_t from_revision = 0;
  int max_batches = 0;  // 0: until interrupted
  std::string pool, file;
  bool all = false;
  bool backends = false;
};

void add_mesos_verbs(CLI::App& app, MesosVerbs* v);
// Runs the parsed verb; returns false when none of these verbs was given.
bool run_mesos_verbs(const MesosVerbs& v, const Connection& conn, bool json_out, int* exit);

}  // namespace edgelb::cli
