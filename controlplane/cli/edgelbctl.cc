// edgelbctl: the operator CLI of the edgelb control API (edgelb.v1 on edgelb-apiserver), with
// Edge-LB's verbs. Reads print tables, or JSON with --json; validation errors print one line
// per field path. docs/edgelbctl.md has every verb.
//
// Exit codes: 0 ok, 2 usage, 3 invalid config (paths printed), 4 version conflict / already
// exists / precondition, 5 not found, 6 apiserver or ZooKeeper unavailable, 7 not
// authenticated or not allowed, 1 anything else.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/proto/edgelb.grpc.pb.h"
#include "cli/cli_support.h"
#include "cli/mesos_verbs.h"
#include "crypto/secret_box.h"
#include "crypto/x509_issuer.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"
#include "pool/pool_schema.h"

namespace {

namespace pb = edgelb::v1;
namespace cp = edgelb::cp;
using nlohmann::json;
using namespace edgelb::cli;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

void write_file(const std::string& path, const std::string& data, bool secret) {
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << data;
  out.close();
  std::filesystem::permissions(path, secret ? std::filesystem::perms::owner_read | std::filesystem::perms::owner_write
                                            : std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                                  std::filesystem::perms::group_read |
                                                  std::filesystem::perms::others_read);
}

std::string when(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

int certs_init(const std::string& dir, const std::vector<std::string>& names, const std::vector<std::string>& ips,
               int days, bool force) {
  using edgelb::cp::CertRequest;
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  if (!force && fs::exists(dir + "/ca.key")) {
    std::fprintf(stderr, "edgelbctl: %s/ca.key exists (use --force to replace the whole set)\n", dir.c_str());
    return 4;
  }
  CertRequest ca_req;
  ca_req.common_name = "edgelb CA";
  ca_req.usage = CertRequest::Usage::kCa;
  ca_req.validity_days = days;
  auto ca = edgelb::cp::self_signed(ca_req);
  write_file(dir + "/ca.crt", ca.cert_pem, false);
  write_file(dir + "/ca.key", ca.key_pem, true);
  CertRequest server;
  server.common_name = names.empty() ? "edgelb-apiserver" : names.front();
  server.dns_names = names;
  server.ip_addresses = ips;
  server.validity_days = days;
  server.usage = CertRequest::Usage::kServer;
  auto s = edgelb::cp::issue(server, ca);
  write_file(dir + "/server.crt", s.cert_pem, false);
  write_file(dir + "/server.key", s.key_pem, true);
  for (const char* role : {"admin", "operator", "viewer"}) {
    CertRequest client;
    client.common_name = std::string("edgelb-") + role;
    client.organizational_unit = role;
    client.usage = CertRequest::Usage::kClient;
    client.validity_days = days;
    auto k = edgelb::cp::issue(client, ca);
    write_file(dir + "/" + role + ".crt", k.cert_pem, false);
    write_file(dir + "/" + role + ".key", k.key_pem, true);
  }
  // The apiserver's key for secrets at rest, unless one is there already (it seals stored data).
  if (!fs::exists(dir + "/secret.key")) edgelb::cp::SecretBox::generate_key_file(dir + "/secret.key");
  std::cout << "wrote " << dir << "/{ca,server,admin,operator,viewer}.{crt,key} and " << dir << "/secret.key\n"
            << "apiserver: --tls-cert " << dir << "/server.crt --tls-key " << dir << "/server.key --client-ca " << dir
            << "/ca.crt --secret-key-file " << dir << "/secret.key\n"
            << "edgelbctl: --certs-dir " << dir << " [--as admin|operator|viewer]\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgelbctl: manage edgelb pools through edgelb-apiserver"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--json, --as, ...) also after the verb
  Connection conn;
  conn.server = env_or("EDGELB_SERVER", conn.server);
  conn.certs_dir = env_or("EDGELB_CERTS_DIR", "");
  conn.token = env_or("EDGELB_TOKEN", "");
  bool json_out = false;
  app.add_option("--server", conn.server, "apiserver host:port (env EDGELB_SERVER)")->capture_default_str();
  app.add_option("--certs-dir", conn.certs_dir, "directory from `certs init` (env EDGELB_CERTS_DIR)");
  app.add_option("--as", conn.as_role, "which client certificate of --certs-dir to use")
      ->check(CLI::IsMember({"admin", "operator", "viewer"}))
      ->capture_default_str();
  app.add_option("--ca", conn.ca, "CA certificate to verify the apiserver");
  app.add_option("--cert", conn.cert, "client certificate (mutual TLS)");
  app.add_option("--key", conn.key, "client private key");
  app.add_option("--token", conn.token, "bearer token (env EDGELB_TOKEN)");
  app.add_option("--server-name", conn.server_name, "expected name in the apiserver certificate");
  app.add_flag("--insecure", conn.insecure, "plaintext (an apiserver started with --insecure)");
  app.add_option("--timeout", conn.timeout_s, "seconds per call")->capture_default_str();
  app.add_flag("--json", json_out, "print reads as JSON");

  std::string file, pool, name;
  int64_t expected = 0, to_version = 0;
  auto* create = app.add_subcommand("create", "create a pool from a JSON or YAML file");
  create->add_option("file", file, "pool config")->required();
  auto* update = app.add_subcommand("update", "update a pool from a file (compare-and-set with --expected-version)");
  update->add_option("file", file, "pool config")->required();
  update->add_option("--expected-version", expected, "fail unless the pool is at this version");
  auto* del = app.add_subcommand("delete", "delete a pool and everything stored with it");
  del->add_option("pool", pool)->required();
  del->add_option("--expected-version", expected, "fail unless the pool is at this version");
  auto* list = app.add_subcommand("list", "list pools");
  auto* show = app.add_subcommand("show", "show a pool (or all), the config reference, or convert a file to JSON");
  show->add_option("pool", pool);
  bool reference = false;
  std::string convert;
  show->add_flag("--reference", reference, "print the pool configuration reference");
  show->add_option("--convert-to-json", convert, "print a YAML/JSON pool file as JSON");
  auto* status = app.add_subcommand("status", "registered instances of a pool, the version each runs, health");
  status->add_option("pool", pool)->required();
  auto* history = app.add_subcommand("history", "stored versions of a pool");
  history->add_option("pool", pool)->required();
  auto* rollback = app.add_subcommand("rollback", "make an earlier version current again (as a new version)");
  rollback->add_option("pool", pool)->required();
  rollback->add_option("version", to_version)->required();
  rollback->add_option("--expected-version", expected, "fail unless the pool is at this version");
  auto* validate = app.add_subcommand("validate", "validate a pool file on the apiserver without storing it");
  validate->add_option("file", file)->required();
  auto* tmpl = app.add_subcommand("template", "a pool's custom HAProxy template");
  tmpl->require_subcommand(1);
  auto* t_create = tmpl->add_subcommand("create", "store a custom template");
  auto* t_update = tmpl->add_subcommand("update", "replace the custom template");
  for (auto* c : {t_create, t_update}) {
    c->add_option("pool", pool)->required();
    c->add_option("file", file)->required();
  }
  auto* t_show = tmpl->add_subcommand("show", "print the custom template");
  auto* t_delete = tmpl->add_subcommand("delete", "go back to the default template");
  for (auto* c : {t_show, t_delete}) c->add_option("pool", pool)->required();
  auto* secret = app.add_subcommand("secret", "secrets (TLS keys) stored encrypted, named by pools' secrets[].secret");
  secret->require_subcommand(1);
  auto* s_put = secret->add_subcommand("put", "store a secret from a file");
  s_put->add_option("name", name)->required();
  s_put->add_option("file", file)->required();
  auto* s_delete = secret->add_subcommand("delete", "delete a secret no pool uses");
  s_delete->add_option("name", name)->required();
  auto* s_list = secret->add_subcommand("list", "secret names and sizes (never values)");
  app.add_subcommand("ping", "check the apiserver and its ZooKeeper");
  app.add_subcommand("version", "client and server versions");
  auto* certs = app.add_subcommand("certs", "certificates for mutual TLS");
  certs->require_subcommand(1);
  auto* c_init =
      certs->add_subcommand("init", "make a CA, a server certificate and admin/operator/viewer client certificates");
  std::string dir = "./edgelb-certs";
  std::vector<std::string> names = {"localhost"}, ips = {"127.0.0.1", "::1"};
  int days = 825;
  bool force = false;
  c_init->add_option("--dir", dir, "output directory")->capture_default_str();
  c_init->add_option("--server-name", names, "DNS names of the apiserver")->capture_default_str();
  c_init->add_option("--ip", ips, "IP addresses of the apiserver")->capture_default_str();
  c_init->add_option("--days", days, "validity")->capture_default_str();
  c_init->add_flag("--force", force, "replace an existing set");
  edgelb::cli::MesosVerbs mesos_verbs;
  add_mesos_verbs(app, &mesos_verbs);
  CLI11_PARSE(app, argc, argv);

  try {
    if (c_init->parsed()) return certs_init(dir, names, ips, days, force);
    if (show->parsed() && reference) {
      std::cout << edgelb::cp::schema_reference();
      return 0;
    }
    if (show->parsed() && !convert.empty()) {
      edgelb::FieldErrors errors;
      auto doc = edgelb::cp::load_document_file(convert, errors);
      if (!doc) {
        for (auto& e : errors)
          std::fprintf(stderr, "edgelbctl: %s%s%s\n", e.path.c_str(), e.path.empty() ? "" : ": ", e.reason.c_str());
        return 3;
      }
      std::cout << doc->dump(2) << "\n";
      return 0;
    }
    if (int rc = 0; run_mesos_verbs(mesos_verbs, conn, json_out, &rc)) return rc;
    auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
    auto ctx = cp::api_context(conn);
    grpc::Status s;
    auto written = [&](const pb::PoolWriteReply& r, const char* verb) {
      if (json_out)
        print_json(r);
      else
        std::cout << "Successfully " << verb << " pool " << r.name() << " (version " << r.version() << ")\n";
    };
    if (create->parsed() || update->parsed()) {
      pb::PoolWriteRequest req = write_request(file);
      req.set_expected_version(expected);
      pb::PoolWriteReply r;
      s = create->parsed() ? stub->CreatePool(ctx.get(), req, &r) : stub->UpdatePool(ctx.get(), req, &r);
      if (s.ok()) written(r, create->parsed() ? "created" : "updated");
    } else if (del->parsed()) {
      pb::DeletePoolRequest req;
      req.set_name(pool);
      req.set_expected_version(expected);
      pb::PoolWriteReply r;
      s = stub->DeletePool(ctx.get(), req, &r);
      if (s.ok()) written(r, "deleted");
    } else if (rollback->parsed()) {
      pb::RollbackPoolRequest req;
      req.set_name(pool);
      req.set_to_version(to_version);
      req.set_expected_version(expected);
      pb::PoolWriteReply r;
      s = stub->RollbackPool(ctx.get(), req, &r);
      if (s.ok()) written(r, ("rolled back to version " + std::to_string(to_version) + ":").c_str());
    } else if (validate->parsed()) {
      pb::ValidateReply r;
      s = stub->ValidatePool(ctx.get(), write_request(file), &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else if (r.field_violations_size() == 0)
          std::cout << "pool " << r.name() << " is valid\n";
        else {
          std::fprintf(stderr, "edgelbctl: invalid pool configuration:\n");
          for (const auto& v : r.field_violations())
            std::fprintf(stderr, "  %s: %s\n", v.field().empty() ? "(document)" : v.field().c_str(),
                         v.description().c_str());
        }
        if (r.field_violations_size() > 0) return 3;
      }
    } else if (list->parsed() || (show->parsed() && pool.empty())) {
      pb::ListPoolsReply r;
      s = stub->ListPools(ctx.get(), pb::ListPoolsRequest(), &r);
      if (s.ok() && list->parsed()) {
        if (json_out)
          print_json(r);
        else {
          std::vector<std::vector<std::string>> rows;
          for (const auto& p : r.pools())
            rows.push_back({p.name(), std::to_string(p.version()), std::to_string(p.frontends()),
                            std::to_string(p.backends()), std::to_string(p.vips()), std::to_string(p.instances()),
                            when(p.updated_at_ms()), p.updated_by()});
          print_table({"NAME", "VERSION", "FRONTENDS", "BACKENDS", "VIPS", "INSTANCES", "UPDATED", "BY"}, rows);
        }
      } else if (s.ok()) {
        json all = json::array();
        for (const auto& p : r.pools()) {
          auto c = cp::api_context(conn);
          pb::GetPoolRequest req;
          req.set_name(p.name());
          pb::Pool full;
          if (auto gs = stub->GetPool(c.get(), req, &full); !gs.ok()) return report(gs);
          if (json_out)
            all.push_back(json::parse(full.config_json()));
          else {
            print_pool(full);
            std::cout << "\n";
          }
        }
        if (json_out) std::cout << all.dump(2) << "\n";
      }
    } else if (show->parsed()) {
      pb::GetPoolRequest req;
      req.set_name(pool);
      pb::Pool r;
      s = stub->GetPool(ctx.get(), req, &r);
      if (s.ok()) {
        if (json_out)
          std::cout << r.config_json() << "\n";
        else
          print_pool(r);
      }
    } else if (status->parsed()) {
      pb::GetPoolRequest req;
      req.set_name(pool);
      pb::PoolStatus r;
      s = stub->GetPoolStatus(ctx.get(), req, &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else {
          std::cout << "pool " << r.name() << " version " << r.version() << ": " << r.health() << " ("
                    << r.instances_size() << " instances, " << r.up_to_date() << " up to date, " << r.healthy()
                    << " healthy)\n";
          std::vector<std::vector<std::string>> rows;
          for (const auto& i : r.instances())
            rows.push_back({i.id(), i.host(), std::to_string(i.applied_version()), i.healthy() ? "yes" : "no",
                            i.state().empty() ? "-" : i.state(), when(i.registered_at_ms())});
          if (!rows.empty()) print_table({"INSTANCE", "HOST", "VERSION", "HEALTHY", "STATE", "SINCE"}, rows);
        }
      }
    } else if (history->parsed()) {
      pb::GetPoolRequest req;
      req.set_name(pool);
      pb::PoolHistory r;
      s = stub->GetPoolHistory(ctx.get(), req, &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else {
          std::vector<std::vector<std::string>> rows;
          for (const auto& v : r.versions())
            rows.push_back({std::to_string(v.version()), when(v.updated_at_ms()), v.updated_by(),
                            v.rolled_back_from() ? "rollback to " + std::to_string(v.rolled_back_from()) : ""});
          print_table({"VERSION", "UPDATED", "BY", "NOTE"}, rows);
        }
      }
    } else if (t_create->parsed() || t_update->parsed()) {
      pb::PutTemplateRequest req;
      req.set_pool(pool);
      req.set_template_(read_file(file));
      pb::TemplateReply r;
      s = stub->PutTemplate(ctx.get(), req, &r);
      if (s.ok()) std::cout << "Successfully stored the template of pool " << pool << "\n";
    } else if (t_show->parsed() || t_delete->parsed()) {
      pb::TemplateRequest req;
      req.set_pool(pool);
      pb::TemplateReply r;
      s = t_show->parsed() ? stub->GetTemplate(ctx.get(), req, &r) : stub->DeleteTemplate(ctx.get(), req, &r);
      if (s.ok() && t_show->parsed()) {
        if (json_out)
          print_json(r);
        else
          std::cout << r.template_();
      } else if (s.ok()) {
        std::cout << "Successfully deleted the template of pool " << pool << " (the default applies)\n";
      }
    } else if (s_put->parsed()) {
      pb::PutSecretRequest req;
      req.set_name(name);
      req.set_value(read_file(file));
      pb::SecretReply r;
      s = stub->PutSecret(ctx.get(), req, &r);
      if (s.ok()) std::cout << "Successfully stored secret " << name << "\n";
    } else if (s_delete->parsed()) {
      pb::DeleteSecretRequest req;
      req.set_name(name);
      pb::SecretReply r;
      s = stub->DeleteSecret(ctx.get(), req, &r);
      if (s.ok()) std::cout << "Successfully deleted secret " << name << "\n";
    } else if (s_list->parsed()) {
      pb::ListSecretsReply r;
      s = stub->ListSecrets(ctx.get(), pb::ListSecretsRequest(), &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else {
          std::vector<std::vector<std::string>> rows;
          for (const auto& x : r.secrets())
            rows.push_back({x.name(), std::to_string(x.bytes()), std::to_string(x.version()), when(x.updated_at_ms())});
          print_table({"NAME", "BYTES", "VERSION", "UPDATED"}, rows);
        }
      }
    } else if (app.got_subcommand("ping")) {
      pb::PingReply r;
      s = stub->Ping(ctx.get(), pb::PingRequest(), &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else
          std::cout << r.message() << (r.zookeeper_connected() ? "" : " (ZooKeeper disconnected)") << "\n";
      }
    } else if (app.got_subcommand("version")) {
      pb::VersionReply r;
      s = stub->GetVersion(ctx.get(), pb::GetVersionRequest(), &r);
      if (s.ok()) {
        if (json_out)
          print_json(r);
        else
          std::cout << "edgelbctl " << EDGELB_VERSION << "\nedgelb-apiserver " << r.version() << " (" << r.api()
                    << ", pool schema " << r.pool_schema() << ")\n";
      }
    }
    return report(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelbctl: %s\n", e.what());
    return 1;
  }
}
