#include "agent/dataplane_sync.h"

#include <cstdio>
#include <set>

#include "dataplane/control/control_client.h"
#include "dataplane/control/spec_codec.h"

namespace edgelb::cp {
namespace {

constexpr auto kVersionPoll = std::chrono::milliseconds(250);

std::string describe(const ControlOutcome& o) {
  std::string s = o.status.error_message();
  if (s.empty()) s = "status " + std::to_string(static_cast<int>(o.status.error_code()));
  return s;
}

bool lost_sync(grpc::StatusCode c) {
  return c == grpc::StatusCode::ABORTED || c == grpc::StatusCode::FAILED_PRECONDITION ||
         c == grpc::StatusCode::NOT_FOUND || c == grpc::StatusCode::UNAVAILABLE ||
         c == grpc::StatusCode::DEADLINE_EXCEEDED || c == grpc::StatusCode::CANCELLED ||
         c == grpc::StatusCode::UNKNOWN || c == grpc::StatusCode::INTERNAL;
}

// Backends by identity, when two specs differ only in backend weights/states.
bool only_backend_settings_differ(const ServiceSpec& a, const ServiceSpec& b) {
  ServiceSpec x = a, y = b;
  if (x.backends.size() != y.backends.size()) return false;
  for (size_t i = 0; i < x.backends.size(); ++i) {
    if (x.backends[i].identity != y.backends[i].identity) return false;
    x.backends[i].weight = y.backends[i].weight = 0;
    x.backends[i].state = y.backends[i].state = BackendState::kUp;
  }
  return x == y;
}

// "path: reason; ..." appended to `to`.
void append_violation(std::string& to, const FieldError& v) {
  to += (to.empty() ? "" : "; ") + v.path + ": " + v.reason;
}

void log(const std::string& line) { std::fprintf(stderr, "edgelb-agent: dataplane: %s\n", line.c_str()); }

}  // namespace

DataplaneSync::DataplaneSync(std::string control_socket, std::function<void()> on_status_change)
    : client_(std::make_unique<ControlClient>(control_socket, std::chrono::seconds(3))),
      on_change_(std::move(on_status_change)) {
  thread_ = std::thread([this] { run(); });
}

DataplaneSync::~DataplaneSync() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

uint64_t DataplaneSync::set_desired(std::vector<ServiceSpec> services) {
  Specs next;
  for (auto& s : services) next.emplace(s.name, std::move(s));
  std::lock_guard<std::mutex> g(mu_);
  if (!has_desired_) {
    has_desired_ = true;
    cv_.notify_all();
  }
  if (next == desired_) return desired_gen_;
  desired_ = std::move(next);
  ++desired_gen_;
  cv_.notify_all();
  return desired_gen_;
}

DataplaneSyncStatus DataplaneSync::status() const {
  std::lock_guard<std::mutex> g(mu_);
  return status_;
}

DataplaneSync::Specs DataplaneSync::target(const Specs& want) const {
  Specs out;
  for (const auto& [name, spec] : want) {
    auto r = refused_spec_.find(name);
    if (r != refused_spec_.end() && r->second == spec) {
      auto a = applied_.find(name);
      if (a != applied_.end()) out.emplace(name, a->second);  // keeps what it served
      continue;
    }
    out.emplace(name, spec);
  }
  return out;
}

void DataplaneSync::refuse(const std::string& name, const ServiceSpec& spec, const std::string& why) {
  refused_spec_[name] = spec;
  std::lock_guard<std::mutex> g(mu_);
  if (status_.refused[name] != why) log("service " + name + " refused: " + why);
  status_.refused[name] = why;
}

void DataplaneSync::lost(const std::string& why) {
  std::lock_guard<std::mutex> g(mu_);
  if (status_.in_sync || status_.last_error != why) log(why);
  status_.in_sync = false;
  status_.last_error = why;
}

void DataplaneSync::resync(const Specs& want) {
  dataplane::v1::ServiceState live_msg;
  grpc::Status s = client_->get_services(&live_msg);
  {
    std::lock_guard<std::mutex> g(mu_);
    status_.calls++;
    status_.connected = s.ok();
  }
  if (!s.ok()) {
    lost("not reachable (" + s.error_message() + "); retrying");
    return;
  }
  FieldErrors errs;
  TableSpec live = decode_state(live_msg, "state", errs);
  Specs live_specs;
  for (auto& sp : live.services) live_specs.emplace(sp.name, std::move(sp));
  applied_ = live_specs;  // what serves now: refused services keep it
  for (int attempt = 0; attempt < 4; ++attempt) {
    Specs t = target(want);
    if (t == live_specs) {
      applied_ = t;
      break;
    }
    TableSpec next;
    next.version = live.version + 1;
    for (const auto& [name, spec] : t) next.services.push_back(spec);
    ControlOutcome o = client_->apply_state(next);
    {
      std::lock_guard<std::mutex> g(mu_);
      status_.calls++;
    }
    if (o.ok()) {
      live.version = o.version;
      live_specs = t;
      applied_ = t;
      break;
    }
    if (o.status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
      lost("ApplyState: " + describe(o));
      return;
    }
    // Refuse the services the dataplane names; a violation that names none (a limit of the
    // whole table) is held against every service that changed.
    std::map<std::string, std::string> why;
    for (const auto& [name, violations] : o.refused)
      if (t.count(name))
        for (const auto& v : violations) append_violation(why[name], v);
    if (why.empty())
      for (const auto& v : o.violations)
        for (const auto& [name, spec] : t) {
          auto l = live_specs.find(name);
          if (l == live_specs.end() || !(l->second == spec)) append_violation(why[name], v);
        }
    if (why.empty()) {
      lost("ApplyState refused: " + describe(o));
      return;
    }
    for (const auto& [name, reason] : why) refuse(name, want.count(name) ? want.at(name) : t.at(name), reason);
  }
  std::lock_guard<std::mutex> g(mu_);
  status_.in_sync = true;
  status_.table_version = live.version;
  status_.resyncs++;
  status_.last_error.clear();
}

std::vector<DataplaneSync::PlannedEdit> DataplaneSync::plan_edits(const Specs& t) const {
  std::vector<PlannedEdit> out;
  for (const auto& [name, spec] : applied_)
    if (!t.count(name)) out.push_back({PlannedEdit::kDelete, name, nullptr, 0});
  for (const auto& [name, spec] : t) {
    auto a = applied_.find(name);
    if (a != applied_.end() && a->second == spec) continue;
    if (a != applied_.end() && only_backend_settings_differ(a->second, spec)) {
      for (size_t i = 0; i < spec.backends.size(); ++i)
        if (!(a->second.backends[i] == spec.backends[i])) out.push_back({PlannedEdit::kSetBackend, name, &spec, i});
      continue;
    }
    out.push_back({PlannedEdit::kUpsert, name, &spec, 0});
  }
  return out;
}

void DataplaneSync::incremental(const Specs& want) {
  const Specs t = target(want);
  const std::vector<PlannedEdit> edits = plan_edits(t);
  if (edits.empty()) return;
  if (edits.size() > size_t(kMaxChangesPerCall) || changes_unsupported_) return one_edit_per_call(edits);
  ControlChanges changes;
  for (const auto& e : edits) {
    if (e.kind == PlannedEdit::kDelete) {
      changes.delete_service(e.name);
    } else if (e.kind == PlannedEdit::kUpsert) {
      changes.upsert_service(*e.spec);
    } else {
      const BackendSpec& b = e.spec->backends[e.backend];
      changes.set_backend(e.name, b.identity, b.weight, b.state);
    }
  }
  uint64_t version;
  {
    std::lock_guard<std::mutex> g(mu_);
    version = status_.table_version;
  }
  const ControlOutcome o = client_->apply_changes(std::move(changes), version);
  {
    std::lock_guard<std::mutex> g(mu_);
    status_.calls++;
    if (o.ok()) status_.table_version = o.version;
  }
  if (o.ok()) {
    applied_ = t;
    return;
  }
  const grpc::StatusCode code = o.status.error_code();
  if (code == grpc::StatusCode::UNIMPLEMENTED) {
    log("the dataplane has no ApplyChanges (an older version): one call per edit");
    changes_unsupported_ = true;
  } else if (code != grpc::StatusCode::INVALID_ARGUMENT) {
    return lost("ApplyChanges: " + describe(o));
  }
  // Refused as a whole (or not offered): one call per edit finds the service at fault, and
  // everything else is applied.
  one_edit_per_call(edits);
}

void DataplaneSync::one_edit_per_call(const std::vector<PlannedEdit>& edits) {
  uint64_t version;
  {
    std::lock_guard<std::mutex> g(mu_);
    version = status_.table_version;
  }
  std::set<std::string> refused;  // in this pass: its remaining edits are skipped
  for (const auto& e : edits) {
    if (refused.count(e.name)) continue;
    ControlOutcome o;
    ServiceSpec applied;  // the service once this edit is live
    if (e.kind == PlannedEdit::kDelete) {
      o = client_->delete_service(e.name, version);
    } else if (e.kind == PlannedEdit::kUpsert) {
      o = client_->upsert_service(*e.spec, version);
      applied = *e.spec;
    } else {
      const BackendSpec& b = e.spec->backends[e.backend];
      o = client_->set_backend(e.name, b.identity, b.weight, b.state, version);
      applied = applied_[e.name];
      applied.backends[e.backend] = b;
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      status_.calls++;
      if (o.ok()) status_.table_version = o.version;
    }
    if (o.ok()) {
      version = o.version;
      if (e.kind == PlannedEdit::kDelete)
        applied_.erase(e.name);
      else
        applied_[e.name] = std::move(applied);
      continue;
    }
    static const char* const kCall[] = {"DeleteService ", "SetBackend ", "UpsertService "};
    if (e.kind == PlannedEdit::kDelete || lost_sync(o.status.error_code()))
      return lost(kCall[e.kind] + e.name + ": " + describe(o));
    std::string why;
    if (e.kind == PlannedEdit::kUpsert)
      for (const auto& v : o.violations) append_violation(why, v);
    refuse(e.name, *e.spec, why.empty() ? describe(o) : why);
    refused.insert(e.name);
  }
}

void DataplaneSync::check_version() {
  dataplane::v1::VersionReply v;
  grpc::Status s = client_->get_version(&v);
  {
    std::lock_guard<std::mutex> g(mu_);
    status_.calls++;
    status_.connected = s.ok();
  }
  if (!s.ok()) return lost("not reachable (" + s.error_message() + "); retrying");
  const bool restarted = v.uptime_ms() < last_uptime_ms_;
  last_uptime_ms_ = v.uptime_ms();
  if (restarted) changes_unsupported_ = false;  // perhaps another version
  uint64_t ours;
  {
    std::lock_guard<std::mutex> g(mu_);
    ours = status_.table_version;
  }
  if (restarted || v.table_version() != ours)
    lost(restarted ? "restarted; applying the state again"
                   : "table version " + std::to_string(v.table_version()) + " is not ours (" + std::to_string(ours) +
                         "); reading it again");
}

void DataplaneSync::run() {
  auto next_poll = std::chrono::steady_clock::now();
  auto retry = std::chrono::milliseconds(100);
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return stop_ || has_desired_; });
  }
  for (;;) {
    Specs want;
    uint64_t gen;
    bool in_sync;
    DataplaneSyncStatus before;
    {
      std::unique_lock<std::mutex> lk(mu_);
      auto until = status_.in_sync ? next_poll : std::chrono::steady_clock::now() + retry;
      cv_.wait_until(lk, until, [&] { return stop_ || (status_.in_sync && desired_gen_ != applied_gen_); });
      if (stop_) return;
      want = desired_;
      gen = desired_gen_;
      in_sync = status_.in_sync;
      before = status_;
    }
    // A changed wanted spec gets another try at the dataplane.
    for (auto it = refused_spec_.begin(); it != refused_spec_.end();) {
      auto w = want.find(it->first);
      if (w == want.end() || !(w->second == it->second)) {
        std::lock_guard<std::mutex> g(mu_);
        status_.refused.erase(it->first);
        it = refused_spec_.erase(it);
      } else {
        ++it;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (!in_sync) {
      resync(want);
    } else if (gen != applied_gen_) {
      incremental(want);
    } else if (now >= next_poll) {
      check_version();
      next_poll = now + kVersionPoll;
    }
    bool notify;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (status_.in_sync) {
        applied_gen_ = gen;
        status_.generation = gen;
        retry = std::chrono::milliseconds(100);
      } else {
        retry = std::min(retry * 2, std::chrono::milliseconds(200));
      }
      notify = status_.in_sync != before.in_sync || status_.table_version != before.table_version ||
               status_.refused != before.refused || status_.connected != before.connected ||
               status_.generation != before.generation;
    }
    if (notify && on_change_) on_change_();
  }
}

}  // namespace edgelb::cp
