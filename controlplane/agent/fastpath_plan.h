// What the agent wants the node's edgelb-dataplane to serve, computed from the pools it serves
// (pure; the dataplane_sync.h thread pushes it):
//  - every fastPath.vips[] entry becomes an L4 service "<pool>/<vip name>" (address, port,
//    protocol, forwarding, GUE port, MSS clamp) whose backends are the endpoints its selectors
//    select now: weight from the selector's `endpoint.miscStr` (ServiceSelectorSpec::weight), state
//    drain while Mesos says the task is not ready (killing, unhealthy), down while the active
//    health check says it fails (health.h's rule), gone when the task is gone;
//  - every HAProxy frontend becomes a `forwarding: l7` service "<pool>/<frontend name>" at its
//    bindAddress:bindPort (0.0.0.0 / "": the node's address; port 0: the allocated one), so the
//    dataplane punts its traffic to the kernel where HAProxy listens.
// A VIP (address, port, protocol) belongs to the pool that claimed it first; a later pool that
// claims it too is refused for that VIP, and both pools' errors say so. A VIP whose input is bad
// (an endpoint of the other address family for DSR/NAT, a host name, a tunnel/DSR endpoint on
// another port) is refused with an error and keeps what it had (the last good spec), so bad
// input changes nothing that serves.
// Not thread-safe: one planner per agent loop.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataplane/service/service_spec.h"
#include "haproxy/server_slots.h"
#include "pool/pool_model.h"

namespace edgelb::cp {

// One pool as the planner sees it (pointers valid for the call).
struct FastPathPoolInput {
  std::string name;
  const PoolModel* model = nullptr;
  const haproxy::EndpointsByService* endpoints = nullptr;  // incl. "fastPath.vips[i].services[j]"
  const std::map<std::string, uint32_t>* ports = nullptr;  // allocated ports ("haproxy.frontends[i]")
};

// An active health check the plan asks for: one per (service, backend).
struct HealthTarget {
  std::string service, backend;  // service name, backend identity ("<address>:<port>")
  std::string address;           // IP literal
  uint32_t port = 0;
  VipHealthCheck check;
  bool operator==(const HealthTarget&) const = default;
  std::string key() const { return service + "|" + backend; }
};

struct PlannedService {
  std::string pool;
  std::string path;  // "fastPath.vips[0]" or "haproxy.frontends[1]"
  ServiceSpec spec;
  bool operator==(const PlannedService&) const = default;
};

struct FastPathPlan {
  std::vector<PlannedService> services;                    // sorted by spec.name
  std::map<std::string, std::vector<std::string>> errors;  // pool -> problems ("path: reason")
  std::vector<HealthTarget> checks;
  std::map<std::string, std::string> owner_of;  // service name -> pool
};

// Health verdicts by HealthTarget::key(): true passing, false failing; absent: not known yet.
using HealthVerdicts = std::map<std::string, bool>;

class FastPathPlanner {
 public:
  explicit FastPathPlanner(std::string node_address) : node_address_(std::move(node_address)) {}
  FastPathPlan plan(const std::vector<FastPathPoolInput>& pools, const HealthVerdicts& health);

 private:
  std::string node_address_;
  std::map<std::string, std::string> owners_;        // VIP key -> the pool that claimed it first
  std::map<std::string, PlannedService> last_good_;  // service name -> its last valid plan
};

}  // namespace edgelb::cp
