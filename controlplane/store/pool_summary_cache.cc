#include "store/pool_summary_cache.h"

#include <map>
#include <mutex>
#include <set>

namespace edgelb::cp {

struct PoolSummaryCache::State : std::enable_shared_from_this<PoolSummaryCache::State> {
  struct Pool {
    bool read = false;                   // its record has been read
    std::optional<PoolSummary> summary;  // nullopt until read, or when the record is unreadable
    size_t instances = 0;
    int record_watch = 0, instances_watch = 0;
  };

  State(ZkClient& zk, std::string path) : zk(zk), pools_path(std::move(path)) {}

  ZkClient& zk;
  const std::string pools_path;
  mutable std::mutex mu;
  std::map<std::string, Pool> pools;
  bool listed = false;  // the pools' children watch has answered since the last rebuild
  bool stopped = false;
  int children_watch = 0;
  bool was_down = false;
  uint64_t rebuilds = 0;

  std::string pool_path(const std::string& name) const { return pools_path + "/" + name; }

  // Lock held. A pool's record (PoolRecord JSON) read or written; an unreadable record is read
  // but not listed (as PoolStore::list skips it).
  static void take_record(const std::string& name, Pool& p, const std::string& record_json) {
    p.read = true;
    p.summary = summarize_record(name, record_json, p.instances);
  }

  bool complete() const {  // lock held
    if (!listed) return false;
    for (const auto& [name, p] : pools)
      if (!p.read) return false;
    return true;
  }

  // Lock held. Starts watching a pool newly listed under <root>/pools.
  void track(const std::string& name) {
    std::weak_ptr<State> weak = weak_from_this();
    Pool& p = pools[name];
    p.record_watch = zk.watch_data(pool_path(name), [weak, name](const std::optional<ZkNode>& node) {
      if (auto s = weak.lock()) s->on_record(name, node);
    });
    p.instances_watch = zk.watch_children(pool_path(name) + "/instances",
                                          [weak, name](const std::optional<std::vector<std::string>>& kids) {
                                            if (auto s = weak.lock()) s->on_instances(name, kids);
                                          });
  }

  void untrack(std::map<std::string, Pool>::iterator it) {  // lock held
    zk.unwatch(it->second.record_watch);
    zk.unwatch(it->second.instances_watch);
    pools.erase(it);
  }

  void on_pools(const std::optional<std::vector<std::string>>& names) {
    std::lock_guard l(mu);
    // While down, a read that waited for the connection (or the new session's first round of
    // reads) may answer before the rebuild: listing now would answer with records not read
    // again. The rebuild lists afresh.
    if (stopped || was_down) return;
    std::set<std::string> now;
    if (names) now.insert(names->begin(), names->end());
    for (auto it = pools.begin(); it != pools.end();) {
      auto next = std::next(it);
      if (!now.count(it->first)) untrack(it);
      it = next;
    }
    for (const auto& n : now)
      if (!pools.count(n)) track(n);
    listed = true;
  }

  void on_record(const std::string& name, const std::optional<ZkNode>& node) {
    std::lock_guard l(mu);
    auto it = pools.find(name);
    if (stopped || it == pools.end()) return;
    if (!node) {  // deleted: the children watch removes it; until then it is not listed
      untrack(it);
      return;
    }
    take_record(name, it->second, node->data);
  }

  void on_instances(const std::string& name, const std::optional<std::vector<std::string>>& kids) {
    std::lock_guard l(mu);
    auto it = pools.find(name);
    if (stopped || it == pools.end()) return;
    it->second.instances = kids ? kids->size() : 0;
    if (it->second.summary) it->second.summary->instances = it->second.instances;
  }

  // Lock held. Drops everything and watches afresh: every record is read again before list()
  // answers.
  void rebuild() {
    if (stopped) return;
    for (auto it = pools.begin(); it != pools.end();) {
      auto next = std::next(it);
      untrack(it);
      it = next;
    }
    if (children_watch) zk.unwatch(children_watch);
    listed = false;
    ++rebuilds;
    std::weak_ptr<State> weak = weak_from_this();
    children_watch = zk.watch_children(pools_path, [weak](const std::optional<std::vector<std::string>>& names) {
      if (auto s = weak.lock()) s->on_pools(names);
    });
  }

  // After an outage the notifications for what changed meanwhile arrive only after the
  // reconnect: until every record is read again, list() answers from ZooKeeper.
  void on_connection(bool up) {
    std::lock_guard l(mu);
    if (stopped) return;
    if (!up) {
      was_down = true;
      listed = false;  // answer from ZooKeeper until rebuilt
    } else if (was_down) {
      was_down = false;
      rebuild();
    }
  }
};

PoolSummaryCache::PoolSummaryCache(ZkClient& zk, std::string pools_path)
    : state_(std::make_shared<State>(zk, std::move(pools_path))), zk_(zk) {
  std::weak_ptr<State> weak = state_;
  zk_.on_connection_change([weak](bool up) {
    if (auto s = weak.lock()) s->on_connection(up);
  });
  std::lock_guard l(state_->mu);
  state_->rebuild();
}

PoolSummaryCache::~PoolSummaryCache() {
  std::lock_guard l(state_->mu);
  state_->stopped = true;
  for (auto& [name, p] : state_->pools) {
    zk_.unwatch(p.record_watch);
    zk_.unwatch(p.instances_watch);
  }
  zk_.unwatch(state_->children_watch);
}

bool PoolSummaryCache::list(std::vector<PoolSummary>* out) const {
  std::lock_guard l(state_->mu);
  if (!state_->complete()) return false;
  out->clear();
  out->reserve(state_->pools.size());
  for (const auto& [name, p] : state_->pools)  // std::map: sorted by name
    if (p.summary) out->push_back(*p.summary);
  return true;
}

void PoolSummaryCache::put(const std::string& name, const std::string& record_json) {
  std::lock_guard l(state_->mu);
  if (state_->stopped) return;
  auto it = state_->pools.find(name);
  if (it == state_->pools.end()) {
    state_->track(name);  // a new pool: its watches confirm it (and count its instances)
    it = state_->pools.find(name);
  }
  State::take_record(name, it->second, record_json);
}

void PoolSummaryCache::forget(const std::string& name) {
  std::lock_guard l(state_->mu);
  auto it = state_->pools.find(name);
  if (!state_->stopped && it != state_->pools.end()) state_->untrack(it);
}

uint64_t PoolSummaryCache::rebuilds() const {
  std::lock_guard l(state_->mu);
  return state_->rebuilds;
}

}  // namespace edgelb::cp
