#include "cli/pool_verbs.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/client.h"
#include "api/proto/edgelb.grpc.pb.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"
#include "pool/pool_schema.h"

namespace edgelb::cli {
namespace {

namespace pb = edgelb::v1;
using nlohmann::json;

std::string shown(const cp::Match& m) { return m.exact.value_or(m.pattern.value_or("")); }

// One selector as "marathon:/app:http", "mesos:kafka/broker-.*:9092" or "address:host:443".
std::string describe(const cp::ServiceSelectorSpec& s) {
  std::string sel;
  if (s.marathon())
    sel = "marathon:" + shown(s.service_id);
  else if (s.selects_tasks())
    sel = "mesos:" + shown(s.framework_name) + "/" + shown(s.task_name);
  else
    sel = "address:" + s.address;
  return sel + ":" + (!s.port_name.empty() ? s.port_name : s.port ? std::to_string(*s.port) : "all");
}

// Edge-LB's `show` layout: the pool, then its frontends and backends.
void print_pool(const pb::Pool& p) {
  const json c = json::parse(p.config_json());
  const cp::PoolModel pool = cp::PoolModel::from_json(c);
  std::cout << "Summary:\n";
  print_table({"  NAME", "APIVERSION", "COUNT", "ROLE", "VERSION", "UPDATED", "BY"},
              {{"  " + p.name(), c.value("apiVersion", ""), pool.count ? std::to_string(*pool.count) : "-", pool.role,
                std::to_string(p.version()), when(p.updated_at_ms()), p.updated_by()}});
  std::vector<std::vector<std::string>> rows;
  for (const cp::Frontend& f : pool.frontends) {
    std::string backends = f.default_backend;
    for (const cp::LinkRule& r : f.rules) backends += (backends.empty() ? "" : ",") + r.backend;
    rows.push_back({"  " + f.name, cp::pool_protocol_name(f.protocol),
                    (f.bind_address.empty() ? "*" : f.bind_address) + ":" + std::to_string(f.bind_port), backends});
  }
  std::cout << "\nFrontends:\n";
  print_table({"  NAME", "PROTOCOL", "BIND", "BACKENDS"}, rows);
  rows.clear();
  for (const cp::Backend& b : pool.backends) {
    std::string services;
    for (const cp::ServiceSelectorSpec& s : b.services) services += (services.empty() ? "" : " ") + describe(s);
    rows.push_back(
        {"  " + b.name, cp::pool_protocol_name(b.protocol), b.balance.empty() ? "roundrobin" : b.balance, services});
  }
  std::cout << "\nBackends:\n";
  print_table({"  NAME", "PROTOCOL", "BALANCE", "SERVICES"}, rows);
  if (!pool.vips.empty()) {
    rows.clear();
    for (const cp::FastPathVip& v : pool.vips)
      rows.push_back({"  " + v.address + ":" + std::to_string(v.port),
                      v.protocol == cp::VipProtocol::kUdp ? "UDP" : "TCP", cp::forwarding_name(v.forwarding),
                      v.backend.empty() ? "(own services)" : v.backend});
    std::cout << "\nFast-path VIPs:\n";
    print_table({"  VIP", "PROTOCOL", "FORWARDING", "BACKEND"}, rows);
  }
  if (!pool.cloud_load_balancers.empty()) {
    rows.clear();
    for (const cp::CloudLoadBalancer& e : pool.cloud_load_balancers) {
      std::string listeners;
      for (const auto& [port, frontend] : e.listeners)
        listeners += (listeners.empty() ? "" : ",") + std::to_string(port) + "->" + frontend;
      rows.push_back({"  " + e.name, e.type, e.internal ? "internal" : "internet-facing", listeners});
    }
    std::cout << "\nCloud load balancers (AWS; accepted as configuration, not provisioned by this appliance):\n";
    print_table({"  NAME", "TYPE", "SCHEME", "LISTENERS"}, rows);
  }
}

pb::PoolWriteRequest write_request(const std::string& file) {
  pb::PoolWriteRequest req;
  req.set_config(read_file(file));
  auto ends = [&](const char* e) {
    return file.size() >= strlen(e) && file.compare(file.size() - strlen(e), strlen(e), e) == 0;
  };
  req.set_format(ends(".json") ? pb::FORMAT_JSON : ends(".yaml") || ends(".yml") ? pb::FORMAT_YAML : pb::FORMAT_AUTO);
  return req;
}

}  // namespace

void add_pool_verbs(CLI::App& app, PoolVerbs* v) {
  v->create = app.add_subcommand("create", "create a pool from a JSON or YAML file");
  v->create->add_option("file", v->file, "pool config")->required();
  v->update = app.add_subcommand("update", "update a pool from a file (compare-and-set with --expected-version)");
  v->update->add_option("file", v->file, "pool config")->required();
  v->update->add_option("--expected-version", v->expected, "fail unless the pool is at this version");
  v->del = app.add_subcommand("delete", "delete a pool and everything stored with it");
  v->del->add_option("pool", v->pool)->required();
  v->del->add_option("--expected-version", v->expected, "fail unless the pool is at this version");
  v->list = app.add_subcommand("list", "list pools");
  v->show = app.add_subcommand("show", "show a pool (or all), the config reference, or convert a file to JSON");
  v->show->add_option("pool", v->pool);
  v->show->add_flag("--reference", v->reference, "print the pool configuration reference");
  v->show->add_option("--convert-to-json", v->convert, "print a YAML/JSON pool file as JSON");
  v->status = app.add_subcommand("status", "registered instances of a pool, the version each runs, health");
  v->status->add_option("pool", v->pool)->required();
  v->history = app.add_subcommand("history", "stored versions of a pool");
  v->history->add_option("pool", v->pool)->required();
  v->rollback = app.add_subcommand("rollback", "make an earlier version current again (as a new version)");
  v->rollback->add_option("pool", v->pool)->required();
  v->rollback->add_option("version", v->to_version)->required();
  v->rollback->add_option("--expected-version", v->expected, "fail unless the pool is at this version");
  v->validate = app.add_subcommand("validate", "validate a pool file on the apiserver without storing it");
  v->validate->add_option("file", v->file)->required();
}

namespace {

using Stub = pb::EdgeLB::Stub;

void print_written(const pb::PoolWriteReply& r, const std::string& verb, bool json_out) {
  if (json_out)
    print_json(r);
  else
    std::cout << "Successfully " << verb << " pool " << r.name() << " (version " << r.version() << ")\n";
}

int show_reference() {
  std::cout << edgelb::cp::schema_reference();
  return 0;
}

int convert_to_json(const std::string& file) {
  edgelb::FieldErrors errors;
  auto doc = edgelb::cp::load_document_file(file, errors);
  if (!doc) {
    for (auto& e : errors)
      std::fprintf(stderr, "edgelbctl: %s%s%s\n", e.path.c_str(), e.path.empty() ? "" : ": ", e.reason.c_str());
    return 3;
  }
  std::cout << doc->dump(2) << "\n";
  return 0;
}

int create_or_update(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::PoolWriteRequest req = write_request(v.file);
  req.set_expected_version(v.expected);
  pb::PoolWriteReply r;
  auto ctx = cp::api_context(conn);
  const bool create = v.create->parsed();
  const grpc::Status s = create ? stub.CreatePool(ctx.get(), req, &r) : stub.UpdatePool(ctx.get(), req, &r);
  if (s.ok()) print_written(r, create ? "created" : "updated", json_out);
  return report(s);
}

int delete_pool(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::DeletePoolRequest req;
  req.set_name(v.pool);
  req.set_expected_version(v.expected);
  pb::PoolWriteReply r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.DeletePool(ctx.get(), req, &r);
  if (s.ok()) print_written(r, "deleted", json_out);
  return report(s);
}

int rollback(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::RollbackPoolRequest req;
  req.set_name(v.pool);
  req.set_to_version(v.to_version);
  req.set_expected_version(v.expected);
  pb::PoolWriteReply r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.RollbackPool(ctx.get(), req, &r);
  if (s.ok()) print_written(r, "rolled back to version " + std::to_string(v.to_version) + ":", json_out);
  return report(s);
}

int validate(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::ValidateReply r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.ValidatePool(ctx.get(), write_request(v.file), &r);
  if (!s.ok()) return report(s);
  if (json_out) {
    print_json(r);
  } else if (r.field_violations_size() == 0) {
    std::cout << "pool " << r.name() << " is valid\n";
  } else {
    std::fprintf(stderr, "edgelbctl: invalid pool configuration:\n");
    for (const auto& fv : r.field_violations())
      std::fprintf(stderr, "  %s: %s\n", fv.field().empty() ? "(document)" : fv.field().c_str(),
                   fv.description().c_str());
  }
  return r.field_violations_size() > 0 ? 3 : 0;
}

int list(Stub& stub, const Connection& conn, bool json_out) {
  pb::ListPoolsReply r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.ListPools(ctx.get(), pb::ListPoolsRequest(), &r);
  if (!s.ok()) return report(s);
  if (json_out) return print_json(r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.pools())
    rows.push_back({p.name(), std::to_string(p.version()), std::to_string(p.frontends()), std::to_string(p.backends()),
                    std::to_string(p.vips()), std::to_string(p.instances()), when(p.updated_at_ms()), p.updated_by()});
  print_table({"NAME", "VERSION", "FRONTENDS", "BACKENDS", "VIPS", "INSTANCES", "UPDATED", "BY"}, rows);
  return 0;
}

// `show` without a pool: every pool's configuration.
int show_all(Stub& stub, const Connection& conn, bool json_out) {
  pb::ListPoolsReply r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.ListPools(ctx.get(), pb::ListPoolsRequest(), &r);
  if (!s.ok()) return report(s);
  json all = json::array();
  for (const auto& p : r.pools()) {
    auto c = cp::api_context(conn);
    pb::GetPoolRequest req;
    req.set_name(p.name());
    pb::Pool full;
    if (auto gs = stub.GetPool(c.get(), req, &full); !gs.ok()) return report(gs);
    if (json_out) {
      all.push_back(json::parse(full.config_json()));
    } else {
      print_pool(full);
      std::cout << "\n";
    }
  }
  if (json_out) std::cout << all.dump(2) << "\n";
  return 0;
}

int show(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::GetPoolRequest req;
  req.set_name(v.pool);
  pb::Pool r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.GetPool(ctx.get(), req, &r);
  if (s.ok()) {
    if (json_out)
      std::cout << r.config_json() << "\n";
    else
      print_pool(r);
  }
  return report(s);
}

int status(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::GetPoolRequest req;
  req.set_name(v.pool);
  pb::PoolStatus r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.GetPoolStatus(ctx.get(), req, &r);
  if (!s.ok()) return report(s);
  if (json_out) return print_json(r), 0;
  std::cout << "pool " << r.name() << " version " << r.version() << ": " << r.health() << " (" << r.instances_size()
            << " instances, " << r.up_to_date() << " up to date, " << r.healthy() << " healthy)\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> problems;
  for (const auto& i : r.instances()) {
    // The agent's fast path, when it drives a dataplane: its table version and errors.
    const json data = json::parse(i.data_json(), nullptr, false);
    const json dp = data.is_object() && data.contains("dataplane") ? data["dataplane"] : json();
    std::string table = "-";
    if (dp.is_object()) {
      table = std::to_string(dp.value("tableVersion", 0)) + (dp.value("inSync", false) ? "" : " (syncing)");
      for (const auto& e : dp.value("errors", json::array()))
        if (e.is_string()) problems.push_back(i.id() + ": " + e.get<std::string>());
    }
    rows.push_back({i.id(), i.host(), std::to_string(i.applied_version()), i.healthy() ? "yes" : "no",
                    i.state().empty() ? "-" : i.state(), table, when(i.registered_at_ms())});
  }
  if (!rows.empty()) print_table({"INSTANCE", "HOST", "VERSION", "HEALTHY", "STATE", "DATAPLANE", "SINCE"}, rows);
  for (const auto& p : problems) std::cout << "fast path: " << p << "\n";
  return 0;
}

int history(const PoolVerbs& v, Stub& stub, const Connection& conn, bool json_out) {
  pb::GetPoolRequest req;
  req.set_name(v.pool);
  pb::PoolHistory r;
  auto ctx = cp::api_context(conn);
  const grpc::Status s = stub.GetPoolHistory(ctx.get(), req, &r);
  if (!s.ok()) return report(s);
  if (json_out) return print_json(r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : r.versions())
    rows.push_back({std::to_string(h.version()), when(h.updated_at_ms()), h.updated_by(),
                    h.rolled_back_from() ? "rollback to " + std::to_string(h.rolled_back_from()) : ""});
  print_table({"VERSION", "UPDATED", "BY", "NOTE"}, rows);
  return 0;
}

}  // namespace

bool run_pool_verbs(const PoolVerbs& v, const Connection& conn, bool json_out, int* exit) {
  if (v.show->parsed() && v.reference) return *exit = show_reference(), true;
  if (v.show->parsed() && !v.convert.empty()) return *exit = convert_to_json(v.convert), true;
  const bool any = v.create->parsed() || v.update->parsed() || v.del->parsed() || v.list->parsed() ||
                   v.show->parsed() || v.status->parsed() || v.history->parsed() || v.rollback->parsed() ||
                   v.validate->parsed();
  if (!any) return false;
  auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
  if (v.create->parsed() || v.update->parsed())
    *exit = create_or_update(v, *stub, conn, json_out);
  else if (v.del->parsed())
    *exit = delete_pool(v, *stub, conn, json_out);
  else if (v.rollback->parsed())
    *exit = rollback(v, *stub, conn, json_out);
  else if (v.validate->parsed())
    *exit = validate(v, *stub, conn, json_out);
  else if (v.list->parsed())
    *exit = list(*stub, conn, json_out);
  else if (v.show->parsed() && v.pool.empty())
    *exit = show_all(*stub, conn, json_out);
  else if (v.show->parsed())
    *exit = show(v, *stub, conn, json_out);
  else if (v.status->parsed())
    *exit = status(v, *stub, conn, json_out);
  else
    *exit = history(v, *stub, conn, json_out);
  return true;
}

}  // namespace edgelb::cli
