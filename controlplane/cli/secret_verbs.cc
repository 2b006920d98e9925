#include "cli/secret_verbs.h"

#include <iostream>

#include "api/client.h"
#include "api/proto/edgelb.grpc.pb.h"

namespace edgelb::cli {

namespace pb = edgelb::v1;

void add_secret_verbs(CLI::App& app, SecretVerbs* v) {
  auto* secret = app.add_subcommand("secret", "secrets (TLS keys) stored encrypted, named by pools' secrets[].secret");
  secret->require_subcommand(1);
  v->put = secret->add_subcommand("put", "store a secret from a file");
  v->put->add_option("name", v->name)->required();
  v->put->add_option("file", v->file)->required();
  v->del = secret->add_subcommand("delete", "delete a secret no pool uses");
  v->del->add_option("name", v->name)->required();
  v->list = secret->add_subcommand("list", "secret names and sizes (never values)");
}

bool run_secret_verbs(const SecretVerbs& v, const Connection& conn, bool json_out, int* exit) {
  if (!v.put->parsed() && !v.del->parsed() && !v.list->parsed()) return false;
  auto stub = pb::EdgeLB::NewStub(cp::api_channel(conn));
  auto ctx = cp::api_context(conn);
  grpc::Status s;
  if (v.put->parsed()) {
    pb::PutSecretRequest req;
    req.set_name(v.name);
    req.set_value(read_file(v.file));
    pb::SecretReply r;
    s = stub->PutSecret(ctx.get(), req, &r);
    if (s.ok()) std::cout << "Successfully stored secret " << v.name << "\n";
  } else if (v.del->parsed()) {
    pb::DeleteSecretRequest req;
    req.set_name(v.name);
    pb::SecretReply r;
    s = stub->DeleteSecret(ctx.get(), req, &r);
    if (s.ok()) std::cout << "Successfully deleted secret " << v.name << "\n";
  } else {
    pb::ListSecretsReply r;
    s = stub->ListSecrets(ctx.get(), pb::ListSecretsRequest(), &r);
    if (s.ok()) {
      if (json_out) {
        print_json(r);
      } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& x : r.secrets())
          rows.push_back({x.name(), std::to_string(x.bytes()), std::to_string(x.version()), when(x.updated_at_ms())});
        print_table({"NAME", "BYTES", "VERSION", "UPDATED"}, rows);
      }
    }
  }
  *exit = report(s);
  return true;
}

}  // namespace edgelb::cli
