// HAProxy's master CLI (master-worker mode, `-S <socket>`): reloads and their confirmation.
// HAProxy 2.6's `reload` answers nothing — the master re-executes itself and closes the
// connection — so a reload is confirmed from `show proc`: the master's reload counter moved
// past the one read before, and either a worker that was not there before is the current one
// (success) or the master reports a failed load (`[failed: N]`) and the old worker stays.
//
// Thin client: each call is one connection. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace edgelb::haproxy {

struct ProcEntry {
  int pid = 0;
  std::string type;  // "master", "worker", or a program name
  int reloads = 0;   // for the master: reloads since start; for a worker: reloads it has lived through
  std::string uptime;
};

struct ProcList {
  ProcEntry master;
  int failed_reloads = 0;          // the master's "[failed: N]" (consecutive failures, 2.6.12+)
  std::vector<ProcEntry> workers;  // the current worker first
  std::vector<ProcEntry> old_workers;
};

// Parses `show proc`; nullopt when it has no master line.
std::optional<ProcList> parse_show_proc(const std::string& text);

struct ReloadOutcome {
  bool confirmed = false;  // the master loaded the new configuration and a new worker runs it
  bool failed = false;     // the master reported a failed load (the old worker keeps serving)
  ProcList after;
  std::string detail;  // why not confirmed
};

class MasterCli {
 public:
  explicit MasterCli(std::string socket_path, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Throws CliSocketError when the master cannot be reached or answers something else.
  ProcList show_proc() const;
  // Sends `reload` and waits up to `timeout` for the master to report its outcome.
  ReloadOutcome reload_and_confirm(std::chrono::milliseconds timeout) const;

  const std::string& socket_path() const { return path_; }

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace edgelb::haproxy
