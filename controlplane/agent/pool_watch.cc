#include "agent/pool_watch.h"

namespace edgelb::cp {

PoolWatch::PoolWatch(ZkClient& zk, std::string root, PoolChanged on_pool, ListChanged on_list)
    : zk_(zk), root_(std::move(root)), on_pool_(std::move(on_pool)), on_list_(std::move(on_list)) {
  list_id_ = zk_.watch_children(root_ + "/pools", [this](const std::optional<std::vector<std::string>>& kids) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (kids)
        pools_ = std::set<std::string>(kids->begin(), kids->end());
      else
        pools_ = std::set<std::string>{};
    }
    on_list_();
  });
}

PoolWatch::~PoolWatch() {
  zk_.unwatch(list_id_);
  std::map<std::string, Tracked> all;
  {
    std::lock_guard<std::mutex> g(mu_);
    all.swap(tracked_);
  }
  for (auto& [pool, t] : all) {
    for (int id : t.ids) zk_.unwatch(id);
    for (int id : t.secret_ids) zk_.unwatch(id);
  }
}

std::optional<std::set<std::string>> PoolWatch::pools() const {
  std::lock_guard<std::mutex> g(mu_);
  return pools_;
}

void PoolWatch::track(const std::string& pool, const std::vector<std::string>& secret_names) {
  const std::string base = root_ + "/pools/" + pool;
  auto fire_data = [this, pool](const std::optional<ZkNode>&) { on_pool_(pool); };
  std::vector<int> old_secret_ids;
  bool fresh = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = tracked_.find(pool);
    if (it != tracked_.end() && it->second.secrets == secret_names) return;
    fresh = it == tracked_.end();
    if (!fresh) old_secret_ids.swap(it->second.secret_ids);
  }
  std::vector<int> ids;
  if (fresh) {
    ids.push_back(zk_.watch_data(base, fire_data));
    ids.push_back(zk_.watch_data(base + "/template", fire_data));
    ids.push_back(zk_.watch_data(base + "/secrets/autocert", fire_data));
    ids.push_back(zk_.watch_children(base + "/instances",
                                     [this, pool](const std::optional<std::vector<std::string>>&) { on_pool_(pool); }));
  }
  std::vector<int> secret_ids;
  for (const auto& s : secret_names) secret_ids.push_back(zk_.watch_data(root_ + "/secrets/" + s, fire_data));
  for (int id : old_secret_ids) zk_.unwatch(id);
  std::lock_guard<std::mutex> g(mu_);
  Tracked& t = tracked_[pool];
  if (fresh) t.ids = std::move(ids);
  t.secrets = secret_names;
  t.secret_ids = std::move(secret_ids);
}

void PoolWatch::untrack(const std::string& pool) {
  Tracked t;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = tracked_.find(pool);
    if (it == tracked_.end()) return;
    t = std::move(it->second);
    tracked_.erase(it);
  }
  for (int id : t.ids) zk_.unwatch(id);
  for (int id : t.secret_ids) zk_.unwatch(id);
}

}  // namespace edgelb::cp
