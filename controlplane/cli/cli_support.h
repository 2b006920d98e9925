// What every edgelbctl verb shares: the connection options, the channel to the apiserver
// (TLS, mutual TLS with --certs-dir/--as, bearer token, or plaintext), per-call contexts,
// error reporting with exit codes, and output helpers (aligned tables, JSON).
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

namespace edgelb::cli {

struct Connection {
  std::string server = "127.0.0.1:7443";
  std::string certs_dir, as_role = "admin", ca, cert, key, token, server_name;
  bool insecure = false;
  int timeout_s = 30;
};

std::string read_file(const std::string& path);  // throws std::runtime_error
std::shared_ptr<grpc::Channel> channel(const Connection& c);
// A context with the call deadline (--timeout) and the bearer token.
std::unique_ptr<grpc::ClientContext> context(const Connection& c);
// Exit codes: 0 ok, 1 other, 3 invalid, 4 conflict/precondition, 5 not found, 6 unavailable, 7 denied.
int exit_code(grpc::StatusCode code);
// Prints a failed call (field paths when the server sent them) and returns its exit code.
int report(const grpc::Status& s, const grpc::ClientContext& ctx);
void print_json(const google::protobuf::Message& m);
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace edgelb::cli
