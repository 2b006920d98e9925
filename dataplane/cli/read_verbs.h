// edgelb-dpctl's reads:
//   version                                   build and table version, health (exit 6: not serving)
//   show services | stats | flows [--vip A] [--port N] [--protocol tcp|udp] [--client A]
//                                 [--backend A] [--limit N]
//   wait SERVICE BACKEND [--state up|drain|down|absent] [--timeout-ms N]
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "control/control_client.h"

namespace edgelb::dpctl {

struct ReadVerbs {
  CLI::App *version = nullptr, *show = nullptr, *wait = nullptr;
  std::string what;  // show: services, stats or flows
  std::string f_vip, f_client, f_backend, f_proto;
  uint32_t f_port = 0, f_limit = 0;
  std::string service, backend, want_state = "up";  // wait
  uint32_t timeout_ms = 10000;
};

void add_read_verbs(CLI::App& app, ReadVerbs* v);
// Runs the parsed verb; returns false when none of these verbs was given.
bool run_read_verbs(const ReadVerbs& v, ControlClient& client, bool json, int* exit);

}  // namespace edgelb::dpctl
