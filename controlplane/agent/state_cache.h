// The agent's memory across restarts, so that an agent restarted while ZooKeeper and the
// apiserver are both away serves what it served before. Per pool instance:
//   <state_dir>/pools/<pool>/state.json   (0600) the last good inputs (config, template,
//                                          opened secrets), endpoints, allocated ports, slot
//   <state_dir>/pools/<pool>/...          the HAProxy instance directory (supervisor.h)
// Writes are atomic (temporary file, fsync, rename), so a crash leaves the old or the new
// state, never a torn one. Thread-safe (no shared state beyond the file system).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/pool_inputs.h"
#include "haproxy/server_slots.h"

namespace edgelb::cp {

struct CachedInstance {
  PoolInputs inputs;
  haproxy::EndpointsByService endpoints;
  std::map<std::string, uint32_t> allocated_ports;
  std::optional<int> slot;  // the instance slot it held
  int64_t saved_at_unix_ms = 0;
};

class StateCache {
 public:
  explicit StateCache(std::string state_dir);

  std::string instance_dir(const std::string& pool) const;
  // Throws std::runtime_error naming the file when it cannot be written.
  void save(const CachedInstance& c) const;
  // Every cached instance; a file that does not read is reported in `errors` and skipped.
  std::vector<CachedInstance> load_all(std::vector<std::string>* errors) const;
  // Forgets a pool (its instance directory and state).
  void remove(const std::string& pool) const;

 private:
  std::string dir_;
};

// Writes `text` to `path` atomically with `mode` (the parent must exist).
void write_file_atomic(const std::string& path, const std::string& text, unsigned mode);

}  // namespace edgelb::cp
