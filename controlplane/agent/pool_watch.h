// The agent's ZooKeeper watches: the list of pools, and for every pool it tracks the znodes its
// inputs come from (the pool record, its template, its autoCertificate, its instance claims,
// and the operator secrets its config names). Watches only say *which* pool changed; the
// reconcile loop then re-reads that pool (pool_inputs.h), so a burst of changes costs one
// read. Callbacks run on ZkClient's maintenance thread and must only record and wake.
// ZkClient re-arms every watch after reconnects and session expiry (and fires it once then).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zk/zk_client.h"

namespace edgelb::cp {

class PoolWatch {
 public:
  using PoolChanged = std::function<void(const std::string& pool)>;
  using ListChanged = std::function<void()>;
  PoolWatch(ZkClient& zk, std::string root, PoolChanged on_pool, ListChanged on_list);
  ~PoolWatch();
  PoolWatch(const PoolWatch&) = delete;
  PoolWatch& operator=(const PoolWatch&) = delete;

  // The pool names under <root>/pools as last seen; nullopt before the first answer.
  std::optional<std::set<std::string>> pools() const;
  // Watch the inputs of `pool`, including the operator secrets `secret_names`. Idempotent;
  // a changed secret list replaces the secret watches.
  void track(const std::string& pool, const std::vector<std::string>& secret_names);
  void untrack(const std::string& pool);

 private:
  struct Tracked {
    std::vector<int> ids;
    std::vector<std::string> secrets;
    std::vector<int> secret_ids;
  };
  ZkClient& zk_;
  const std::string root_;
  PoolChanged on_pool_;
  ListChanged on_list_;
  mutable std::mutex mu_;
  std::optional<std::set<std::string>> pools_;
  std::map<std::string, Tracked> tracked_;
  int list_id_ = -1;
};

}  // namespace edgelb::cp
