#include "cli/mesos_verbs.h"

#include "cli/lb_verbs.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <map>
#include <tuple>

#include "api/proto/edgelb.grpc.pb.h"
#include "api/proto/mesos_listener.grpc.pb.h"
#include "haproxy/server_slots.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"

namespace edgelb::cli {
namespace {

namespace pb = edgelb::v1;

std::string join(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "-" : s;
}

std::string ports(const pb::MesosTask& t) {
  std::string s;
  for (const auto& p : t.ports())
    s += (s.empty() ? "" : ",") + (p.name().empty() ? "" : p.name() + ":") + std::to_string(p.number());
  return s.empty() ? "-" : s;
}

std::string one_line(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

void print_status(const pb::ListenerStatus& s) {
  std::cout << "Mesos: " << (s.subscribed() ? "subscribed to " + s.leader() : "not subscribed") << " (" << s.master()
            << "), " << s.subscriptions() << " subscriptions, " << s.records() << " records";
  if (!s.last_error().empty()) std::cout << ", last error: " << s.last_error();
  std::cout << "\n";
}

int run_tasks(const MesosVerbs& v, const Connection& conn, bool json_out) {
  auto stub = pb::MesosListener::NewStub(cp::api_channel(conn));
  if (!v.watch) {
    auto ctx = cp::api_context(conn);
    pb::ListMesosResponse r;
    grpc::Status s = stub->List(ctx.get(), pb::ListMesosRequest(), &r);
    if (s.ok()) {
      if (json_out) {
        print_json(r);
      } else {
        print_status(r.status());
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : r.tasks())
          rows.push_back({t.task_id(), t.app_id().empty() ? "-" : t.app_id(), t.state(), t.ready() ? "yes" : "no",
                          t.agent_id(), t.network_name().empty() ? t.network() : t.network() + ":" + t.network_name(),
                          join(t.ip_addresses()), ports(t)});
        print_table({"TASK", "APP", "STATE", "READY", "AGENT", "NETWORK", "IPS", "PORTS"}, rows);
        std::cout << "revision " << r.revision() << ", " << r.tasks_size() << " tasks, " << r.agents_size()
                  << " agents, " << r.frameworks_size() << " frameworks\n";
      }
    }
    return report(s);
  }
  // Watch: one JSON line per batch (no deadline: streams until --max-batches or interrupted).
  auto stream_ctx = cp::api_stream_context(conn);
  grpc::ClientContext& ctx = *stream_ctx;
  pb::WatchMesosRequest req;
  req.set_after_revision(v.from_revision);
  auto reader = stub->Watch(&ctx, req);
  pb::WatchMesosResponse msg;
  int batches = 0;
  while (reader->Read(&msg)) {
    std::cout << one_line(msg) << std::endl;
    if (v.max_batches > 0 && ++batches >= v.max_batches) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  if (s.error_code() == grpc::CANCELLED && v.max_batches > 0 && batches >= v.max_batches) return 0;
  return report(s);
}

// The HAProxy server name each task endpoint of `pool_json`'s backends gets (server_slots.h):
// its task's, in a dynamic backend; "slot" where the backend uses fixed slots (which one is
// the agent's choice). Keyed by (path, address, port).
std::map<std::tuple<std::string, std::string, uint32_t>, std::string> server_names(const nlohmann::json& pool_json,
                                                                                   const pb::EndpointsResponse& r) {
  std::map<std::tuple<std::string, std::string, uint32_t>, std::string> out;
  cp::PoolModel model;
  try {
    model = cp::PoolModel::from_json(pool_json);
  } catch (const std::exception&) {
    return out;  // not a pool the agent could serve: no names to show
  }
  haproxy::EndpointsByService eps;
  for (const auto& se : r.services())
    for (const auto& e : se.endpoints())
      if (e.ready()) eps[se.path()].push_back({e.address(), e.port(), e.ipv6(), e.task_id(), true});
  const auto slots = haproxy::ServerSlots::plan(model, eps);
  for (const auto& g : slots.groups())
    for (size_t k = 0; k < g.slots.size(); ++k)
      if (g.slots[k].server)
        out[{haproxy::service_path(g.backend, g.service), g.slots[k].server->address, g.slots[k].server->port}] =
            g.dynamic ? haproxy::slot_name(g, k) : "slot";
  return out;
}

int run_endpoints(const MesosVerbs& v, const Connection& conn, bool json_out) {
  auto stub = pb::MesosListener::NewStub(cp::api_channel(conn));
  pb::EndpointsRequest req;
  if (!v.file.empty())
    req.set_pool_config(read_file(v.file));
  else
    req.set_pool(v.pool);
  req.set_include_not_ready(v.all);
  auto ctx = cp::api_context(conn);
  pb::EndpointsResponse r;
  grpc::Status s = stub->Endpoints(ctx.get(), req, &r);
  if (s.ok()) {
    if (json_out) {
      print_json(r);
    } else {
      // The pool the endpoints were selected for, to name the servers as the agent does.
      nlohmann::json pool_json;
      if (!v.file.empty()) {
        FieldErrors errors;
        if (auto doc = cp::load_document_file(v.file, errors)) pool_json = *doc;
      } else {
        pb::GetPoolRequest get;
        get.set_name(v.pool);
        pb::Pool stored;
        auto pool_ctx = cp::api_context(conn);
        if (pb::EdgeLB::NewStub(cp::api_channel(conn))->GetPool(pool_ctx.get(), get, &stored).ok())
          pool_json = nlohmann::json::parse(stored.config_json(), nullptr, false);
      }
      const auto names = server_names(pool_json, r);
      std::vector<std::vector<std::string>> rows;
      for (const auto& se : r.services())
        for (const auto& e : se.endpoints()) {
          auto name = names.find({se.path(), e.address(), e.port()});
          rows.push_back({se.backend().empty() ? "-" : se.backend(), e.ipv6() ? "[" + e.address() + "]" : e.address(),
                          std::to_string(e.port()), e.protocol(), e.type(), e.task_id().empty() ? "-" : e.task_id(),
                          e.ready() ? "yes" : "no", name == names.end() ? "-" : name->second});
        }
      print_table({"BACKEND", "ADDRESS", "PORT", "PROTO", "TYPE", "TASK", "READY", "SERVER"}, rows);
      if (!r.status().subscribed()) print_status(r.status());
    }
  }
  return report(s);
}

}  // namespace

void add_mesos_verbs(CLI::App& app, MesosVerbs* v) {
  v->tasks = app.add_subcommand("tasks", "the mesos-listener's live tasks (or --watch its changes)");
  v->tasks->add_flag("--watch", v->watch, "stream changes as JSON lines");
  v->tasks->add_option("--from", v->from_revision, "with --watch: continue after this revision (0: full state first)");
  v->tasks->add_option("--max-batches", v->max_batches, "with --watch: stop after this many messages");
  v->endpoints = app.add_subcommand(
      "endpoints", "where a pool's instances listen; with --backends, the servers its selectors select now");
  v->endpoints->add_option("pool", v->pool, "a stored pool");
  v->endpoints->add_flag("--backends", v->backends, "the task endpoints the pool's service selectors select");
  v->endpoints->add_option("--file", v->file, "with --backends: a pool file instead of a stored pool");
  v->endpoints->add_flag("--all", v->all, "with --backends: also tasks that are not ready");
}

bool run_mesos_verbs(const MesosVerbs& v, const Connection& conn, bool json_out, int* exit) {
  if (v.tasks && v.tasks->parsed())
    *exit = run_tasks(v, conn, json_out);
  else if (v.endpoints && v.endpoints->parsed() && (v.backends || !v.file.empty()))
    *exit = run_endpoints(v, conn, json_out);
  else if (v.endpoints && v.endpoints->parsed())
    *exit = run_pool_lb_endpoints(v.pool, conn, json_out);
  else
    return false;
  return true;
}

}  // namespace edgelb::cli
