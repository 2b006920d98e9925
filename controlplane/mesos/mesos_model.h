// The live service model: frameworks, agents and active tasks as the Mesos master reports them,
// with a revision number and a bounded log of changes for watchers.
//
// Writer: one subscriber thread calls apply() with decoded events. Each call is all-or-nothing
// under the lock; readers never see a half-applied event. A SUBSCRIBED event (every
// (re)subscription) replaces the whole state, but what is recorded is only the difference from
// what was there before, so watchers see no churn when a reconnect changes nothing.
// Readers (gRPC handlers): snapshot(), changes_since(), wait_for_revision(). Objects are shared
// immutable values (shared_ptr<const T>); a snapshot stays valid after later changes.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mesos/mesos_types.h"

namespace edgelb::mesos {

struct TaskKey {
  std::string framework_id;
  std::string task_id;
  auto operator<=>(const TaskKey&) const = default;
};

struct Change {
  enum class Kind : uint8_t {
    kTaskUpsert,
    kTaskRemove,
    kAgentUpsert,
    kAgentRemove,
    kFrameworkUpsert,
    kFrameworkRemove
  };
  uint64_t revision = 0;
  Kind kind = Kind::kTaskUpsert;
  // The new value (upserts) or the last value (removals); only the one matching `kind` is set.
  std::shared_ptr<const Task> task;
  std::shared_ptr<const Agent> agent;
  std::shared_ptr<const Framework> framework;
};

struct ModelView {
  uint64_t revision = 0;
  std::vector<std::shared_ptr<const Framework>> frameworks;  // sorted by id
  std::vector<std::shared_ptr<const Agent>> agents;          // sorted by id
  std::vector<std::shared_ptr<const Task>> tasks;            // sorted by (framework id, task id)
  // Lookups for selectors.
  const Agent* agent(const std::string& id) const;
  const Framework* framework(const std::string& id) const;
};

class MesosModel {
 public:
  enum class ApplyResult { kChanged, kUnchanged, kUnknownTask, kIgnored };

  explicit MesosModel(size_t change_log_capacity = 65536);

  ApplyResult apply(const Event& e);

  uint64_t revision() const;
  ModelView snapshot() const;
  // Appends the changes with revision > after (at most max) to *out. Returns false when the log
  // no longer reaches back to `after` (or `after` is in the future): the caller must resync
  // from a snapshot.
  bool changes_since(uint64_t after, std::vector<Change>* out, size_t max) const;
  // Waits until revision() > after or the timeout passes. Returns revision().
  uint64_t wait_for_revision(uint64_t after, std::chrono::milliseconds timeout) const;
  // The same, or until `woken` is true (set it, then notify_all(): no wake-up is lost).
  uint64_t wait_for_revision(uint64_t after, std::chrono::milliseconds timeout, const std::atomic<bool>& woken) const;
  // Wakes every waiter (shutdown, a WatchEndpoints subscription).
  void notify_all() const;

  size_t task_count() const;
  bool has_snapshot() const;  // a SUBSCRIBED has been applied at least once

 private:
  using TaskMap = std::map<TaskKey, std::shared_ptr<const Task>>;
  using AgentMap = std::map<std::string, std::shared_ptr<const Agent>>;
  using FrameworkMap = std::map<std::string, std::shared_ptr<const Framework>>;

  void record(Change c);  // assigns the next revision; lock held
  static void derive_marathon_id(const FrameworkMap& frameworks, Task* t);
  void upsert_task(Task t);  // derives the Marathon id; records a change when the task differs
  void remove_task(TaskMap::iterator it);
  void resync(const ClusterSnapshot& s);
  template <typename Map, typename Value>
  void diff_replace(Map* current, Map next, Change::Kind upsert, Change::Kind remove,
                    std::shared_ptr<const Value> Change::*slot);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  TaskMap tasks_;
  AgentMap agents_;
  FrameworkMap frameworks_;
  uint64_t revision_ = 0;
  bool has_snapshot_ = false;
  size_t capacity_;
  std::deque<Change> log_;  // revisions (revision_ - log_.size(), revision_]
};

}  // namespace edgelb::mesos
