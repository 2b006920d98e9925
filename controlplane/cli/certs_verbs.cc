#include "cli/certs_verbs.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "crypto/secret_box.h"
#include "crypto/x509_issuer.h"

namespace edgelb::cli {
namespace {

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
  for (const char* role : {"admin", "operator", "viewer", "agent"}) {
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
  std::cout << "wrote " << dir << "/{ca,server,admin,operator,viewer,agent}.{crt,key} and " << dir << "/secret.key\n"
            << "apiserver: --tls-cert " << dir << "/server.crt --tls-key " << dir << "/server.key --client-ca " << dir
            << "/ca.crt --secret-key-file " << dir << "/secret.key\n"
            << "edgelbctl: --certs-dir " << dir << " [--as admin|operator|viewer|agent]\n";
  return 0;
}

}  // namespace

void add_certs_verbs(CLI::App& app, CertsVerbs* v) {
  auto* certs = app.add_subcommand("certs", "certificates for mutual TLS");
  certs->require_subcommand(1);
  v->init = certs->add_subcommand(
      "init", "make a CA, a server certificate and admin/operator/viewer/agent client certificates");
  v->init->add_option("--dir", v->dir, "output directory")->capture_default_str();
  v->init->add_option("--server-name", v->names, "DNS names of the apiserver")->capture_default_str();
  v->init->add_option("--ip", v->ips, "IP addresses of the apiserver")->capture_default_str();
  v->init->add_option("--days", v->days, "validity")->capture_default_str();
  v->init->add_flag("--force", v->force, "replace an existing set");
}

bool run_certs_verbs(const CertsVerbs& v, int* exit) {
  if (!v.init->parsed()) return false;
  *exit = certs_init(v.dir, v.names, v.ips, v.days, v.force);
  return true;
}

}  // namespace edgelb::cli
