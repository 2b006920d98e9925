// `edgelb-dpctl top`: a live view of one dataplane over its control socket, refreshed every
// interval like top(1). Interactive on a terminal (alternate screen, keys below); otherwise, or
// with --once, it prints frames as text (or --json) and exits after --iterations (--once: 1).
//
// Keys: q quit; p, b, n, a, o sort the services by packets/s, bits/s, new flows/s, active
// flows, name; / types a filter on service name or VIP (Enter keeps it, Esc clears it);
// space refreshes now.
#pragma once

#include <cstdint>
#include <string>

#include "cli/top_view.h"
#include "control/control_client.h"

namespace edgelb::top {

struct Options {
  double interval_s = 1.0;
  SortKey sort = SortKey::kPps;
  std::string filter;
  bool once = false;        // one frame, one interval after the first sample
  bool json = false;        // frames as JSON (one document per line)
  uint32_t iterations = 0;  // frames to print; 0: until q / Ctrl-C (1 with --once)
};

// Runs until done; returns the process exit code (6: no dataplane on the socket).
int run(ControlClient& client, const Options& options);

}  // namespace edgelb::top
