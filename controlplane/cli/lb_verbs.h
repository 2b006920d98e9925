// edgelbctl's load-balancer verbs, as in Edge-LB's CLI:
//   lb-config POOL [--raw] [--instance ID] [--rendered]
//                              the haproxy.cfg an instance runs (its agent publishes it), and
//                              whether the others run the same; --rendered: the apiserver's
//                              rendering from the stored pool (GetLbConfig)
//   endpoints POOL             where the pool's instances listen (GetPoolEndpoints); with
//                              --backends (or --file) the servers it selects (mesos_verbs)
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct LbVerbs {
  CLI::App* lb_config = nullptr;
  std::string pool;
  bool raw = false;
  bool rendered = false;
  std::string instance;
};

void add_lb_verbs(CLI::App& app, LbVerbs* v);
bool run_lb_verbs(const LbVerbs& v, const Connection& conn, bool json_out, int* exit);
// `endpoints POOL` without --backends/--file: the instances' endpoints.
int run_pool_lb_endpoints(const std::string& pool, const Connection& conn, bool json_out);

}  // namespace edgelb::cli
