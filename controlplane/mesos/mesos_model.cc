#include "mesos/mesos_model.h"

#include <algorithm>

#include "mesos/marathon_id.h"

namespace edgelb::mesos {
namespace {

template <typename V>
bool same(const std::shared_ptr<const V>& a, const V& b) {
  return a && *a == b;
}

template <typename V>
const V* find_sorted(const std::vector<std::shared_ptr<const V>>& list, const std::string& id) {
  auto it =
      std::lower_bound(list.begin(), list.end(), id, [](const auto& p, const std::string& k) { return p->id < k; });
  return it != list.end() && (*it)->id == id ? it->get() : nullptr;
}

}  // namespace

const Agent* ModelView::agent(const std::string& id) const { return find_sorted(agents, id); }
const Framework* ModelView::framework(const std::string& id) const { return find_sorted(frameworks, id); }

MesosModel::MesosModel(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void MesosModel::record(Change c) {
  c.revision = ++revision_;
  log_.push_back(std::move(c));
  while (log_.size() > capacity_) log_.pop_front();
}

// Marathon ids only for tasks of a Marathon framework (an SDK task "<name>__<uuid>" parses as one).
void MesosModel::derive_marathon_id(const FrameworkMap& frameworks, Task* t) {
  auto f = frameworks.find(t->framework_id);
  MarathonTaskId id;
  if (f != frameworks.end() && is_marathon_framework(*f->second)) id = parse_marathon_task_id(t->task_id);
  t->app_id = std::move(id.app_id);
  t->container_name = std::move(id.container_name);
}

void MesosModel::upsert_task(Task t) {
  derive_marathon_id(frameworks_, &t);
  TaskKey key{t.framework_id, t.task_id};
  auto it = tasks_.find(key);
  if (it != tasks_.end() && *it->second == t) return;
  auto value = std::make_shared<const Task>(std::move(t));
  if (it == tasks_.end())
    tasks_.emplace(std::move(key), value);
  else
    it->second = value;
  record({0, Change::Kind::kTaskUpsert, std::move(value), nullptr, nullptr});
}

void MesosModel::remove_task(TaskMap::iterator it) {
  record({0, Change::Kind::kTaskRemove, it->second, nullptr, nullptr});
  tasks_.erase(it);
}

template <typename Map, typename Value>
void MesosModel::diff_replace(Map* current, Map next, Change::Kind upsert, Change::Kind remove,
                              std::shared_ptr<const Value> Change::*slot) {
  for (auto& [key, value] : *current)
    if (!next.count(key)) {
      Change c{0, remove, nullptr, nullptr, nullptr};
      c.*slot = value;
      record(std::move(c));
    }
  for (auto& [key, value] : next) {
    auto it = current->find(key);
    if (it != current->end() && *it->second == *value) {
      value = it->second;  // keep the old object: unchanged values stay shared
      continue;
    }
    Change c{0, upsert, nullptr, nullptr, nullptr};
    c.*slot = value;
    record(std::move(c));
  }
  *current = std::move(next);
}

void MesosModel::resync(const ClusterSnapshot& s) {
  FrameworkMap frameworks;
  for (const Framework& f : s.frameworks) frameworks[f.id] = std::make_shared<const Framework>(f);
  AgentMap agents;
  for (const Agent& a : s.agents) agents[a.id] = std::make_shared<const Agent>(a);
  TaskMap tasks;
  for (Task t : s.tasks) {
    derive_marathon_id(frameworks, &t);
    TaskKey key{t.framework_id, t.task_id};
    tasks[std::move(key)] = std::make_shared<const Task>(std::move(t));
  }
  // Frameworks and agents first, so a watcher applying changes in order can resolve a task's
  // framework name and agent address when the task arrives.
  diff_replace(&frameworks_, std::move(frameworks), Change::Kind::kFrameworkUpsert, Change::Kind::kFrameworkRemove,
               &Change::framework);
  diff_replace(&agents_, std::move(agents), Change::Kind::kAgentUpsert, Change::Kind::kAgentRemove, &Change::agent);
  diff_replace(&tasks_, std::move(tasks), Change::Kind::kTaskUpsert, Change::Kind::kTaskRemove, &Change::task);
  has_snapshot_ = true;
}

MesosModel::ApplyResult MesosModel::apply(const Event& e) {
  std::lock_guard lock(mu_);
  const uint64_t before = revision_;
  switch (e.type) {
    case Event::Type::kSubscribed: resync(e.snapshot); break;
    case Event::Type::kTaskAdded:
      if (is_terminal(e.task.state)) {
        auto it = tasks_.find(TaskKey{e.task.framework_id, e.task.task_id});
        if (it != tasks_.end()) remove_task(it);
      } else {
        upsert_task(e.task);
      }
      break;
    case Event::Type::kTaskUpdated: {
      const TaskStatusUpdate& u = e.update;
      auto it = tasks_.find(TaskKey{u.framework_id, u.task_id});
      if (it == tasks_.end()) return ApplyResult::kUnknownTask;
      if (is_terminal(u.state)) {
        remove_task(it);
        break;
      }
      Task t = *it->second;
      t.state = u.state;
      if (u.healthy) {
        t.healthy = u.healthy;
        t.has_health_check = true;
      }
      if (u.has_ip_addresses) t.ip_addresses = u.ip_addresses;
      apply_status_network(u.network_name, &t);
      if (!u.agent_id.empty()) t.agent_id = u.agent_id;
      upsert_task(std::move(t));
      break;
    }
    case Event::Type::kAgentAdded: {
      auto it = agents_.find(e.agent.id);
      if (it != agents_.end() && same(it->second, e.agent)) break;
      auto value = std::make_shared<const Agent>(e.agent);
      agents_[e.agent.id] = value;
      record({0, Change::Kind::kAgentUpsert, nullptr, std::move(value), nullptr});
      break;
    }
    case Event::Type::kAgentRemoved: {
      auto it = agents_.find(e.agent.id);
      if (it == agents_.end()) break;
      // The agent is gone, and so is every task on it.
      for (auto t = tasks_.begin(); t != tasks_.end();) {
        auto next = std::next(t);
        if (t->second->agent_id == e.agent.id) remove_task(t);
        t = next;
      }
      record({0, Change::Kind::kAgentRemove, nullptr, it->second, nullptr});
      agents_.erase(it);
      break;
    }
    case Event::Type::kFrameworkAdded:
    case Event::Type::kFrameworkUpdated: {
      auto it = frameworks_.find(e.framework.id);
      if (it != frameworks_.end() && same(it->second, e.framework)) break;
      const bool was_marathon = it != frameworks_.end() && is_marathon_framework(*it->second);
      auto value = std::make_shared<const Framework>(e.framework);
      frameworks_[e.framework.id] = value;
      record({0, Change::Kind::kFrameworkUpsert, nullptr, nullptr, std::move(value)});
      // Its tasks gain or lose their Marathon ids (a framework seen after its tasks, a rename).
      if (was_marathon != is_marathon_framework(e.framework))
        for (auto& [key, task] : tasks_)
          if (key.framework_id == e.framework.id) upsert_task(*task);
      break;
    }
    case Event::Type::kFrameworkRemoved: {
      auto it = frameworks_.find(e.framework.id);
      for (auto t = tasks_.begin(); t != tasks_.end();) {
        auto next = std::next(t);
        if (t->second->framework_id == e.framework.id) remove_task(t);
        t = next;
      }
      if (it != frameworks_.end()) {
        record({0, Change::Kind::kFrameworkRemove, nullptr, nullptr, it->second});
        frameworks_.erase(it);
      }
      break;
    }
    case Event::Type::kHeartbeat: return ApplyResult::kUnchanged;
    case Event::Type::kUnknown: return ApplyResult::kIgnored;
  }
  if (revision_ == before) return ApplyResult::kUnchanged;
  cv_.notify_all();
  return ApplyResult::kChanged;
}

uint64_t MesosModel::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

size_t MesosModel::task_count() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

bool MesosModel::has_snapshot() const {
  std::lock_guard lock(mu_);
  return has_snapshot_;
}

ModelView MesosModel::snapshot() const {
  ModelView v;
  std::lock_guard lock(mu_);
  v.revision = revision_;
  v.frameworks.reserve(frameworks_.size());
  for (const auto& [id, f] : frameworks_) v.frameworks.push_back(f);
  v.agents.reserve(agents_.size());
  for (const auto& [id, a] : agents_) v.agents.push_back(a);
  v.tasks.reserve(tasks_.size());
  for (const auto& [key, t] : tasks_) v.tasks.push_back(t);
  return v;
}

bool MesosModel::changes_since(uint64_t after, std::vector<Change>* out, size_t max) const {
  std::lock_guard lock(mu_);
  if (after > revision_) return false;
  const uint64_t oldest = revision_ - log_.size();  // the log holds (oldest, revision_]
  if (after < oldest) return false;
  for (size_t i = after - oldest; i < log_.size() && max > 0; ++i, --max) out->push_back(log_[i]);
  return true;
}

uint64_t MesosModel::wait_for_revision(uint64_t after, std::chrono::milliseconds timeout) const {
  static const std::atomic<bool> kNever{false};
  return wait_for_revision(after, timeout, kNever);
}

uint64_t MesosModel::wait_for_revision(uint64_t after, std::chrono::milliseconds timeout,
                                       const std::atomic<bool>& woken) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return revision_ > after || woken.load(); });
  return revision_;
}

void MesosModel::notify_all() const {
  std::lock_guard lock(mu_);  // a waiter between its check and its wait still sees the wake-up
  cv_.notify_all();
}

}  // namespace edgelb::mesos
