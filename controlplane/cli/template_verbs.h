// edgelbctl's template verbs: a pool's custom HAProxy template.
//   template create|update POOL FILE | template show POOL | template show --default
//   template delete POOL
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_support.h"

namespace edgelb::cli {

struct TemplateVerbs {
  CLI::App *create = nullptr, *update = nullptr, *show = nullptr, *del = nullptr;
  std::string pool, file;
  bool show_default = false;
};

void add_template_verbs(CLI::App& app, TemplateVerbs* v);
bool run_template_verbs(const TemplateVerbs& v, const Connection& conn, bool json_out, int* exit);

}  // namespace edgelb::cli
