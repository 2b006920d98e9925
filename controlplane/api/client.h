// How a program reaches edgelb-apiserver, shipped with the server (api_server.h): the channel
// — TLS against a CA, mutual TLS with a client certificate (files, or a certs directory as
// `edgelbctl certs init` writes it: ca.crt and <role>.crt/.key), a bearer token, or plaintext
// for loopback tests — and per-call contexts carrying the deadline and the token. Failed calls
// are read with dataplane/rpc/rpc_error.h. Used by edgelbctl and the agent.
// Throws std::runtime_error naming a certificate or key file it cannot read. Thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace edgelb::cp {

struct ApiConnection {
  std::string server = "127.0.0.1:7443";  // host:port
  std::string certs_dir;                  // ca.crt + <as_role>.crt/.key, unless given one by one
  std::string as_role = "admin";
  std::string ca, cert, key;  // PEM files (override certs_dir)
  std::string token;          // bearer token (Authorization header)
  std::string server_name;    // TLS name to verify, when it is not the host in `server`
  bool insecure = false;      // plaintext
  int timeout_s = 30;         // per-call deadline
};

std::shared_ptr<grpc::Channel> api_channel(const ApiConnection& c);
// A unary call's context: the deadline and the token.
std::unique_ptr<grpc::ClientContext> api_context(const ApiConnection& c);
// A stream's context (Watch): the token, no deadline.
std::unique_ptr<grpc::ClientContext> api_stream_context(const ApiConnection& c);

}  // namespace edgelb::cp
