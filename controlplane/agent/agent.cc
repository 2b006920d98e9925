#include "agent/agent.h"

#include <algorithm>
#include <cstdio>

#include "agent/claims.h"
#include "haproxy/supervisor.h"

namespace edgelb::cp {
namespace {

using Clock = std::chrono::steady_clock;

void log(const std::string& line) { std::fprintf(stderr, "edgelb-agent: %s\n", line.c_str()); }

// Fixed binds of a pool: (address or "" for all, port).
std::vector<std::pair<std::string, uint32_t>> fixed_binds(const PoolModel& m) {
  std::vector<std::pair<std::string, uint32_t>> out;
  auto any = [](const std::string& a) { return a == "0.0.0.0" || a == "::" ? std::string() : a; };
  for (const auto& f : m.frontends)
    if (f.bind_port != 0) out.emplace_back(any(f.bind_address), f.bind_port);
  if (m.stats_port && *m.stats_port != 0) out.emplace_back(any(m.stats_address), *m.stats_port);
  return out;
}

}  // namespace

Agent::Agent(AgentConfig config) : Agent(config, AgentCollaborators::production(config)) {}

Agent::Agent(AgentConfig config, AgentCollaborators collaborators)
    : config_(std::move(config)),
      make_(std::move(collaborators)),
      cache_(config_.state_dir),
      planner_(config_.node_address),
      limits_(haproxy::size_limits(config_.haproxy_limits, haproxy::inherited_fd_limit())) {
  log("HAProxy limits per pool instance: maxconn " + std::to_string(limits_.maxconn) + ", frontend maxconn " +
      std::to_string(limits_.frontend_maxconn) + ", backlog " + std::to_string(limits_.backlog) + " (" +
      std::to_string(limits_.fd_limit) + " file descriptors allowed; " +
      (config_.haproxy_limits.maxconn ? "maxconn as configured" : "maxconn derived from them") + ")");
}

Agent::~Agent() {
  stop();
  shutdown();
}

void Agent::stop() {
  std::lock_guard<std::mutex> g(mu_);
  stop_ = true;
  cv_.notify_all();
}

InstanceOptions Agent::instance_options() const {
  InstanceOptions o;
  o.haproxy_binary = config_.haproxy_binary;
  o.min_reload_interval = config_.min_reload_interval;
  o.drain_timeout = config_.drain_timeout;
  o.hard_stop_after = config_.hard_stop_after;
  o.stop_on_exit = config_.stop_haproxy_on_exit;
  o.limits = limits_;
  o.tls = config_.tls;
  o.access_log = config_.access_log;
  o.haproxy_driver = make_.haproxy;
  return o;
}

void Agent::run(const std::function<void()>& on_ready) {
  if (!config_.metrics_listen.empty()) metrics_.listen(config_.metrics_listen);
  start();
  bool ready_told = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_) break;
    }
    auto until = Clock::now() + std::chrono::seconds(1);
    if (auto next = step(Clock::now()); next && *next < until) until = *next;
    if (on_ready && !ready_told) {
      on_ready();
      ready_told = true;
    }
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_until(lk, until, [&] {
      return stop_ || !dirty_pools_.empty() || list_dirty_ || endpoints_dirty_ || connection_changed_ ||
             fast_path_dirty_;
    });
  }
  shutdown();
}

void Agent::start() {
  // 1. What ran before, at once: ZooKeeper and the apiserver may both be away.
  std::vector<std::string> errors;
  for (auto& c : cache_.load_all(&errors)) {
    const std::string name = c.inputs.name;
    Served s;
    s.instance = std::make_unique<PoolInstance>(cache_.instance_dir(name), instance_options(), &metrics_);
    s.instance->set_endpoints(std::move(c.endpoints), 0, *c.inputs.model);
    s.instance->set_inputs(std::move(c.inputs), std::move(c.allocated_ports));
    s.from_cache = true;
    const double age =
        (std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
             .count() -
         c.saved_at_unix_ms) /
        1000.0;
    metrics_.cache_age(name, age);
    log("serving pool " + name + " from the cache (saved " + std::to_string(static_cast<int64_t>(age)) + " s ago)");
    served_.emplace(name, std::move(s));
    needs_endpoints_.insert(name);
  }
  for (const auto& e : errors) log("cache: " + e);

  // 2. The dataplane and health checks, the pools and the endpoints, in the background.
  auto wake = [this](auto&& mark) {
    return [this, mark] {
      std::lock_guard<std::mutex> g(mu_);
      mark();
      cv_.notify_all();
    };
  };
  if (make_.dataplane) {
    if (make_.health) health_ = make_.health(wake([this] { fast_path_dirty_ = true; }));
    dataplane_ = make_.dataplane(wake([this] { fast_path_dirty_ = true; }));
  }
  PoolSource::Events events;
  events.pool_changed = [this](const std::string& pool) {
    std::lock_guard<std::mutex> g(mu_);
    dirty_pools_.insert(pool);
    cv_.notify_all();
  };
  events.list_changed = wake([this] { list_dirty_ = true; });
  events.connection_changed = wake([this] { connection_changed_ = true; });
  pools_ = make_.pools(std::move(events));
  endpoints_ = make_.endpoints(wake([this] {
    endpoints_dirty_ = true;
    if (!endpoints_event_) endpoints_event_ = Clock::now();
  }));
  for (const auto& [name, s] : served_) endpoints_->subscribe(name, s.instance->inputs()->version);
}

std::optional<Clock::time_point> Agent::step(Clock::time_point now) {
  std::optional<Clock::time_point> next;
  try {
    reconcile(now, &next);
  } catch (const std::exception& e) {
    log(std::string("reconcile: ") + e.what());
  }
  return next;
}

void Agent::shutdown() {
  // HAProxy per stop_on_exit; the pool source's session ends, the claims with it. The
  // dataplane keeps its table (a restarted agent adopts it).
  dataplane_.reset();
  health_.reset();
  endpoints_.reset();
  served_.clear();
  claims_.clear();
  if (pools_) pools_->close();
  pools_.reset();
}

std::string Agent::why_not(const std::string& pool) const {
  auto it = why_not_.find(pool);
  return it == why_not_.end() ? "" : it->second;
}

void Agent::reconcile(Clock::time_point now, std::optional<Clock::time_point>* next) {
  std::set<std::string> dirty;
  bool list = false, eps = false, all = false;
  std::optional<Clock::time_point> event;
  {
    std::lock_guard<std::mutex> g(mu_);
    dirty.swap(dirty_pools_);
    list = list_dirty_;
    list_dirty_ = false;
    eps = endpoints_dirty_;
    endpoints_dirty_ = false;
    event = endpoints_event_;
    endpoints_event_.reset();
    all = connection_changed_;
    connection_changed_ = false;
    fast_path_dirty_ = false;
  }
  if (!pools_) return;
  const std::optional<std::set<std::string>> pools = pools_->pools();
  if (pools_->sessions() != sessions_seen_) {
    sessions_seen_ = pools_->sessions();
    all = true;  // a new session: claims are taken again
  }
  if (pools) {
    std::vector<std::string> gone;
    for (const auto& [name, s] : served_)
      if (!pools->count(name)) gone.push_back(name);
    for (const auto& [name, in] : inputs_)
      if (!pools->count(name)) gone.push_back(name);
    for (const auto& name : gone) {
      drop(name, "the pool was deleted");
      inputs_.erase(name);
      why_not_.erase(name);
      pools_->untrack(name);
    }
    for (const auto& name : *pools) reconcile_pool(name, all || list || dirty.count(name) || !inputs_.count(name));
  }
  if ((eps || !needs_endpoints_.empty()) && endpoints_) refresh_endpoints(eps ? event : std::nullopt);
  plan_fast_path();
  for (auto& [name, s] : served_) {
    auto wake = s.instance->apply(now);
    if (wake && (!*next || *wake < **next)) *next = wake;
    auto save = publish_and_save(name, s, now);
    if (save && (!*next || *save < **next)) *next = save;
    if (auto st = s.instance->haproxy_status())
      metrics_.sync_totals(name, st->restarts, st->runtime_batches, st->runtime_failures);
  }
  metrics_.pools_served(served_.size());
  if (dataplane_) {
    const DataplaneSyncStatus ds = dataplane_->status();
    size_t failing = 0;
    if (health_)
      for (const auto& [key, ok] : health_->verdicts()) failing += ok ? 0 : 1;
    metrics_.dataplane(ds.table_version, ds.in_sync, ds.calls, ds.refused.size(), health_ ? health_->checks_run() : 0,
                       failing);
  }
  metrics_.connected(pools_->connected(), endpoints_ && endpoints_->connected());
}

void Agent::reconcile_pool(const std::string& name, bool dirty) {
  if (!dirty) return;
  PoolInputsRead read = pools_->read(name);
  if (read.gone) {
    drop(name, "the pool was deleted");
    inputs_.erase(name);
    pools_->untrack(name);
    return;
  }
  if (read.invalid) {
    pools_->track(name, {});  // a fixed version is read again
    why_not_[name] = read.error;
    drop(name, read.error);
    return;
  }
  if (!read.inputs) {
    why_not_[name] = read.error;
    log("pool " + name + ": " + read.error + " (what runs keeps running)");
    return;
  }
  PoolInputs in = std::move(*read.inputs);
  const std::shared_ptr<const PoolModel> model = in.model;
  std::vector<std::string> secret_names;
  for (const auto& [secret, file] : model->secrets)
    if (!secret.empty()) secret_names.push_back(secret);
  pools_->track(name, secret_names);
  inputs_[name] = in;

  std::vector<PlacementConstraint> constraints;
  try {
    constraints = parse_constraints(model->constraints);
  } catch (const std::exception& e) {
    why_not_[name] = e.what();
    drop(name, e.what());
    return;
  }
  if (auto conflict = port_conflict(name, *model)) {
    why_not_[name] = *conflict;
    drop(name, *conflict);
    return;
  }
  auto& claim = claims_[name];
  if (!claim) claim = pools_->claim(name);
  auto outcome = claim->reconcile(model->count.value_or(1), model->role, constraints);
  if (outcome.zk_unavailable) return;  // keep what runs
  if (!outcome.slot && outcome.held_by_previous_self && served_.count(name)) {
    if (why_not_[name] != outcome.why) log("pool " + name + ": keeps serving; " + outcome.why);
    why_not_[name] = outcome.why;
    return;
  }
  if (!outcome.slot) {
    if (why_not_[name] != outcome.why) log("pool " + name + " not served here: " + outcome.why);
    why_not_[name] = outcome.why;
    drop(name, outcome.why);
    return;
  }
  why_not_.erase(name);
  Served& s = served_[name];
  if (!s.instance) {
    s.instance = std::make_unique<PoolInstance>(cache_.instance_dir(name), instance_options(), &metrics_);
    log("pool " + name + ": claimed " + instance_node_name(*outcome.slot));
  }
  s.from_cache = false;
  const int64_t version = in.version;
  s.instance->set_inputs(std::move(in), allocate_ports(name, *model, s.instance->allocated_ports()));
  if (endpoints_) endpoints_->subscribe(name, version);
  needs_endpoints_.insert(name);
}

void Agent::drop(const std::string& name, const std::string& why) {
  auto it = served_.find(name);
  if (it != served_.end()) {
    log("pool " + name + ": stops serving here (" + why + ")");
    it->second.instance->stop_haproxy();
    served_.erase(it);
    cache_.remove(name);
    metrics_.forget(name);
  }
  auto c = claims_.find(name);
  if (c != claims_.end()) {
    c->second->release();
    if (why == "the pool was deleted") claims_.erase(c);
  }
  needs_endpoints_.erase(name);
  if (endpoints_) endpoints_->unsubscribe(name);
}

std::optional<std::string> Agent::port_conflict(const std::string& name, const PoolModel& model) const {
  for (const auto& [other, s] : served_) {
    if (other == name || !s.instance->inputs()) continue;
    std::vector<std::pair<std::string, uint32_t>> theirs = fixed_binds(*s.instance->inputs()->model);
    for (const auto& [key, port] : s.instance->allocated_ports()) theirs.emplace_back("", port);
    for (const auto& [a, p] : fixed_binds(model))
      for (const auto& [b, q] : theirs)
        if (p == q && (a.empty() || b.empty() || a == b))
          return "port " + std::to_string(p) + " is already bound by pool " + other + " on this node";
  }
  return std::nullopt;
}

std::map<std::string, uint32_t> Agent::allocate_ports(const std::string& name, const PoolModel& model,
                                                      const std::map<std::string, uint32_t>& current) const {
  std::vector<std::string> wanted;
  if (model.stats_port && *model.stats_port == 0) wanted.push_back("haproxy.stats");
  for (size_t i = 0; i < model.frontends.size(); ++i)
    if (model.frontends[i].bind_port == 0) wanted.push_back("haproxy.frontends[" + std::to_string(i) + "]");
  std::set<uint32_t> used;
  for (const auto& [a, p] : fixed_binds(model)) used.insert(p);
  for (const auto& [other, s] : served_) {
    if (other == name) continue;
    for (const auto& [k, p] : s.instance->allocated_ports()) used.insert(p);
    if (s.instance->inputs())
      for (const auto& [a, p] : fixed_binds(*s.instance->inputs()->model)) used.insert(p);
  }
  std::map<std::string, uint32_t> out;
  for (const auto& key : wanted) {
    auto it = current.find(key);
    if (it != current.end() && !used.count(it->second)) {
      out[key] = it->second;
      used.insert(it->second);
    }
  }
  for (const auto& key : wanted) {
    if (out.count(key)) continue;
    for (uint32_t p = config_.port_range_first; p <= config_.port_range_last; ++p)
      if (!used.count(p)) {
        out[key] = p;
        used.insert(p);
        break;
      }
  }
  return out;
}

void Agent::refresh_endpoints(std::optional<Clock::time_point> event_time) {
  for (auto& [name, s] : served_) {
    const PoolInputs* in = s.instance->inputs() ? &*s.instance->inputs() : nullptr;
    if (!in) continue;
    std::string error;
    const std::shared_ptr<const PoolEndpoints> eps = endpoints_->latest(name, in->version, &error);
    if (error != s.endpoints_error && !error.empty()) log("pool " + name + ": endpoints: " + error);
    s.endpoints_error = error;
    if (!eps) continue;  // not pushed yet, or the listener cannot select: keep what we have
    const std::pair<int64_t, uint64_t> seen{eps->version, eps->revision};
    if (!needs_endpoints_.count(name) && seen == s.endpoints_seen) continue;  // nothing new for this pool
    s.endpoints_seen = seen;
    s.instance->set_endpoints(eps->backends, eps->revision, *in->model, event_time);
    needs_endpoints_.erase(name);
  }
}

void Agent::plan_fast_path() {
  if (!dataplane_) return;
  std::vector<FastPathPoolInput> inputs;
  for (auto& [name, s] : served_) {
    const PoolInputs* in = s.instance->inputs() ? &*s.instance->inputs() : nullptr;
    if (!in) continue;
    inputs.push_back({name, in->model.get(), &s.instance->endpoints(),
                      s.instance->running_ports() ? s.instance->running_ports() : &s.instance->allocated_ports()});
  }
  plan_ = planner_.plan(inputs, health_ ? health_->verdicts() : HealthVerdicts{});
  std::vector<ServiceSpec> specs;
  for (const auto& p : plan_.services) specs.push_back(p.spec);
  dataplane_->set_desired(std::move(specs));
  if (health_) health_->set_targets(plan_.checks);
}

std::optional<Clock::time_point> Agent::publish_and_save(const std::string& name, Served& s, Clock::time_point now) {
  nlohmann::json reg = s.instance->registration();
  if (dataplane_) {
    const DataplaneSyncStatus ds = dataplane_->status();
    nlohmann::json errors = nlohmann::json::array();
    auto e = plan_.errors.find(name);
    if (e != plan_.errors.end())
      for (const auto& x : e->second) errors.push_back(x);
    nlohmann::json vips = nlohmann::json::array();
    for (const auto& p : plan_.services) {
      if (p.pool != name) continue;
      auto r = ds.refused.find(p.spec.name);
      if (r != ds.refused.end()) errors.push_back(p.path + ": refused by the dataplane: " + r->second);
      vips.push_back(p.spec.name);
    }
    reg["dataplane"] = {{"tableVersion", ds.table_version},
                        {"inSync", ds.in_sync},
                        {"connected", ds.connected},
                        {"services", vips},
                        {"errors", errors}};
    if (!ds.last_error.empty()) reg["dataplane"]["lastError"] = ds.last_error;
  }
  reg["address"] = config_.node_address;
  reg["instanceDir"] = s.instance->dir();
  reg["allocatedPorts"] = s.instance->running_ports() ? *s.instance->running_ports() : s.instance->allocated_ports();
  auto c = claims_.find(name);
  if (c != claims_.end() && c->second->held() && reg != s.published) {
    c->second->publish(reg);
    s.published = reg;
  }
  // The running haproxy.cfg for `edgelbctl lb-config`: after each change of it (a reload, or
  // membership written into the file), at most once a second.
  constexpr auto kConfigPublishInterval = std::chrono::seconds(1);
  std::optional<Clock::time_point> wake;
  const std::string hash = reg.value("configHash", "");
  if (c != claims_.end() && c->second->held() && !hash.empty() && hash != s.published_config_hash) {
    if (now >= s.config_published_at + kConfigPublishInterval) {
      const std::string text = s.instance->running_config();
      if (c->second->publish_config(text, haproxy::config_hash(text))) s.published_config_hash = hash;
      s.config_published_at = now;
    } else {
      wake = s.config_published_at + kConfigPublishInterval;
    }
  }
  const PoolInputs* running = s.instance->running_inputs();
  if (!running) return wake;
  const std::string& key = s.instance->running_key();
  const haproxy::EndpointsByService& endpoints = s.instance->endpoints();
  if (key == s.saved_key && endpoints == s.saved_endpoints) return wake;
  // Membership alone is saved at most once a second (a burst of Mesos events costs one write).
  constexpr auto kEndpointsSaveInterval = std::chrono::seconds(1);
  if (key == s.saved_key && now < s.saved_at + kEndpointsSaveInterval)
    return wake ? std::min(*wake, s.saved_at + kEndpointsSaveInterval) : s.saved_at + kEndpointsSaveInterval;
  CachedInstance cached;
  cached.inputs = *running;
  cached.endpoints = endpoints;
  cached.allocated_ports = *s.instance->running_ports();
  if (c != claims_.end()) cached.slot = c->second->held();
  try {
    cache_.save(cached);
    s.saved_key = key;
    s.saved_endpoints = endpoints;
    s.saved_at = now;
    metrics_.cache_age(name, 0);
  } catch (const std::exception& e) {
    log("cache: " + std::string(e.what()));
  }
  return wake;
}

}  // namespace edgelb::cp
