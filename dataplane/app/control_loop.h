// edgelb-dataplane's control loop, on the main lcore while the workers run (GLB's
// glb_control_loop): every 10 ms it follows the kernel's neighbour table (rebuilding tables when
// a next hop changes, resolving missing ones), ends the run when the input is idle (file mode,
// stepping through --phase tables first) or the duration is up, feeds /metrics, prints the
// periodic stats line, and re-reads the services file on SIGHUP (a rejected file keeps the
// current table serving).
#pragma once

#include <csignal>

#include "app/dataplane.h"
#include "app/file_mode.h"
#include "config/dataplane_config.h"

namespace edgelb {

// Flags set by signal handlers: stop the loop; re-read the services file.
struct LoopSignals {
  volatile std::sig_atomic_t* stop;
  volatile std::sig_atomic_t* reload;
};

// Runs until stopped, idle (and out of phases) or the configured duration is over. Returns the
// process exit code: 0, or 2 when a phase's table is rejected.
int run_control_loop(Dataplane& dp, const DataplaneConfig& cfg, PhaseSequencer* phases, LoopSignals signals);

}  // namespace edgelb
