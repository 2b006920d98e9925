// Instance claims: how the agents of a cluster share out a pool's `count` instances without a
// scheduler. Slot k of pool P is the ephemeral znode <root>/pools/P/instances/instance-<k>
// (k < count); the agent holding it runs that instance and keeps its registration there (the
// data GetPoolStatus and `edgelbctl status` show). When an agent dies its session expires,
// ZooKeeper deletes its znodes, and another admitted agent (watching the instances) claims the
// freed slot. When `count` shrinks, agents holding slots >= count release them (highest
// first); when it grows, waiting agents claim the new ones.
//
// Placement (placement.h) is checked against the nodes holding the other slots, read from
// their registrations ("host", "attributes"). Checking and claiming are two steps: two agents
// admitted at the same moment by UNIQUE on an attribute may both claim; the next reconcile of
// the later one (higher slot) sees the conflict and releases.
//
// After a session expiry the claim is taken again if the slot is still free; if another agent
// took it meanwhile, the claim is lost. Not thread-safe: one reconcile loop owns an
// InstanceClaim; ZooKeeper unavailable leaves the claim as it was (the instance keeps serving).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/collaborators.h"
#include "agent/placement.h"
#include "zk/zk_client.h"

namespace edgelb::cp {

std::string instance_node_name(int slot);  // "instance-<k>"

class InstanceClaim final : public PoolClaim {
 public:
  // `pool_path` is <root>/pools/<pool>.
  InstanceClaim(ZkClient& zk, std::string pool_path, NodeIdentity node);
  ~InstanceClaim() override;
  InstanceClaim(const InstanceClaim&) = delete;
  InstanceClaim& operator=(const InstanceClaim&) = delete;

  Outcome reconcile(int64_t count, const std::string& role,
                    const std::vector<PlacementConstraint>& constraints) override;

  // The registration data (host and attributes are added); written now if a slot is held, and
  // on every later claim.
  void publish(nlohmann::json registration) override;
  // The configuration the instance runs (its haproxy.cfg, `hash` its SHA-256), for `edgelbctl
  // lb-config`: the ephemeral <pool>/running/instance-<k> beside the registration,
  // {"configHash", "bytes", "config"} (the text left out past kMaxRunningConfigBytes), written
  // now if a slot is held and on every later claim. The `running` folder is created when
  // missing, never the pool itself.
  // False when ZooKeeper did not take it (the caller tries again with the next change).
  bool publish_config(const std::string& config, const std::string& hash) override;
  void release() override;
  std::optional<int> held() const override { return slot_; }

  static constexpr size_t kMaxRunningConfigBytes = 900 * 1024;  // under ZooKeeper's 1 MiB jute.maxbuffer

 private:
  int create(int slot);
  bool write_config(int slot);
  std::string path(int slot) const { return pool_path_ + "/instances/" + instance_node_name(slot); }
  std::string running_path(int slot) const { return pool_path_ + "/running/" + instance_node_name(slot); }

  ZkClient& zk_;
  const std::string pool_path_;
  const NodeIdentity node_;
  std::optional<int> slot_;
  nlohmann::json registration_ = nlohmann::json::object();
  std::optional<std::pair<std::string, std::string>> config_;  // (text, hash)
};

}  // namespace edgelb::cp
