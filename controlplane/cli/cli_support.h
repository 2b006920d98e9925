// What every edgelbctl verb shares: the connection options (api/client.h reaches the
// apiserver), error reporting with exit codes, and output helpers (aligned tables, JSON).
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "api/client.h"
#include "common/read_file.h"

namespace edgelb::cli {

// The apiserver connection (--server, --certs-dir, --as, --ca/--cert/--key, --token, ...).
using Connection = cp::ApiConnection;
using cp::read_file;

// Exit codes: 0 ok, 1 other, 3 invalid, 4 conflict/precondition, 5 not found, 6 unavailable, 7 denied.
int exit_code(grpc::StatusCode code);
// Prints a failed call (field paths when the server sent them) and returns its exit code.
int report(const grpc::Status& s);
void print_json(const google::protobuf::Message& m);
// A time in ms since the epoch as UTC ISO 8601 ("-" for 0).
std::string when(int64_t ms);
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace edgelb::cli
