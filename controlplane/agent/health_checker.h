// Active health checks of fast-path backends (fastPath.vips[].healthCheck), run by the agent
// from the host: the kernel routes them through the exception TAP and the dataplane to the
// backend, so they test the path new flows take.
//
// Kinds: TCP (the connect completes) and HTTP (GET <path> HTTP/1.0; a 2xx or 3xx status line
// passes, as HAProxy's httpchk). One check in flight per target; a target is checked every
// intervalSeconds, a check fails after timeoutSeconds.
// Verdicts: a new target has none (the plan trusts Mesos) until its first result, which sets it
// directly; after that healthyThreshold passes in a row make it pass and unhealthyThreshold
// failures in a row make it fail. The agent combines verdicts with Mesos (fastpath_plan.h): a
// failing backend is set down, so its flows move to other backends at once.
// One thread, non-blocking sockets and poll(). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/collaborators.h"
#include "agent/fastpath_plan.h"

namespace edgelb::cp {

class HealthChecker final : public HealthProber {
 public:
  // `on_change` runs on the checker thread when a verdict changes.
  explicit HealthChecker(std::function<void()> on_change);
  ~HealthChecker() override;
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // The targets to check now; others are forgotten (with their verdicts).
  void set_targets(const std::vector<HealthTarget>& targets) override;
  HealthVerdicts verdicts() const override;
  uint64_t checks_run() const override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Probe {
    HealthTarget target;
    Clock::time_point due{};
    Clock::time_point deadline{};
    int fd = -1;
    bool sent = false;
    std::string reply;
    int passes = 0, failures = 0;
  };
  void run();
  void start(Probe& p, Clock::time_point now);
  void finish(Probe& p, bool passed);
  void close_probe(Probe& p);

  std::function<void()> on_change_;
  mutable std::mutex mu_;
  bool stop_ = false;
  int wake_[2] = {-1, -1};                            // a pipe that interrupts poll()
  std::optional<std::vector<HealthTarget>> pending_;  // set_targets() for the thread to take
  HealthVerdicts verdicts_;
  std::map<std::string, Probe> probes_;  // by HealthTarget::key(); the thread's own
  uint64_t checks_ = 0;
  std::thread thread_;
};

}  // namespace edgelb::cp
