// Listening sockets that outlive HAProxy: the agent opens a pool's frontend listeners and
// HAProxy inherits them (`bind fd@<n>`), so a worker or master that dies, and the restart
// after it, cost clients a short wait in the accept queue instead of refused connections (the
// systemd socket-activation pattern). Supervisor owns one ListenerSet.
// Not thread-safe (the supervisor's lock guards it).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace edgelb::haproxy {

class ListenerSet {
 public:
  ListenerSet() = default;
  ~ListenerSet();
  ListenerSet(const ListenerSet&) = delete;
  ListenerSet& operator=(const ListenerSet&) = delete;

  // The socket listening on `bind` ("0.0.0.0:80", "198.18.0.2:80", "[::]:443"), opened when
  // not held yet (SO_REUSEADDR, close-on-exec, at fd >= kFirstHeldFd). nullopt (and `error`)
  // when it cannot listen: HAProxy then binds the address itself and reports why.
  std::optional<int> hold(const std::string& bind, std::string* error = nullptr);
  bool holds(const std::string& bind) const { return fds_.count(bind) > 0; }
  // The backlog of sockets opened from now on (the kernel caps it at net.core.somaxconn;
  // HAProxy's `backlog` does not change a socket it inherits already listening).
  void set_backlog(int backlog) { backlog_ = backlog > 0 ? backlog : 4096; }
  // Stops listening for every holder (shutdown) and closes our copy.
  void release(const std::string& bind);

  static constexpr int kFirstHeldFd = 512;  // our copies; HAProxy's numbers are below (kFirstInheritedFd)
  static constexpr int kFirstInheritedFd = 200;

 private:
  std::map<std::string, int> fds_;
  int backlog_ = 4096;
};

}  // namespace edgelb::haproxy
