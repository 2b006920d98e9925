#include "cli/cli_support.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/proto/edgelb.pb.h"
#include "dataplane/rpc/rpc_error.h"

namespace edgelb::cli {

namespace pb = edgelb::v1;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<grpc::Channel> channel(const Connection& c) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  grpc::ChannelArguments args;
  if (c.insecure) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    std::string ca = c.ca, cert = c.cert, key = c.key;
    if (!c.certs_dir.empty()) {
      if (ca.empty()) ca = c.certs_dir + "/ca.crt";
      if (cert.empty()) cert = c.certs_dir + "/" + c.as_role + ".crt";
      if (key.empty()) key = c.certs_dir + "/" + c.as_role + ".key";
    }
    if (!ca.empty()) ssl.pem_root_certs = read_file(ca);
    if (!cert.empty()) ssl.pem_cert_chain = read_file(cert);
    if (!key.empty()) ssl.pem_private_key = read_file(key);
    creds = grpc::SslCredentials(ssl);
    if (!c.server_name.empty()) args.SetSslTargetNameOverride(c.server_name);
  }
  return grpc::CreateCustomChannel(c.server, creds, args);
}

std::unique_ptr<grpc::ClientContext> context(const Connection& c) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(c.timeout_s));
  if (!c.token.empty()) ctx->AddMetadata("authorization", "Bearer " + c.token);
  return ctx;
}

int exit_code(grpc::StatusCode code) { return rpc::exit_code(code); }

// Prints a failed call: its field paths when the server sent them, its message otherwise.
int report(const grpc::Status& s, const grpc::ClientContext&) {
  if (s.ok()) return 0;
  const rpc::CallError e = rpc::read_error(s);
  pb::ErrorDetails d;
  const bool details = rpc::read_error_detail(s, &d);
  if (!e.violations.empty()) {
    std::string head = e.message.substr(0, e.message.find(": "));
    std::fprintf(stderr, "edgelbctl: %s:\n", head.c_str());
    for (const auto& v : e.violations)
      std::fprintf(stderr, "  %s: %s\n", v.path.empty() ? "(document)" : v.path.c_str(), v.reason.c_str());
  } else {
    std::fprintf(stderr, "edgelbctl: %s\n", e.message.c_str());
  }
  if (details && d.current_version() > 0 && s.error_code() == grpc::ABORTED)
    std::fprintf(stderr, "edgelbctl: the current version is %lld\n", static_cast<long long>(d.current_version()));
  return exit_code(s.error_code());
}

void print_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
}

// A table with columns sized to their content.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

}  // namespace edgelb::cli
