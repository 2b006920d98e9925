// Every pool's summary (what ListPools answers) kept in memory from ZooKeeper watches, so that
// listing 1000 pools reads nothing from ZooKeeper. ZooKeeper stays the truth:
//  - a children watch on <root>/pools, and per pool a data watch on its record and a children
//    watch on its instances, keep the copy current (ZkClient re-arms them on a new session);
//  - until every listed pool's record has arrived — at start, and after each disconnection or
//    session expiry, when the cache is rebuilt from scratch — list() answers false and the
//    caller reads ZooKeeper itself (PoolStore::list);
//  - put()/forget() apply this process's own writes at once (no extra read), so a writer's
//    next list sees them without waiting for the watch.
// Thread-safety: all methods may be called from any thread; watch callbacks run on the
// ZkClient's maintenance thread. Destruction stops the watches; a callback still running then
// finishes on state it co-owns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/pool_summary.h"
#include "zk/zk_client.h"

namespace edgelb::cp {

class PoolSummaryCache {
 public:
  // `pools_path` is <root>/pools. Starts watching at once.
  PoolSummaryCache(ZkClient& zk, std::string pools_path);
  ~PoolSummaryCache();
  PoolSummaryCache(const PoolSummaryCache&) = delete;
  PoolSummaryCache& operator=(const PoolSummaryCache&) = delete;

  // The summaries sorted by name; false while (re)building.
  bool list(std::vector<PoolSummary>* out) const;
  // The record this process just wrote (PoolRecord JSON); the instance count is kept.
  void put(const std::string& name, const std::string& record_json);
  // Drops one pool now (after this process deleted it).
  void forget(const std::string& name);

  // For tests and metrics: how many times the cache was built from scratch.
  uint64_t rebuilds() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  ZkClient& zk_;
};

}  // namespace edgelb::cp
