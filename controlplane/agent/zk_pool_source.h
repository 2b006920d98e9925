// The agent's pools from ZooKeeper (collaborators.h's PoolSource): a connector thread opens the
// session in the background (retrying every second, so the agent serves its cache while
// ZooKeeper is away) and hands it to the reconcile loop, which then reads pools through
// PoolStore (secrets opened with the agent's key), watches them with PoolWatch and claims
// instances with InstanceClaim. Methods other than the constructor and the destructor run on
// the loop's thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/agent_config.h"
#include "agent/collaborators.h"
#include "agent/pool_watch.h"
#include "crypto/secret_box.h"
#include "store/pool_store.h"
#include "zk/zk_client.h"

namespace edgelb::cp {

class ZkPoolSource final : public PoolSource {
 public:
  // Throws std::runtime_error for a secret key or digest file it cannot read. Starts
  // connecting at once.
  ZkPoolSource(const AgentConfig& config, Events events);
  ~ZkPoolSource() override;
  ZkPoolSource(const ZkPoolSource&) = delete;
  ZkPoolSource& operator=(const ZkPoolSource&) = delete;

  std::optional<std::set<std::string>> pools() override;
  uint64_t sessions() const override { return zk_ ? zk_->sessions_opened() : 0; }
  bool connected() const override { return zk_ && zk_->connected(); }
  PoolInputsRead read(const std::string& pool) override;
  void track(const std::string& pool, const std::vector<std::string>& secret_names) override;
  void untrack(const std::string& pool) override;
  std::unique_ptr<PoolClaim> claim(const std::string& pool) override;
  void close() override;

 private:
  void connect();  // the connector thread
  void adopt();    // takes the session the connector opened, on the loop's thread

  const std::string connect_string_, root_, digest_;  // digest_: "user:password" or ""
  const std::chrono::milliseconds session_timeout_;
  const NodeIdentity node_;
  const Events events_;
  std::optional<SecretBox> secrets_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::unique_ptr<ZkClient> pending_;  // opened by the connector, not adopted yet

  std::unique_ptr<ZkClient> zk_;
  std::unique_ptr<PoolStore> store_;
  std::unique_ptr<PoolWatch> watch_;
  std::thread connector_;
};

}  // namespace edgelb::cp
