// The seams of the agent's reconcile loop (agent.h): everything it talks to, as small
// interfaces, so that the loop's logic runs in unit tests against fakes and the production
// pieces stay where they are:
//   PoolSource       the pools, their inputs and the instance claims (ZooKeeper:
//                    zk_pool_source.h over PoolStore, PoolWatch and InstanceClaim)
//   EndpointsSource  each served pool's endpoints, pushed (the mesos-listener's
//                    WatchEndpoints: endpoints_watch.h)
//   DataplaneSink    the node's fast-path table (edgelb-dataplane: dataplane_sync.h)
//   HealthProber     active health checks of fast-path backends (health_checker.h)
//   HaproxyDriver    one HAProxy per pool instance (haproxy/haproxy_driver.h, in
//                    InstanceOptions)
// A route announcer (BGP, for scale-out) is the next seam of this kind.
//
// Threading: the loop calls every method from its one thread. The `wake` callbacks given to
// the factories may run on any thread; they only record and wake the loop (they must not call
// back into the collaborator). Ownership: the agent owns what the factories return.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent_config.h"
#include "agent/fastpath_plan.h"
#include "agent/placement.h"
#include "agent/pool_inputs.h"
#include "dataplane/service/service_spec.h"
#include "haproxy/haproxy_driver.h"
#include "haproxy/server_slots.h"

namespace edgelb::cp {

struct ClaimOutcome {
  std::optional<int> slot;  // the slot held now
  std::string why;          // why none is held (placement, all slots taken, lost, ZooKeeper down)
  bool zk_unavailable = false;
  // A slot is held by this node's name under another session: this node's previous life (an
  // agent restarted before ZooKeeper expired its old session). Keep serving; the slot frees
  // when that session expires and the instances watch fires.
  bool held_by_previous_self = false;
};

// One pool's share of instances: the slot this node holds, and what it publishes there. The
// contract is InstanceClaim's (claims.h), which implements it.
class PoolClaim {
 public:
  using Outcome = ClaimOutcome;
  virtual ~PoolClaim() = default;
  virtual Outcome reconcile(int64_t count, const std::string& role,
                            const std::vector<PlacementConstraint>& constraints) = 0;
  virtual void publish(nlohmann::json registration) = 0;
  virtual bool publish_config(const std::string& config, const std::string& hash) = 0;
  virtual void release() = 0;
  virtual std::optional<int> held() const = 0;
};

class PoolSource {
 public:
  struct Events {
    std::function<void(const std::string& pool)> pool_changed;  // re-read this pool
    std::function<void()> list_changed;                         // pools were added or deleted
    std::function<void()> connection_changed;                   // connected, lost, a new session
  };
  virtual ~PoolSource() = default;
  // The pools that exist, as last seen; nullopt until the source has answered once (the agent
  // serves its cache meanwhile).
  virtual std::optional<std::set<std::string>> pools() = 0;
  // Sessions opened so far: a new one means claims were lost with the old one, so every pool
  // is read and claimed again.
  virtual uint64_t sessions() const = 0;
  virtual bool connected() const = 0;
  virtual PoolInputsRead read(const std::string& pool) = 0;
  // Report changes of this pool's inputs, and of the operator secrets it names.
  virtual void track(const std::string& pool, const std::vector<std::string>& secret_names) = 0;
  virtual void untrack(const std::string& pool) = 0;
  virtual std::unique_ptr<PoolClaim> claim(const std::string& pool) = 0;
  // Ends the session (the claims go with it); called once, after the claims were destroyed.
  virtual void close() = 0;
};

struct PoolEndpoints {
  int64_t version = 0;                   // the pool version they were selected for
  uint64_t revision = 0;                 // the Mesos model revision the selection saw
  haproxy::EndpointsByService backends;  // haproxy.backends[i].services[j], fastPath.vips[i].services[j]
};

// Endpoints flow one way: the agent subscribes to the pool versions it serves, the source
// pushes their endpoint sets as they change (and wakes the loop); the agent never sends a
// pool config.
class EndpointsSource {
 public:
  virtual ~EndpointsSource() = default;
  // Follow `pool` at this stored version (replaces an earlier version of it).
  virtual void subscribe(const std::string& pool, int64_t version) = 0;
  virtual void unsubscribe(const std::string& pool) = 0;
  // The latest endpoints pushed for `pool` at `version`, keyed by service path
  // ("haproxy.backends[i].services[j]", "fastPath.vips[i].services[j]"); nullopt until they
  // arrive, or (with `error`) when the source cannot select for that version. The agent keeps
  // what it has meanwhile. The value is shared and immutable: asking again costs no copy.
  virtual std::shared_ptr<const PoolEndpoints> latest(const std::string& pool, int64_t version, std::string* error) = 0;
  virtual bool connected() const = 0;
};

struct DataplaneSyncStatus {
  bool connected = false;      // the last call reached the dataplane
  bool in_sync = false;        // the live table is what we wrote, at table_version
  uint64_t table_version = 0;  // the dataplane's version after our last change (or adoption)
  uint64_t generation = 0;     // the set_desired() generation that table_version carries
  uint64_t calls = 0, resyncs = 0;
  std::map<std::string, std::string> refused;  // service name -> the dataplane's reason
  std::string last_error;
};

class DataplaneSink {
 public:
  virtual ~DataplaneSink() = default;
  // The table the node's dataplane should serve (DataplaneSync::set_desired).
  virtual uint64_t set_desired(std::vector<ServiceSpec> services) = 0;
  virtual DataplaneSyncStatus status() const = 0;
};

class HealthProber {
 public:
  virtual ~HealthProber() = default;
  virtual void set_targets(const std::vector<HealthTarget>& targets) = 0;
  virtual HealthVerdicts verdicts() const = 0;
  virtual uint64_t checks_run() const = 0;
};

// How the agent makes its collaborators; each factory gets the callback that wakes the loop.
struct AgentCollaborators {
  using Wake = std::function<void()>;
  std::function<std::unique_ptr<PoolSource>(PoolSource::Events)> pools;
  std::function<std::unique_ptr<EndpointsSource>(Wake)> endpoints;
  std::function<std::unique_ptr<DataplaneSink>(Wake)> dataplane;  // empty: no fast path
  std::function<std::unique_ptr<HealthProber>(Wake)> health;      // empty: no active checks
  haproxy::HaproxyDriverFactory haproxy;                          // empty: haproxy::Supervisor

  // The real ones, as `config` asks: ZooKeeper, the apiserver's mesos-listener, the dataplane
  // at dataplane.control_socket (with health checks unless turned off), HAProxy. Throws
  // std::runtime_error for a secret key file it cannot read.
  static AgentCollaborators production(const AgentConfig& config);
};

}  // namespace edgelb::cp
