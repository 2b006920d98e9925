// HAProxy's runtime API (the worker's stats socket at admin level): membership changes
// without a reload. A slot (server_slots.h) moves between states with these commands:
//   free -> serving:      set server B/S addr A port P; [health up;] state ready
//                         (dynamic: add server B/S A:P <options>; [enable health B/S; health up;] state ready)
//   free -> not ready:    set server B/S addr A port P; state maint
//                         (dynamic: add server ...; [enable health B/S]: it is created in maintenance)
//   serving <-> not ready: state drain / [health up;] state ready
//   serving -> draining:  state drain      (the task is gone; established connections finish)
//   draining -> free:     state maint      (the owner releases the slot; a dynamic server is
//                                           then deleted: del_server_command())
// `health up` is sent only to servers with health checks: Mesos already said the task is
// ready, HAProxy's own checks then continue from UP instead of waiting for `rise` passes.
// A batch goes out as one command line ("a; b; c"), which HAProxy runs in order.
//
// RuntimeApi is a thin client: each call is one connection. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "haproxy/server_slots.h"

namespace edgelb::haproxy {

// One row of `show servers state` (format 1).
struct ServerState {
  std::string backend, server, address;
  uint32_t port = 0;
  int op_state = 0;     // 0 stopped, 1 starting, 2 running, 3 stopping
  int admin_state = 0;  // bit field: 0x01 forced maint, 0x04 config maint, 0x08 forced drain, ...
  uint32_t weight = 0;  // current (user) weight
  bool in_maintenance() const { return (admin_state & 0x23) != 0; }  // FMAINT | IMAINT | RMAINT
  bool draining() const { return (admin_state & 0x18) != 0; }        // FDRAIN | IDRAIN
  bool serving() const { return op_state == 2 && !in_maintenance() && !draining(); }
};

struct RuntimeResult {
  bool ok = true;
  std::string errors;  // what HAProxy refused, one line per refusal
};

// The commands that move slot `server` of `backend` from `before` to `after`. `add_options`:
// for a slot of a dynamic group, the options of its `add server` line (server_options()); null
// for fixed slots.
std::vector<std::string> slot_commands(const std::string& backend, const std::string& server, const Slot& before,
                                       const Slot& after, bool health_checked,
                                       const std::string* add_options = nullptr);
// `del server B/S`: HAProxy refuses it while the server (in maintenance) still has
// connections, active or idle; the caller tries again later.
std::string del_server_command(const std::string& backend, const std::string& server);

std::vector<ServerState> parse_servers_state(const std::string& text);

// The part of a `show servers state` dump that may carry over into `config`: rows of servers
// that `config` declares at the same address and port. A slot that holds another server (or
// none) in the new configuration starts from what the configuration says, not from the state
// of the server it held before (HAProxy would restore its port and admin state).
std::string carry_over_server_state(const std::string& state, const std::string& config);

class RuntimeApi {
 public:
  explicit RuntimeApi(std::string socket_path, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Runs `commands` as one batch. Throws CliSocketError when HAProxy cannot be reached;
  // commands HAProxy refuses are in the result.
  RuntimeResult run(const std::vector<std::string>& commands) const;
  std::string execute(const std::string& command_line) const;

  // `show servers state [backend]`, raw (what server-state-file holds) or parsed.
  std::string servers_state_text(const std::string& backend = "") const;
  std::vector<ServerState> servers_state(const std::string& backend = "") const;

  const std::string& socket_path() const { return path_; }

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace edgelb::haproxy
