// edgelb-dpctl's node drain:
//   drain [--off | --status] [--wait [--until-flows N] [--timeout S]]
// the node takes no new flows, tracked ones go on; --wait returns once the tracked flows fall
// to N (exit 7 when --timeout passes first).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "control/control_client.h"

namespace edgelb::dpctl {

struct DrainVerbs {
  CLI::App* drain = nullptr;
  bool off = false, status = false, wait = false;
  uint64_t until_flows = 0;
  uint32_t timeout_s = 300;
};

void add_drain_verbs(CLI::App& app, DrainVerbs* v);
// Runs the parsed verb; returns false when it was not given.
bool run_drain_verbs(const DrainVerbs& v, ControlClient& client, bool json, int* exit);

}  // namespace edgelb::dpctl
