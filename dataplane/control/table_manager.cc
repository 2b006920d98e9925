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

std::vector<ValidationError> TableManager::apply_locked(const TableSpec& spec) {
  BuildResult r = builder_.build(spec);
  if (!r.errors.empty()) return r.errors;
  publisher_.publish(std::move(r.snapshot));
  live_ = spec;
  has_live_ = true;
  if (on_publish_) on_publish_(live_);
  return {};
}

std::vector<ValidationError> TableManager::apply(const TableSpec& spec) {
  std::lock_guard lk(mu_);
  return apply_locked(spec);
}

void TableManager::rebuild() {
  std::lock_guard lk(mu_);
  if (has_live_) apply_locked(live_);
}

}  // namespace edgelb
