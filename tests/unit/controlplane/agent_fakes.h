// Fakes of the agent's collaborators (controlplane/agent/collaborators.h), for unit tests of
// its reconcile loop: pools and claims the test sets, endpoints the test hands out, a
// dataplane that records the table it is asked for, and an HAProxy that records what it is
// told and can refuse a configuration. Each fake keeps its state in a shared object the test
// holds (the agent owns the fakes themselves). Thread-safe where the agent may call from
// another thread (HAProxy's config writer).
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/collaborators.h"
#include "haproxy/supervisor.h"

namespace edgelb::cp::test {

// ---- pools and claims ----
struct PoolWorld {
  std::optional<std::set<std::string>> listed;  // nullopt: ZooKeeper not answered yet
  std::map<std::string, PoolInputsRead> reads;
  std::map<std::string, ClaimOutcome> outcomes;  // absent: slot 0 is won
  std::map<std::string, nlohmann::json> published;
  std::map<std::string, std::string> published_config;
  std::map<std::string, std::vector<std::string>> tracked;  // pool -> secret names
  std::set<std::string> released;
  uint64_t sessions = 1;
  PoolSource::Events events;

  // A new stored version: listed, read, and the watch fires.
  void put(PoolInputs in) {
    const std::string name = in.name;
    if (!listed) listed.emplace();
    listed->insert(name);
    reads[name] = PoolInputsRead{std::move(in), false, false, ""};
    if (events.pool_changed) events.pool_changed(name);
  }
  void remove(const std::string& name) {
    listed->erase(name);
    reads[name] = PoolInputsRead{std::nullopt, true, false, ""};
    if (events.list_changed) events.list_changed();
  }
  void set_outcome(const std::string& name, ClaimOutcome o) {
    outcomes[name] = std::move(o);
    if (events.pool_changed) events.pool_changed(name);
  }
};

class FakeClaim final : public PoolClaim {
 public:
  FakeClaim(std::shared_ptr<PoolWorld> w, std::string pool) : w_(std::move(w)), pool_(std::move(pool)) {}
  Outcome reconcile(int64_t, const std::string&, const std::vector<PlacementConstraint>&) override {
    auto it = w_->outcomes.find(pool_);
    Outcome o = it == w_->outcomes.end() ? Outcome{0, "", false, false} : it->second;
    slot_ = o.slot;
    if (slot_) w_->released.erase(pool_);
    return o;
  }
  void publish(nlohmann::json registration) override { w_->published[pool_] = std::move(registration); }
  bool publish_config(const std::string& config, const std::string&) override {
    w_->published_config[pool_] = config;
    return true;
  }
  void release() override {
    slot_.reset();
    w_->released.insert(pool_);
  }
  std::optional<int> held() const override { return slot_; }

 private:
  std::shared_ptr<PoolWorld> w_;
  std::string pool_;
  std::optional<int> slot_;
};

class FakePoolSource final : public PoolSource {
 public:
  FakePoolSource(std::shared_ptr<PoolWorld> w, Events e) : w_(std::move(w)) { w_->events = std::move(e); }
  ~FakePoolSource() override { w_->events = {}; }
  std::optional<std::set<std::string>> pools() override { return w_->listed; }
  uint64_t sessions() const override { return w_->listed ? w_->sessions : 0; }
  bool connected() const override { return w_->listed.has_value(); }
  PoolInputsRead read(const std::string& pool) override {
    auto it = w_->reads.find(pool);
    return it == w_->reads.end() ? PoolInputsRead{std::nullopt, true, false, ""} : it->second;
  }
  void track(const std::string& pool, const std::vector<std::string>& secrets) override { w_->tracked[pool] = secrets; }
  void untrack(const std::string& pool) override { w_->tracked.erase(pool); }
  std::unique_ptr<PoolClaim> claim(const std::string& pool) override { return std::make_unique<FakeClaim>(w_, pool); }
  void close() override {}

 private:
  std::shared_ptr<PoolWorld> w_;
};

// ---- endpoints ----
// What the listener selects for each pool now; it answers for the version subscribed, as the
// real one selects against its own copy of that version.
struct EndpointsWorld {
  std::map<std::string, PoolEndpoints> by_pool;                // absent: nothing pushed yet
  std::map<std::string, int64_t> subscribed;                   // pool -> version
  std::vector<std::pair<std::string, int64_t>> subscriptions;  // every subscribe, in order
  AgentCollaborators::Wake wake;
  void set(const std::string& pool, PoolEndpoints e) {
    by_pool[pool] = std::move(e);
    if (wake) wake();
  }
};

class FakeEndpoints final : public EndpointsSource {
 public:
  FakeEndpoints(std::shared_ptr<EndpointsWorld> w, AgentCollaborators::Wake wake) : w_(std::move(w)) {
    w_->wake = std::move(wake);
  }
  ~FakeEndpoints() override { w_->wake = {}; }
  void subscribe(const std::string& pool, int64_t version) override {
    w_->subscribed[pool] = version;
    w_->subscriptions.emplace_back(pool, version);
  }
  void unsubscribe(const std::string& pool) override { w_->subscribed.erase(pool); }
  std::shared_ptr<const PoolEndpoints> latest(const std::string& pool, int64_t version, std::string*) override {
    auto s = w_->subscribed.find(pool);
    auto e = w_->by_pool.find(pool);
    if (s == w_->subscribed.end() || s->second != version || e == w_->by_pool.end()) return nullptr;
    auto out = std::make_shared<PoolEndpoints>(e->second);
    out->version = version;
    return out;
  }
  bool connected() const override { return true; }

 private:
  std::shared_ptr<EndpointsWorld> w_;
};

// ---- the dataplane ----
struct DataplaneWorld {
  std::vector<ServiceSpec> desired;
  uint64_t calls = 0;
  DataplaneSyncStatus status;
};

class FakeDataplane final : public DataplaneSink {
 public:
  explicit FakeDataplane(std::shared_ptr<DataplaneWorld> w) : w_(std::move(w)) {}
  uint64_t set_desired(std::vector<ServiceSpec> services) override {
    w_->desired = std::move(services);
    return ++w_->calls;
  }
  DataplaneSyncStatus status() const override { return w_->status; }

 private:
  std::shared_ptr<DataplaneWorld> w_;
};

// ---- HAProxy ----
struct HaproxyWorld {
  std::mutex mu;
  int starts = 0, reloads = 0, refused = 0, stops = 0;
  std::string running;                      // the config the (fake) worker runs
  std::vector<std::string> runtime;         // every runtime command, in order
  std::string refuse_marker = "REFUSE-ME";  // a config containing it is refused (as haproxy -c would)
  std::function<void()> during_reload;      // runs inside reload(), before it finishes
};

class FakeHaproxy final : public haproxy::HaproxyDriver {
 public:
  FakeHaproxy(std::shared_ptr<HaproxyWorld> w, const haproxy::SupervisorOptions& o)
      : w_(std::move(w)), path_(o.instance_dir + "/haproxy.cfg") {
    std::filesystem::create_directories(o.instance_dir);
  }
  void start(const std::string& config) override {
    std::lock_guard<std::mutex> g(w_->mu);
    if (config.find(w_->refuse_marker) != std::string::npos) throw haproxy::SupervisorError("config refused");
    w_->starts++;
    set_running(config);
  }
  haproxy::ReloadResult reload(const std::string& config) override {
    if (auto hook = std::exchange(w_->during_reload, nullptr)) hook();
    std::lock_guard<std::mutex> g(w_->mu);
    if (config.find(w_->refuse_marker) != std::string::npos) {
      w_->refused++;
      return {false, false, "[ALERT] config refused"};
    }
    w_->reloads++;
    set_running(config);
    return {true, true, ""};
  }
  void write_config(const std::string& config) override {
    std::lock_guard<std::mutex> g(w_->mu);
    std::ofstream(path_) << config;
  }
  haproxy::RuntimeResult runtime(const std::vector<std::string>& commands) override {
    std::lock_guard<std::mutex> g(w_->mu);
    w_->runtime.insert(w_->runtime.end(), commands.begin(), commands.end());
    return {};
  }
  void stop(bool) override {
    std::lock_guard<std::mutex> g(w_->mu);
    w_->stops++;
    state_ = haproxy::HaproxyState::kStopped;
  }
  std::map<std::string, int> inherited_binds(const std::vector<std::string>&) override { return {}; }
  void release_binds_except(const std::vector<std::string>&) override {}
  haproxy::SupervisorStatus status() const override {
    std::lock_guard<std::mutex> g(w_->mu);
    haproxy::SupervisorStatus st;
    st.state = state_;
    st.config_hash = hash_;
    st.reloads = static_cast<uint64_t>(w_->reloads);
    return st;
  }
  const std::string& config_path() const override { return path_; }

 private:
  void set_running(const std::string& config) {  // with w_->mu held
    w_->running = config;
    hash_ = haproxy::config_hash(config);
    state_ = haproxy::HaproxyState::kRunning;
    std::ofstream(path_) << config;
  }
  std::shared_ptr<HaproxyWorld> w_;
  const std::string path_;
  haproxy::HaproxyState state_ = haproxy::HaproxyState::kStopped;
  std::string hash_;
};

}  // namespace edgelb::cp::test
