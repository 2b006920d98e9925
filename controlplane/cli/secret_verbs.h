// edgelbctl's secret verbs: secrets (TLS keys) stored sealed, named by pools' secrets[].secret.
//   secret put NAME FILE | secret delete NAME | secret list
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct SecretVerbs {
  CLI::App *put = nullptr, *del = nullptr, *list = nullptr;
  std::string name, file;
};

void add_secret_verbs(CLI::App& app, SecretVerbs* v);
bool run_secret_verbs(const SecretVerbs& v, const Connection& conn, bool json_out, int* exit);

}  // namespace edgelb::cli
