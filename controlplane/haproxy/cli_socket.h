// One exchange with an HAProxy command socket (the runtime API's stats socket, or the master
// CLI): connect, send the command line, half-close, read the answer until HAProxy closes.
// Both sockets are unix sockets in the instance's private run directory.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace edgelb::haproxy {

struct CliSocketError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws CliSocketError naming the socket on connect, I/O or timeout failures.
std::string cli_exchange(const std::string& socket_path, const std::string& command_line,
                         std::chrono::milliseconds timeout);

}  // namespace edgelb::haproxy
