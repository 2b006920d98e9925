// edgelbctl's pool verbs (edgelb.v1.EdgeLB), Edge-LB's names and layout:
//   create FILE | update FILE [--expected-version N] | delete POOL [--expected-version N]
//   list | show [POOL] [--reference | --convert-to-json FILE] | status POOL | history POOL
//   rollback POOL VERSION [--expected-version N] | validate FILE
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct PoolVerbs {
  CLI::App *create = nullptr, *update = nullptr, *del = nullptr, *list = nullptr, *show = nullptr, *status = nullptr,
           *history = nullptr, *rollback = nullptr, *validate = nullptr;
  std::string file, pool, convert;
  int64_t expected = 0, to_version = 0;
  bool reference = false;
};

void add_pool_verbs(CLI::App& app, PoolVerbs* v);
// Runs the parsed verb; returns false when none of these verbs was given.
bool run_pool_verbs(const PoolVerbs& v, const Connection& conn, bool json_out, int* exit);

}  // namespace edgelb::cli
