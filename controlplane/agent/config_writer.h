// Rewrites a pool instance's haproxy.cfg off the reconcile loop. After a membership change
// the runtime API has already made HAProxy current; the file only has to catch up (the next
// reload reads it; after a restart the instance reloads from the current state anyway), and
// rendering a large pool takes long enough (see perf/bench.sh agent) that the loop must not
// wait for it. The newest request replaces older pending ones; one render runs at a time, at
// most one per `min_interval`, so a burst of changes costs one render; hold() around a reload
// voids whatever was requested before it, so an older rendering never overwrites the file a
// reload wrote. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace edgelb::cp {

class ConfigWriter {
 public:
  using Render = std::function<std::string()>;
  using Write = std::function<void(const std::string&)>;
  explicit ConfigWriter(Write write, std::chrono::milliseconds min_interval = std::chrono::milliseconds(1000));
  ~ConfigWriter();  // drops what is pending; waits for a running write
  ConfigWriter(const ConfigWriter&) = delete;
  ConfigWriter& operator=(const ConfigWriter&) = delete;

  void request(Render render);
  // Held while the caller replaces the file itself (a reload): pending and running renders are
  // void.
  std::unique_lock<std::mutex> hold();
  void flush();  // waits until nothing is pending or running
  uint64_t writes() const;

 private:
  void run();
  Write write_;
  const std::chrono::milliseconds min_interval_;
  std::chrono::steady_clock::time_point last_write_{};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Render pending_;
  bool busy_ = false, stop_ = false;
  uint64_t generation_ = 0, writes_ = 0;
  std::thread thread_;
};

}  // namespace edgelb::cp
