#include "control/table_manager.h"

namespace edgelb {

TableManager::TableManager(ForwardingGlobals globals, SnapshotPublisher& publisher)
    : builder_(std::move(globals)), publisher_(publisher) {}

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

ChangeOutcome TableManager::modify(uint64_t expected_version, const Edit& edit) {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  ChangeOutcome out;
  out.version = live_.version;
  if (expected_version != 0 && expected_version != live_.version) {
    out.kind = ChangeOutcome::kConflict;
    out.errors.push_back({"expected_version", "is " + std::to_string(expected_version) + " but the live version is " +
                                                  std::to_string(live_.version)});
    return out;
  }
  TableSpec next = live_;
  bool not_found = false;
  out.errors = edit(next, &not_found);
  if (not_found) {
    out.kind = ChangeOutcome::kNotFound;
    return out;
  }
  if (!out.errors.empty()) {
    out.kind = ChangeOutcome::kInvalid;
    return out;
  }
  next.version = live_.version;
  if (has_live_ && next == live_) {
    out.kind = ChangeOutcome::kUnchanged;
    return out;
  }
  next.version = live_.version + 1;
  out.errors = apply_locked(std::move(next), replaced);
  out.kind = out.errors.empty() ? ChangeOutcome::kApplied : ChangeOutcome::kInvalid;
  out.version = live_.version;
  return out;
}

void TableManager::rebuild() {
  SnapshotPublisher::Replaced replaced;
  std::lock_guard lk(mu_);
  if (has_live_) apply_locked(live_, replaced);
}

}  // namespace edgelb
