// edgelbctl: the operator CLI of the edgelb control API (edgelb.v1 on edgelb-apiserver), with
// Edge-LB's verbs. Reads print tables, or JSON with --json; validation errors print one line
// per field path. docs/apiserver.md ("edgelbctl") has every verb; each group of verbs lives in
// its own file (pool_verbs, template_verbs, secret_verbs, certs_verbs, mesos_verbs, lb_verbs).
//
// Exit codes: 0 ok, 2 usage, 3 invalid config (paths printed), 4 version conflict / already
// exists / precondition, 5 not found, 6 apiserver or ZooKeeper unavailable, 7 not
// authenticated or not allowed, 1 anything else.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "api/client.h"
#include "api/proto/edgelb.grpc.pb.h"
#include "cli/certs_verbs.h"
#include "cli/cli_support.h"
#include "cli/lb_verbs.h"
#include "cli/mesos_verbs.h"
#include "cli/pool_verbs.h"
#include "cli/secret_verbs.h"
#include "cli/template_verbs.h"

namespace {

namespace pb = edgelb::v1;
namespace cp = edgelb::cp;
using namespace edgelb::cli;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
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
      ->check(CLI::IsMember({"admin", "operator", "viewer", "agent"}))
      ->capture_default_str();
  app.add_option("--ca", conn.ca, "CA certificate to verify the apiserver");
  app.add_option("--cert", conn.cert, "client certificate (mutual TLS)");
  app.add_option("--key", conn.key, "client private key");
  app.add_option("--token", conn.token, "bearer token (env EDGELB_TOKEN)");
  app.add_option("--server-name", conn.server_name, "expected name in the apiserver certificate");
  app.add_flag("--insecure", conn.insecure, "plaintext (an apiserver started with --insecure)");
  app.add_option("--timeout", conn.timeout_s, "seconds per call")->capture_default_str();
  app.add_flag("--json", json_out, "print reads as JSON");

  PoolVerbs pools;
  TemplateVerbs templates;
  SecretVerbs secrets;
  CertsVerbs certs;
  MesosVerbs mesos;
  LbVerbs lb;
  add_pool_verbs(app, &pools);
  add_template_verbs(app, &templates);
  add_secret_verbs(app, &secrets);
  app.add_subcommand("ping", "check the apiserver and its ZooKeeper");
  app.add_subcommand("version", "client and server versions");
  add_certs_verbs(app, &certs);
  add_mesos_verbs(app, &mesos);
  add_lb_verbs(app, &lb);
  CLI11_PARSE(app, argc, argv);

  try {
    int rc = 0;
    if (run_certs_verbs(certs, &rc) || run_pool_verbs(pools, conn, json_out, &rc) ||
        run_template_verbs(templates, conn, json_out, &rc) || run_secret_verbs(secrets, conn, json_out, &rc) ||
        run_mesos_verbs(mesos, conn, json_out, &rc) || run_lb_verbs(lb, conn, json_out, &rc))
      return rc;
    auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
    auto ctx = cp::api_context(conn);
    grpc::Status s;
    if (app.got_subcommand("ping")) {
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
