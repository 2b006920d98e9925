// A real ZooKeeper server (Debian `zookeeper`, standalone) for tests: its own data directory
// and a free loopback port, started in about a second; stop()/start() restart it on the same
// port and data (sessions survive a short outage, as they would in production).
// The test owns the process: it is killed by PID, never by name, and dies with the test
// process even when that crashes (PR_SET_PDEATHSIG). Not thread-safe.
#pragma once

#include <zookeeper/zookeeper.h>

#include <sys/types.h>
#include <string>

namespace edgelb::test {

class ZkServer {
 public:
  ZkServer();   // starts; throws std::runtime_error (with the server log's tail) on failure
  ~ZkServer();  // kills the server and removes its directory
  ZkServer(const ZkServer&) = delete;
  ZkServer& operator=(const ZkServer&) = delete;

  void stop();   // SIGKILL, as a crash would
  void start();  // same port, same data

  std::string hosts() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Expires `id`'s session the way ZooKeeper's own tests do: a second handle attaches to the
  // session with its password and closes it; then attaches again until the server answers that
  // the session is expired (under load the owner's reconnect can take the session back before
  // the close arrives, or the second handle may not connect in time). Throws after 10 tries.
  void expire_session(const clientid_t& id) const;

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace edgelb::test
