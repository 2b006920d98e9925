#include "agent/pool_instance.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/state_cache.h"
#include "common/read_file.h"
#include "haproxy/config_renderer.h"
#include "haproxy/runtime_api.h"
#include "haproxy/supervisor.h"
#include "haproxy/template_data.h"

namespace edgelb::cp {
namespace fs = std::filesystem;

namespace {
constexpr auto kStartRetry = std::chrono::seconds(5);
constexpr auto kEndpointsRetry = std::chrono::seconds(1);
constexpr auto kDeleteRetry = std::chrono::seconds(1);  // a drained dynamic server still has connections

std::string join_names(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool ip_literal(const std::string& a) {
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}
}  // namespace

PoolInstance::PoolInstance(std::string dir, InstanceOptions options, AgentMetrics* metrics)
    : dir_(std::move(dir)), options_(std::move(options)), metrics_(metrics) {}

PoolInstance::~PoolInstance() {
  writer_.reset();  // before the supervisor it writes through
}

void PoolInstance::set_inputs(PoolInputs inputs, std::map<std::string, uint32_t> allocated_ports) {
  if (!inputs.model) throw std::invalid_argument("pool " + inputs.name + ": inputs without a parsed model");
  inputs_ = std::move(inputs);
  ports_ = std::move(allocated_ports);
  desired_key_ = structure_key(*inputs_, ports_);
}

PoolInstance::Selectors PoolInstance::selectors_of(const PoolModel& model) {
  Selectors out;
  for (const Backend& b : model.backends) out.emplace_back(b.name, b.services);
  return out;
}

bool PoolInstance::same_selectors(const PoolModel& model, const Selectors& s) {
  if (model.backends.size() != s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (model.backends[i].name != s[i].first || model.backends[i].services != s[i].second) return false;
  return true;
}

void PoolInstance::set_endpoints(haproxy::EndpointsByService endpoints, uint64_t revision,
                                 const PoolModel& selected_for, std::optional<Clock::time_point> event_time) {
  endpoints_selectors_ = selectors_of(selected_for);
  if (endpoints != endpoints_ && event_time && !pending_event_) pending_event_ = event_time;
  endpoints_ = std::move(endpoints);
  revision_ = revision;
}

std::string PoolInstance::structure_key(const PoolInputs& in, const std::map<std::string, uint32_t>& ports) {
  nlohmann::json j = in.to_json();
  j["ports"] = ports;
  return haproxy::config_hash(j.dump());
}

std::string PoolInstance::render(const Running& r, const haproxy::ServerSlots& slots, haproxy::HaproxyDriver* sup) {
  auto settings = haproxy::RenderSettings::under(dir_);
  settings.hard_stop_after = options_.hard_stop_after;
  settings.limits = options_.limits;
  settings.tls = options_.tls;
  settings.log_target = haproxy::log_target(options_.access_log, dir_ + "/run");
  settings.allocated_ports = r.ports;
  if (sup) settings.inherited_fds = sup->inherited_binds(binds(r));
  const auto t0 = Clock::now();
  std::string text = haproxy::render_config(r.model(), r.inputs.version, slots, settings, r.inputs.template_text);
  if (metrics_) metrics_->render_time(Clock::now() - t0);
  return text;
}

std::vector<std::string> PoolInstance::binds(const Running& r) {
  haproxy::RenderSettings settings;
  settings.allocated_ports = r.ports;
  return haproxy::frontend_binds(r.model(), settings);
}

void PoolInstance::install_files(const PoolInputs& in) {
  auto settings = haproxy::RenderSettings::under(dir_);
  auto sync_dir = [](const std::string& dir, const std::map<std::string, std::string>& files) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    for (const auto& [name, content] : files) write_file_atomic(dir + "/" + name, content, 0600);
    for (const auto& e : fs::directory_iterator(dir))
      if (!files.count(e.path().filename().string())) fs::remove(e.path());
  };
  sync_dir(settings.secrets_dir, in.secret_files);
  sync_dir(settings.envfile_dir, in.env_files);
  if (!in.autocert_pem.empty()) write_file_atomic(settings.autocert_path, in.autocert_pem, 0600);
}

void PoolInstance::record_event_latency() {
  if (pending_event_ && metrics_) metrics_->event_to_applied(Clock::now() - *pending_event_);
  pending_event_.reset();
}

std::optional<PoolInstance::Clock::time_point> PoolInstance::start(Clock::time_point now) {
  const std::string& key = desired_key_;
  try {
    Running r{*inputs_, ports_, key};
    install_files(r.inputs);
    auto slots = haproxy::ServerSlots::plan(r.model(), endpoints_);
    if (options_.access_log.kind == haproxy::AccessLogSettings::Kind::kFile && !access_log_) {
      const std::string file = access_log_file();
      fs::create_directories(dir_ + "/run");
      fs::create_directories(fs::path(file).parent_path());
      access_log_ = std::make_unique<haproxy::AccessLogWriter>(haproxy::access_log_socket(dir_ + "/run"), file,
                                                               options_.access_log.max_bytes, options_.access_log.keep);
    }
    haproxy::SupervisorOptions o;
    o.haproxy_binary = options_.haproxy_binary;
    o.instance_dir = dir_;
    o.stop_on_exit = options_.stop_on_exit;
    o.stdout_is_ours = options_.access_log.kind == haproxy::AccessLogSettings::Kind::kStdout;
    o.listen_backlog = static_cast<int>(std::min<uint32_t>(options_.limits.backlog, 65535));
    std::unique_ptr<haproxy::HaproxyDriver> sup =
        options_.haproxy_driver ? options_.haproxy_driver(o) : std::make_unique<haproxy::Supervisor>(o);
    const std::string text = render(r, slots, sup.get());
    sup->start(text);
    supervisor_ = std::move(sup);
    writer_ = std::make_unique<ConfigWriter>([sup = supervisor_.get()](const std::string& t) { sup->write_config(t); });
    running_ = std::move(r);
    slots_ = std::move(slots);
    last_reload_ = std::max(now, Clock::now());  // the interval counts from when it is live
    error_.clear();
    failed_key_.clear();
    record_event_latency();
    return std::nullopt;
  } catch (const std::exception& e) {
    const std::string error = std::string("cannot start HAProxy: ") + e.what();
    if (error != error_)
      std::fprintf(stderr, "edgelb-agent: pool %s: %s\n", inputs_ ? inputs_->name.c_str() : "?", error.c_str());
    error_ = error;
    return now + kStartRetry;
  }
}

void PoolInstance::reload(Clock::time_point now) {
  const std::string& key = desired_key_;
  const bool to_desired = key != failed_key_;
  last_reload_ = now;
  try {
    Running r = to_desired ? Running{*inputs_, ports_, key} : *running_;
    if (to_desired) install_files(r.inputs);
    auto slots = slots_.replan(r.model(), endpoints_);
    const std::string text = render(r, slots, supervisor_.get());
    auto hold = writer_->hold();  // an older membership rewrite must not land after this reload
    haproxy::ReloadResult res = supervisor_->reload(text);
    if (metrics_) metrics_->reload(inputs_->name, res.ok);
    if (!res.ok) throw std::runtime_error(res.error);
    supervisor_->release_binds_except(binds(r));
    running_ = std::move(r);
    slots_ = std::move(slots);
    last_reload_ = std::max(now, Clock::now());
    draining_since_.clear();
    if (to_desired) error_.clear();
    record_event_latency();
  } catch (const std::exception& e) {
    if (to_desired) failed_key_ = key;
    error_ = "version " + std::to_string(inputs_->version) + " not applied: " + e.what();
  }
}

void PoolInstance::runtime_changes(Clock::time_point now) {
  std::vector<haproxy::SlotChange> changes;
  if (!slots_.update(endpoints_, &changes)) {
    reload(now);  // slots exhausted: re-plan with room to grow
    return;
  }
  if (changes.empty()) {
    record_event_latency();
    return;
  }
  std::vector<std::string> commands;
  std::set<std::string> added_to;  // backends that get a new dynamic server
  for (const auto& c : changes) {
    const auto& g = slots_.groups()[c.group];
    const auto& backend = running_->model().backends[g.backend];
    const auto& spec = backend.services[g.service];
    std::vector<std::string> more;
    if (g.dynamic) {
      const std::string options =
          haproxy::server_options(backend, spec, "", haproxy::service_path(g.backend, g.service));
      more = haproxy::slot_commands(g.backend_name, c.after.server ? c.after.name : c.before.name, c.before, c.after,
                                    spec.check_enabled.value_or(true), &options);
      if (c.after.server && !c.before.server) added_to.insert(g.backend_name);
    } else {
      more = haproxy::slot_commands(g.backend_name, haproxy::slot_name(g, c.slot), c.before, c.after,
                                    spec.check_enabled.value_or(true));
    }
    commands.insert(commands.end(), more.begin(), more.end());
    const auto id = std::make_pair(c.group, c.slot);
    if (c.after.draining && !c.before.draining) draining_since_[id] = now;
    if (!c.after.draining) draining_since_.erase(id);
  }
  // A host-name address cannot be set at runtime: such a server needs a reload.
  bool needs_reload = false;
  for (const auto& c : changes)
    if (c.after.server && !c.after.draining && !ip_literal(c.after.server->address)) needs_reload = true;
  auto res = supervisor_->runtime(commands);
  runtime_commands_ += commands.size();
  if (!res.ok && res.errors.find("dynamic server") != std::string::npos) {
    // HAProxy would not add a server (an endpoint.miscStr option `add server` does not take):
    // those backends use fixed slots from now on.
    for (const auto& backend : added_to) slots_.use_slots_for(backend);
    std::fprintf(stderr,
                 "edgelb-agent: pool %s: HAProxy refused a runtime server (%s); backend(s) %s use server slots\n",
                 inputs_->name.c_str(), res.errors.c_str(), join_names(added_to).c_str());
  }
  if (!res.ok || needs_reload) {
    // HAProxy and the slots disagree: a reload puts the whole state in place.
    reload(now);
    return;
  }
  record_event_latency();
  rewrite_config();
}

void PoolInstance::rewrite_config() {
  // Off the loop: a copy of what runs and of the slots, rendered and written by the writer.
  writer_->request([this, r = *running_, slots = slots_] { return render(r, slots, supervisor_.get()); });
}

std::optional<PoolInstance::Clock::time_point> PoolInstance::finish_drains(Clock::time_point now) {
  std::optional<Clock::time_point> next;
  std::vector<std::string> commands;
  bool released = false;
  for (auto it = draining_since_.begin(); it != draining_since_.end();) {
    const auto due = it->second + options_.drain_timeout;
    if (due > now) {
      if (!next || due < *next) next = due;
      ++it;
      continue;
    }
    const auto [group, slot] = it->first;
    const haproxy::Slot before = slots_.groups()[group].slots[slot];
    const auto& g = slots_.groups()[group];
    if (g.dynamic && before.server && before.draining) {
      // Maintenance, then deleted. HAProxy refuses the delete while connections (active or
      // idle) remain: the server stays, in maintenance, and the delete is tried again.
      const std::string name = before.name, backend = g.backend_name;
      auto more = haproxy::slot_commands(backend, name, before, haproxy::Slot{}, true);
      more.push_back(haproxy::del_server_command(backend, name));
      const auto r = supervisor_->runtime(more);
      runtime_commands_ += more.size();
      if (!r.ok && r.errors.find("No such server") == std::string::npos) {
        it->second = now - options_.drain_timeout + kDeleteRetry;
        if (!next || now + kDeleteRetry < *next) next = now + kDeleteRetry;
        ++it;
        continue;
      }
      slots_.release(group, slot);
      released = true;
    } else if (slots_.release(group, slot)) {
      auto more = haproxy::slot_commands(g.backend_name, haproxy::slot_name(g, slot), before, haproxy::Slot{}, true);
      commands.insert(commands.end(), more.begin(), more.end());
    }
    it = draining_since_.erase(it);
  }
  if (!commands.empty()) {
    supervisor_->runtime(commands);
    runtime_commands_ += commands.size();
  }
  if (!commands.empty() || released) rewrite_config();
  return next;
}

std::optional<PoolInstance::Clock::time_point> PoolInstance::apply(Clock::time_point now) {
  if (!inputs_) return std::nullopt;
  if (!supervisor_ || !running_) return start(now);
  // HAProxy was restarted (it died): it runs the file, without runtime state. A reload from
  // the current slots puts everything back.
  const auto st = supervisor_->status();
  if (st.restarts != seen_restarts_ && st.state == haproxy::HaproxyState::kRunning) {
    seen_restarts_ = st.restarts;
    reload(now);
  }
  const std::string& key = desired_key_;
  std::optional<Clock::time_point> wake;
  if (key != running_->key && key != failed_key_ && endpoints_selectors_ &&
      !same_selectors(*inputs_->model, *endpoints_selectors_)) {
    // A new version with other selectors: its servers come from the mesos-listener.
    error_ = "version " + std::to_string(inputs_->version) +
             " waits for the mesos-listener's endpoints of its new service selectors";
    wake = now + kEndpointsRetry;
    runtime_changes(now);
  } else if (key != running_->key && key != failed_key_) {
    const auto allowed = last_reload_ ? *last_reload_ + options_.min_reload_interval : now;
    if (now >= allowed) {
      reload(now);
    } else {
      wake = allowed;  // coalesce: whatever else changes until then rides on the same reload
      runtime_changes(now);
    }
  } else {
    if (key == running_->key) error_.clear();  // nothing pending: what runs is what is wanted
    runtime_changes(now);
  }
  auto drain = finish_drains(now);
  if (drain && (!wake || *drain < *wake)) wake = drain;
  return wake;
}

std::string PoolInstance::running_config() const {
  if (!supervisor_) return "";
  return read_file_if_present(supervisor_->config_path()).value_or("");
}

std::string PoolInstance::access_log_file() const {
  if (options_.access_log.kind != haproxy::AccessLogSettings::Kind::kFile) return "";
  std::string file = options_.access_log.file;
  if (file.empty()) return dir_ + "/access.log";
  const std::string pool = inputs_ ? inputs_->name : fs::path(dir_).filename().string();
  for (size_t at; (at = file.find("{pool}")) != std::string::npos;) file.replace(at, 6, pool);
  return file;
}

void PoolInstance::stop_haproxy() {
  writer_.reset();
  if (supervisor_) supervisor_->stop(true);
}

std::optional<haproxy::SupervisorStatus> PoolInstance::haproxy_status() const {
  if (!supervisor_) return std::nullopt;
  return supervisor_->status();
}

nlohmann::json PoolInstance::registration() const {
  nlohmann::json j;
  j["appliedVersion"] = applied_version();
  j["desiredVersion"] = inputs_ ? inputs_->version : 0;
  j["endpointsRevision"] = revision_;
  j["runtimeCommands"] = runtime_commands_;
  auto st = haproxy_status();
  if (!st) {
    j["state"] = "stopped";
    j["healthy"] = false;
    j["error"] = error_;
    return j;
  }
  const bool serving =
      st->state == haproxy::HaproxyState::kRunning || st->state == haproxy::HaproxyState::kReloadFailed;
  j["state"] = st->state == haproxy::HaproxyState::kRunning && !error_.empty() ? "reload_failed"
                                                                               : haproxy::haproxy_state_name(st->state);
  j["healthy"] = serving;
  j["error"] = error_.empty() ? st->error : error_;
  j["configHash"] = st->config_hash;
  j["lastReloadMs"] = st->last_reload_unix_ms;
  j["reloads"] = st->reloads;
  j["reloadFailures"] = st->reload_failures;
  j["restarts"] = st->restarts;
  j["masterPid"] = st->master_pid;
  return j;
}

}  // namespace edgelb::cp
