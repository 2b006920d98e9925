#include "api/mesos_service.h"

#include <map>
#include <mutex>
#include <thread>

#include "api/grpc_errors.h"
#include "mesos/pool_endpoints.h"
#include "pool/pool_document.h"
#include "pool/pool_validator.h"

namespace edgelb::cp {
namespace {

namespace pb = edgelb::v1;
using mesos::Change;

void to_pb(const mesos::Framework& f, pb::MesosFramework* out) {
  out->set_id(f.id);
  out->set_name(f.name);
  out->set_active(f.active);
}

void to_pb(const mesos::Agent& a, pb::MesosAgent* out) {
  out->set_id(a.id);
  out->set_hostname(a.hostname);
  out->set_ip(a.ip);
  out->set_port(a.port);
}

void to_pb(const mesos::Task& t, pb::MesosTask* out) {
  out->set_framework_id(t.framework_id);
  out->set_task_id(t.task_id);
  out->set_name(t.name);
  out->set_agent_id(t.agent_id);
  out->set_state(mesos::task_state_name(t.state));
  out->set_has_health_check(t.has_health_check);
  out->set_health(!t.healthy   ? pb::MesosTask::HEALTH_UNREPORTED
                  : *t.healthy ? pb::MesosTask::HEALTHY
                               : pb::MesosTask::UNHEALTHY);
  out->set_ready(t.ready());
  out->set_network(mesos::network_mode_name(t.network));
  out->set_network_name(t.network_name);
  for (const auto& ip : t.ip_addresses) out->add_ip_addresses(ip);
  for (const auto& p : t.ports) {
    auto* o = out->add_ports();
    o->set_number(p.number);
    o->set_name(p.name);
    o->set_protocol(p.protocol);
    o->set_container_scope(p.container_scope);
    o->set_network_name(p.network_name);
  }
  for (const auto& m : t.port_mappings) {
    auto* o = out->add_port_mappings();
    o->set_host_port(m.host_port);
    o->set_container_port(m.container_port);
    o->set_protocol(m.protocol);
  }
  out->set_app_id(t.app_id);
  out->set_container_name(t.container_name);
  for (const auto& [k, v] : t.labels) (*out->mutable_labels())[k] = v;
}

void to_pb(const Change& c, pb::MesosChange* out) {
  out->set_revision(c.revision);
  const bool remove = c.kind == Change::Kind::kTaskRemove || c.kind == Change::Kind::kAgentRemove ||
                      c.kind == Change::Kind::kFrameworkRemove;
  out->set_op(remove ? pb::MesosChange::REMOVE : pb::MesosChange::UPSERT);
  if (c.task) to_pb(*c.task, out->mutable_task());  // exactly one of the three is set
  if (c.agent) to_pb(*c.agent, out->mutable_agent());
  if (c.framework) to_pb(*c.framework, out->mutable_framework());
}

void to_pb(const mesos::ServiceEndpoints& se, pb::ServiceEndpoints* s) {
  s->set_path(se.path);
  s->set_backend(se.backend);
  for (const auto& e : se.endpoints) {
    auto* o = s->add_endpoints();
    o->set_address(e.address);
    o->set_port(e.port);
    o->set_ipv6(e.ipv6);
    o->set_type(mesos::endpoint_type_name(e.type));
    o->set_framework_id(e.framework_id);
    o->set_task_id(e.task_id);
    o->set_task_name(e.task_name);
    o->set_app_id(e.app_id);
    o->set_container_name(e.container_name);
    o->set_agent_id(e.agent_id);
    o->set_port_name(e.port_name);
    o->set_protocol(e.protocol);
    o->set_ready(e.ready);
  }
}

}  // namespace

MesosListenerService::MesosListenerService(mesos::MesosModel& model, const mesos::MesosSubscriber* subscriber,
                                           PoolStore* store, const Authorizer& auth, std::string master)
    : model_(model), subscriber_(subscriber), store_(store), auth_(auth), master_(std::move(master)) {}

void MesosListenerService::shutdown() {
  stopping_ = true;
  model_.notify_all();
}

void MesosListenerService::fill_status(pb::ListenerStatus* s) const {
  s->set_master(master_);
  s->set_has_snapshot(model_.has_snapshot());
  if (!subscriber_) return;
  const mesos::SubscriberStatus st = subscriber_->status();
  const mesos::StreamCounters& c = subscriber_->counters();
  s->set_subscribed(st.subscribed);
  s->set_leader(st.leader);
  s->set_subscriptions(st.subscriptions);
  s->set_records(c.records);
  s->set_heartbeats(c.heartbeats);
  s->set_heartbeat_timeouts(st.heartbeat_timeouts);
  s->set_redirects(st.redirects);
  s->set_unavailable(st.unavailable);
  s->set_leader_changes(st.leader_changes);
  s->set_unknown_event_types(c.unknown_event_types);
  s->set_unknown_tasks(c.unknown_tasks);
  s->set_invalid_records(c.invalid_records);
  s->set_framing_errors(c.framing_errors);
  s->set_truncated_records(c.truncated_records);
  s->set_protocol_errors(c.protocol_errors);
  s->set_last_error(st.last_error);
  s->set_heartbeat_interval_seconds(st.heartbeat_interval_seconds);
}

grpc::Status MesosListenerService::List(grpc::ServerContext* ctx, const pb::ListMesosRequest*,
                                        pb::ListMesosResponse* out) {
  Caller who;
  if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
  const mesos::ModelView v = model_.snapshot();
  out->set_revision(v.revision);
  for (const auto& f : v.frameworks) to_pb(*f, out->add_frameworks());
  for (const auto& a : v.agents) to_pb(*a, out->add_agents());
  for (const auto& t : v.tasks) to_pb(*t, out->add_tasks());
  fill_status(out->mutable_status());
  return grpc::Status::OK;
}

grpc::Status MesosListenerService::Watch(grpc::ServerContext* ctx, const pb::WatchMesosRequest* req,
                                         grpc::ServerWriter<pb::WatchMesosResponse>* writer) {
  Caller who;
  if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
  uint64_t after = req->after_revision();
  bool resync = after == 0;
  std::vector<Change> changes;
  while (!ctx->IsCancelled() && !stopping_) {
    if (resync) {
      // The whole state as upserts, frameworks and agents before tasks, in bounded messages.
      const mesos::ModelView v = model_.snapshot();
      pb::WatchMesosResponse msg;
      msg.set_resync(true);
      msg.set_revision(v.revision);
      size_t n = 0;
      auto flush = [&](bool last) {
        msg.set_partial(!last);
        bool ok = writer->Write(msg);
        msg.Clear();
        msg.set_revision(v.revision);
        n = 0;
        return ok;
      };
      bool ok = true;
      auto add = [&](auto fill) {
        if (!ok) return;
        auto* c = msg.add_changes();
        c->set_revision(v.revision);
        fill(c);
        if (++n == kMaxChangesPerMessage) ok = flush(false);
      };
      for (const auto& f : v.frameworks) add([&](pb::MesosChange* c) { to_pb(*f, c->mutable_framework()); });
      for (const auto& a : v.agents) add([&](pb::MesosChange* c) { to_pb(*a, c->mutable_agent()); });
      for (const auto& t : v.tasks) add([&](pb::MesosChange* c) { to_pb(*t, c->mutable_task()); });
      if (!ok || !flush(true)) break;
      after = v.revision;
      resync = false;
      continue;
    }
    changes.clear();
    if (!model_.changes_since(after, &changes, kMaxChangesPerMessage)) {
      resync = true;  // fell behind the change log (or asked for a revision it never had)
      continue;
    }
    if (changes.empty()) {
      model_.wait_for_revision(after, std::chrono::milliseconds(500));
      continue;
    }
    pb::WatchMesosResponse msg;
    for (const Change& c : changes) to_pb(c, msg.add_changes());
    after = changes.back().revision;
    msg.set_revision(after);
    if (!writer->Write(msg)) break;
  }
  return grpc::Status::OK;
}

grpc::Status MesosListenerService::Endpoints(grpc::ServerContext* ctx, const pb::EndpointsRequest* req,
                                             pb::EndpointsResponse* out) {
  Caller who;
  if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
  nlohmann::json pool;
  if (!req->pool().empty() && !req->pool_config().empty())
    return fail(ctx, grpc::INVALID_ARGUMENT, "give either pool or pool_config, not both");
  if (!req->pool().empty()) {
    if (!store_) return fail(ctx, grpc::FAILED_PRECONDITION, "no pool store: pass pool_config inline");
    PoolRecord rec;
    auto r = store_->get(req->pool(), &rec);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    pool = std::move(rec.config);
  } else if (!req->pool_config().empty()) {
    FieldErrors errors;
    auto doc = parse_document(req->pool_config(), DocumentFormat::kAuto, errors);
    if (doc) errors = validate_pool(*doc, PoolContext{});
    if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool configuration", errors);
    pool = std::move(*doc);
  } else {
    return fail(ctx, grpc::INVALID_ARGUMENT, "give a pool name or a pool_config");
  }
  const mesos::ModelView v = model_.snapshot();
  std::vector<mesos::ServiceEndpoints> result;
  try {
    result = mesos::pool_endpoints(pool, v, req->include_not_ready());
  } catch (const std::invalid_argument& e) {
    return fail(ctx, grpc::INVALID_ARGUMENT, e.what());
  }
  out->set_revision(v.revision);
  for (const auto& se : result) to_pb(se, out->add_services());
  fill_status(out->mutable_status());
  return grpc::Status::OK;
}

// One WatchEndpoints stream: a reader thread takes the client's subscriptions; this thread
// resolves each subscribed pool version once from the store (its own copy of the pool, parsed
// once), selects its endpoints at every model revision and writes the pools whose endpoint
// sets changed, in one message.
grpc::Status MesosListenerService::WatchEndpoints(
    grpc::ServerContext* ctx, grpc::ServerReaderWriter<pb::EndpointsUpdates, pb::EndpointsSubscription>* stream) {
  Caller who;
  if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
  if (!store_) return fail(ctx, grpc::FAILED_PRECONDITION, "no pool store: WatchEndpoints needs the stored pools");
  constexpr auto kRetry = std::chrono::milliseconds(500);  // a pool version not readable yet

  std::mutex mu;
  std::map<std::string, int64_t> requested;  // from the reader, not taken yet
  bool reader_done = false;
  std::atomic<bool> woken{false};
  std::thread reader([&] {
    pb::EndpointsSubscription m;
    while (stream->Read(&m)) {
      std::lock_guard<std::mutex> g(mu);
      for (const auto& p : m.pools()) requested[p.pool()] = p.version();
      woken = true;
      model_.notify_all();
    }
    std::lock_guard<std::mutex> g(mu);
    reader_done = true;
    woken = true;
    model_.notify_all();
  });

  struct Subscription {
    int64_t wanted = 0;
    int64_t version = 0;                       // the stored version resolved (0: not yet)
    std::vector<mesos::PoolService> services;  // its selections, compiled once
    std::vector<std::string> current;          // each selection's endpoints, serialized
    bool resolved = false;
    std::string error;
    std::chrono::steady_clock::time_point retry_at{};
    bool send = true;  // the next evaluation is written whatever it holds
  };
  std::map<std::string, Subscription> subs;
  uint64_t evaluated = 0;  // the model revision every resolved subscription is up to date with
  std::vector<Change> changes;
  while (!ctx->IsCancelled() && !stopping_) {
    {
      std::lock_guard<std::mutex> g(mu);
      if (reader_done) break;
      for (const auto& [pool, version] : requested) {
        if (version <= 0) {
          subs.erase(pool);
        } else if (subs[pool].wanted != version) {
          Subscription fresh;
          fresh.wanted = version;
          subs[pool] = std::move(fresh);
        }
      }
      requested.clear();
      woken = false;
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto& [pool, sub] : subs) {
      if ((sub.resolved && sub.version >= sub.wanted) || now < sub.retry_at) continue;
      PoolRecord rec;
      const StoreResult r = store_->get(pool, &rec);
      sub.retry_at = now + kRetry;
      std::string error;
      if (!r.ok()) {
        error = r.message;
      } else if (rec.version < sub.wanted) {
        continue;  // the store has not shown this version yet: try again
      } else {
        try {
          sub.services = mesos::pool_services(PoolModel::from_json(rec.config));
          sub.version = rec.version;
          sub.resolved = true;
          sub.current.assign(sub.services.size(), std::string());
          sub.send = true;
        } catch (const std::invalid_argument& e) {
          error = std::string("pool ") + pool + " version " + std::to_string(rec.version) + ": " + e.what();
        }
      }
      if (error != sub.error) sub.send = true;
      sub.error = error;
    }
    // What changed since the last evaluation: a task change touches only the selections that
    // select that task (before or after); anything else (agents, frameworks, a log that no
    // longer reaches back) re-selects everything.
    const mesos::ModelView v = model_.snapshot();
    bool everything = evaluated == 0;
    changes.clear();
    if (!everything && v.revision != evaluated) {
      everything =
          !model_.changes_since(evaluated, &changes, kMaxChangesPerMessage) || changes.size() == kMaxChangesPerMessage;
      for (const Change& c : changes)
        if (c.revision <= v.revision && c.kind != Change::Kind::kTaskUpsert && c.kind != Change::Kind::kTaskRemove)
          everything = true;
    }
    pb::EndpointsUpdates out;
    for (auto& [pool, sub] : subs) {
      if (!sub.resolved || !sub.error.empty()) {
        if (sub.send && !sub.error.empty()) {  // tell the client once per error
          auto* u = out.add_updates();
          u->set_pool(pool);
          u->set_version(sub.resolved ? sub.version : sub.wanted);
          u->set_revision(v.revision);
          u->set_error(sub.error);
          sub.send = false;
        }
        continue;
      }
      bool changed = sub.send;
      for (size_t k = 0; k < sub.services.size(); ++k) {
        const mesos::PoolService& ps = sub.services[k];
        bool touched = sub.send || everything;
        for (size_t i = 0; !touched && i < changes.size(); ++i)
          touched = changes[i].revision <= v.revision && changes[i].task && ps.selector.selects(*changes[i].task, v);
        if (!touched) continue;
        pb::ServiceEndpoints se;
        to_pb(mesos::ServiceEndpoints{ps.path, ps.backend, ps.selector.endpoints(v, /*include_not_ready=*/true)}, &se);
        std::string bytes = se.SerializeAsString();
        if (bytes != sub.current[k]) {
          sub.current[k] = std::move(bytes);
          changed = true;
        }
      }
      if (!changed) continue;  // nothing this pool selects changed
      sub.send = false;
      auto* u = out.add_updates();
      u->set_pool(pool);
      u->set_version(sub.version);
      u->set_revision(v.revision);
      for (const std::string& bytes : sub.current) u->add_services()->ParseFromString(bytes);
    }
    evaluated = v.revision;
    if (out.updates_size() > 0 && !stream->Write(out)) break;
    model_.wait_for_revision(v.revision, kRetry, woken);
  }
  ctx->TryCancel();  // ends the reader's Read
  reader.join();
  return grpc::Status::OK;
}

}  // namespace edgelb::cp
