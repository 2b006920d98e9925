#include "api/client.h"

#include <chrono>

#include "common/read_file.h"

namespace edgelb::cp {

std::shared_ptr<grpc::Channel> api_channel(const ApiConnection& c) {
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
    if (!ca.empty()) ssl.pem_root_certs = read_file(ca, "CA certificate");
    if (!cert.empty()) ssl.pem_cert_chain = read_file(cert, "client certificate");
    if (!key.empty()) ssl.pem_private_key = read_file(key, "client key");
    creds = grpc::SslCredentials(ssl);
    if (!c.server_name.empty()) args.SetSslTargetNameOverride(c.server_name);
  }
  return grpc::CreateCustomChannel(c.server, creds, args);
}

std::unique_ptr<grpc::ClientContext> api_stream_context(const ApiConnection& c) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!c.token.empty()) ctx->AddMetadata("authorization", "Bearer " + c.token);
  return ctx;
}

std::unique_ptr<grpc::ClientContext> api_context(const ApiConnection& c) {
  auto ctx = api_stream_context(c);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(c.timeout_s));
  return ctx;
}

}  // namespace edgelb::cp
