// edgelb-dataplane's file-driven mode, for packet fixtures: the data port is a net_pcap reading
// --pcap-in and writing --pcap-out (and, with --pcap-kernel, its exception path is a pcap pair
// too); one worker unless a config says otherwise; the run ends when the input has been idle
// for until_idle_ms. Each --phase adds an input port that is fed only once the previous one is
// idle and its service table is published, keeping the flow table: what a table change does to
// existing flows, packet for packet.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "app/options.h"
#include "config/dataplane_config.h"
#include "control/table_manager.h"

namespace edgelb {

// Replaces cfg's ports with the pcap ports of `opt` and fills file mode's defaults.
// Throws std::invalid_argument (--pcap-in without --pcap-out).
void apply_file_mode(const Options& opt, DataplaneConfig& cfg);

// The gates of the input ports (one per port: the first open, the rest closed) and the step
// from one phase to the next. Gates are read by the workers (WorkerQueue::enabled); advance()
// runs on the control thread.
class PhaseSequencer {
 public:
  PhaseSequencer(std::vector<Phase> phases, size_t ports);
  std::atomic<bool>* gate(size_t port) { return gates_[port].get(); }
  bool done() const { return next_ >= phases_.size(); }
  // Closes the current input, publishes the next phase's table and opens its input. Returns
  // false (after printing why) when that table is rejected.
  bool advance(TableManager& tables);

 private:
  std::vector<Phase> phases_;
  std::vector<std::unique_ptr<std::atomic<bool>>> gates_;
  size_t next_ = 0;
};

}  // namespace edgelb
