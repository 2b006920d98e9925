// Running a helper program to completion (haproxy -c): argv, no shell, stdout and stderr
// captured together, bounded in time and output. On timeout the child (and only it, by PID)
// gets SIGKILL. Thread-safe; blocks the caller.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace edgelb::cp {

struct CommandResult {
  int exit_code = -1;  // the exit status; 128+N when killed by signal N; -1: could not start
  bool timed_out = false;
  std::string output;  // stdout + stderr, at most `max_output` bytes
};

// `inherit`: (number in the child, our descriptor) pairs the child gets; ours must not be
// below the largest child number (dup2 order).
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          size_t max_output = 1 << 20, const std::vector<std::pair<int, int>>& inherit = {});

}  // namespace edgelb::cp
