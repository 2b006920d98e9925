#include "control/table_manager.h"

namespace edgelb {

TableManager::TableManager(ForwardingGlobals globals, SnapshotPublisher& publisher)
    : builder_(std::move(globals)), publisher_(publisher) {}

void TableManager::set_draining(bool on) {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  if (builder_.draining() == on) return;
  builder_.set_draining(on);
  if (has_live_) apply_locked(live_, replaced);
}

void TableManager::set_resolver(const NextHopResolver* r) {
  std::lock_guard lk(mu_);
  builder_.set_resolver(r);
}

void TableManager::set_on_publish(std::function<void(const TableSpec&)> hook) {
  std::lock_guard lk(mu_);
  on_publish_ = std::move(hook);
}

FieldErrors TableManager::apply_locked(TableSpec spec, SnapshotPublisher::Replaced& replaced) {
  BuildResult r = builder_.build(spec);
  if (!r.errors.empty()) return r.errors;
  replaced = publisher_.exchange(std::move(r.snapshot));
  live_ = std::move(spec);
  has_live_ = true;
  if (on_publish_) on_publish_(live_);
  return {};
}

// Each writer waits for its table to be live after releasing the lock (`replaced` is declared
// before the lock guard, so it is destroyed after it): the next writer builds meanwhile.
FieldErrors TableManager::apply(const TableSpec& spec) {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  return apply_locked(spec, replaced);
}

ChangeOutcome TableManager::apply_state(const TableSpec& spec) {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  ChangeOutcome out;
  out.version = live_.version;
  if (has_live_ && spec.version == live_.version) {
    out.kind = spec == live_ ? ChangeOutcome::kUnchanged : ChangeOutcome::kStale;
    if (out.kind == ChangeOutcome::kStale)
      out.errors.push_back({"version", "version " + std::to_string(spec.version) +
                                           " is live with different content; use a higher version"});
    return out;
  }
  if (has_live_ && spec.version < live_.version) {
    out.kind = ChangeOutcome::kStale;
    out.errors.push_back({"version", "version " + std::to_string(spec.version) + " is older than the live version " +
                                         std::to_string(live_.version)});
    return out;
  }
  out.errors = apply_locked(spec, replaced);
  out.kind = out.errors.empty() ? ChangeOutcome::kApplied : ChangeOutcome::kInvalid;
  out.version = live_.version;
  return out;
}

// Group commit: each caller queues its edit, then takes the table lock. Whoever gets it with
// its own edit still queued commits every queued edit (in queue order) as one build and one
// publish; callers whose edit was committed by another find it done when they get the lock.
ChangeOutcome TableManager::modify(uint64_t expected_version, const Edit& edit) {
  PendingEdit mine{expected_version, &edit, {}};
  {
    std::lock_guard q(queue_mu_);
    queue_.push_back(&mine);
  }
  SnapshotPublisher::Replaced replaced;
  bool committed_here = false;
  {
    std::lock_guard lk(mu_);
    if (!mine.done) {
      commit_queued_locked(replaced);
      committed_here = true;
    }
  }
  // Live on every worker before replying: a committer waits on its own swap (replaced, after
  // this scope's unlock); an edit someone else published waits for a grace period of its own,
  // which starts after that swap because the swap happened before this thread got the lock.
  if (mine.published && !committed_here) publisher_.wait_for_readers();
  return std::move(mine.out);
}

void TableManager::commit_queued_locked(SnapshotPublisher::Replaced& replaced) {
  std::vector<PendingEdit*> batch;
  {
    std::lock_guard q(queue_mu_);
    batch.swap(queue_);
  }
  // Optimistic: apply every edit, build once. Only when that build is refused (some edit made
  // the table invalid) are the edits run again, each validated on its own, so one bad edit
  // fails alone and the versions and conflicts of the others are what a sequence would give.
  size_t applied = 0;
  FieldErrors errors;
  try {
    TableSpec next = run_edits_locked(batch, false, &applied);
    if (applied) errors = apply_locked(std::move(next), replaced);
    if (!errors.empty()) {
      next = run_edits_locked(batch, true, &applied);
      errors = applied ? apply_locked(std::move(next), replaced) : FieldErrors{};
    }
  } catch (const std::exception& e) {
    // Out of memory in an edit or the build: no caller may be left thinking its edit is live.
    errors = {{"table", std::string("not changed: ") + e.what()}};
  }
  for (PendingEdit* p : batch) {
    // After the retry `errors` is only non-empty from an exception: each edit was validated.
    if (!errors.empty() && p->out.kind == ChangeOutcome::kApplied) {
      p->out.kind = ChangeOutcome::kInvalid;
      p->out.errors = errors;
      p->out.version = live_.version;
    }
    p->done = true;
    p->published = applied && errors.empty();
  }
}

// Runs `batch`'s edits in order on copies of the live spec, each against the version the ones
// before it produced (live + number applied so far), and sets their outcomes. Returns the
// resulting spec (version = live + applied) when *applied > 0, else an empty one.
TableSpec TableManager::run_edits_locked(const std::vector<PendingEdit*>& batch, bool validate_each, size_t* applied) {
  // `cur` is the state the next edit starts from: the live spec until an edit is applied (so
  // the live spec is copied once per applied edit, not once more for the batch).
  const TableSpec* cur = &live_;
  TableSpec edited;
  *applied = 0;
  for (PendingEdit* p : batch) {
    ChangeOutcome& out = p->out;
    out = {};
    out.version = cur->version;
    if (p->expected_version != 0 && p->expected_version != cur->version) {
      out.kind = ChangeOutcome::kConflict;
      out.errors.push_back({"expected_version", "is " + std::to_string(p->expected_version) +
                                                    " but the live version is " + std::to_string(cur->version)});
      continue;
    }
    TableSpec next = *cur;
    bool not_found = false;
    out.errors = (*p->edit)(next, &not_found);
    if (not_found) {
      out.kind = ChangeOutcome::kNotFound;
      continue;
    }
    if (!out.errors.empty()) {
      out.kind = ChangeOutcome::kInvalid;
      continue;
    }
    next.version = cur->version;
    if ((has_live_ || *applied) && next == *cur) {
      out.kind = ChangeOutcome::kUnchanged;
      continue;
    }
    if (validate_each) {
      out.errors = builder_.validate(next);
      if (!out.errors.empty()) {
        out.kind = ChangeOutcome::kInvalid;
        continue;
      }
    }
    next.version = cur->version + 1;
    edited = std::move(next);
    cur = &edited;
    out.kind = ChangeOutcome::kApplied;
    out.version = edited.version;
    ++*applied;
  }
  return edited;
}

void TableManager::rebuild() {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  if (has_live_) apply_locked(live_, replaced);
}

}  // namespace edgelb
