// edgelbctl's certs verbs: a CA, the apiserver's certificate, admin/operator/viewer client
// certificates (the role in the OU) and the apiserver's key for secrets at rest, for mutual TLS.
//   certs init [--dir D] [--server-name N]... [--ip A]... [--days N] [--force]
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct CertsVerbs {
  CLI::App* init = nullptr;
  std::string dir = "./edgelb-certs";
  std::vector<std::string> names = {"localhost"}, ips = {"127.0.0.1", "::1"};
  int days = 825;
  bool force = false;
};

void add_certs_verbs(CLI::App& app, CertsVerbs* v);
// Local only: needs no apiserver.
bool run_certs_verbs(const CertsVerbs& v, int* exit);

}  // namespace edgelb::cli
