#include "haproxy/master_cli.h"

#include <algorithm>
#include <sstream>
#include <thread>

#include "haproxy/cli_socket.h"

namespace edgelb::haproxy {

std::optional<ProcList> parse_show_proc(const std::string& text) {
  // #<PID>  <type>  <reloads>  <uptime>  <version>
  // 1903    master  3 [failed: 1]  0d00h10m28s  2.6.12-1+deb12u4
  // # workers
  // 2711    worker  1  0d00h00m05s  2.6.12-1+deb12u4
  // # old workers
  // ...
  // # programs
  ProcList out;
  bool have_master = false;
  enum { kNone, kWorkers, kOld, kPrograms } section = kNone;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# workers", 0) == 0) {
      section = kWorkers;
      continue;
    }
    if (line.rfind("# old workers", 0) == 0) {
      section = kOld;
      continue;
    }
    if (line.rfind("# programs", 0) == 0) {
      section = kPrograms;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    ProcEntry e;
    std::string reloads;
    if (!(f >> e.pid >> e.type >> reloads)) continue;
    try {
      e.reloads = std::stoi(reloads);
    } catch (const std::exception&) {
      continue;
    }
    std::string w;
    if (e.type == "master") {
      // "[failed:" "N]" may follow the reload count.
      std::streampos at = f.tellg();
      if (f >> w && w == "[failed:") {
        f >> w;
        try {
          out.failed_reloads = std::stoi(w);
        } catch (const std::exception&) {
        }
      } else {
        f.seekg(at);
      }
      f >> e.uptime;
      out.master = e;
      have_master = true;
      continue;
    }
    f >> e.uptime;
    if (section == kWorkers) out.workers.push_back(e);
    if (section == kOld) out.old_workers.push_back(e);
  }
  if (!have_master) return std::nullopt;
  return out;
}

MasterCli::MasterCli(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {}

ProcList MasterCli::show_proc() const {
  std::string text = cli_exchange(path_, "show proc", timeout_);
  auto p = parse_show_proc(text);
  if (!p) throw CliSocketError(path_ + ": unexpected answer to show proc: " + text.substr(0, 200));
  return *p;
}

ReloadOutcome MasterCli::reload_and_confirm(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ReloadOutcome r;
  const ProcList before = show_proc();
  try {
    cli_exchange(path_, "reload", timeout_);
  } catch (const CliSocketError&) {
    // The master may close the connection abruptly while it re-executes; show proc decides.
  }
  auto was_worker = [&](int pid) {
    return std::any_of(before.workers.begin(), before.workers.end(), [&](const ProcEntry& w) { return w.pid == pid; });
  };
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    try {
      r.after = show_proc();
    } catch (const CliSocketError& e) {
      last_error = e.what();  // the master is busy re-executing
      continue;
    }
    if (r.after.master.reloads <= before.master.reloads) continue;
    if (r.after.failed_reloads > 0) {
      r.failed = true;
      r.detail = "HAProxy could not load the new configuration; the previous worker keeps serving";
      return r;
    }
    if (!r.after.workers.empty() && !was_worker(r.after.workers.front().pid)) {
      r.confirmed = true;
      return r;
    }
  }
  r.detail = "no reload outcome from the master in " + std::to_string(timeout.count()) + " ms" +
             (last_error.empty() ? "" : " (" + last_error + ")");
  return r;
}

}  // namespace edgelb::haproxy
