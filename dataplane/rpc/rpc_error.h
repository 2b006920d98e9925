// How every edgelb gRPC service reports a failed call, and how its clients read one. One shape:
//  - the status message: readable text, "<message>: <path>: <reason>; ...";
//  - the standard `grpc-status-details-bin` trailer: google.rpc.Status {code, message,
//    details: [google.rpc.BadRequest with every field violation, the service's own detail
//    message (e.g. edgelb.v1.ErrorDetails with the current version)]}, which generic clients
//    and gateways understand.
// Thread-safe (no shared state).
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <string>

#include "rpc/field_error.h"

namespace edgelb::rpc {

// Server side. `detail` (may be null) is the service's own error detail message.
grpc::Status error_status(grpc::ServerContext* ctx, grpc::StatusCode code, const std::string& message,
                          const FieldErrors& errors = {}, const google::protobuf::Message* detail = nullptr);

// Client side: what a failed call said. `violations` come from the BadRequest detail (empty
// when the server sent none); `detail` is unpacked when the status carries a message of its
// type (returns false otherwise, or when the status has no details).
struct CallError {
  grpc::StatusCode code = grpc::OK;
  std::string message;     // the status message
  FieldErrors violations;  // from google.rpc.BadRequest
};
CallError read_error(const grpc::Status& status);
bool read_error_detail(const grpc::Status& status, google::protobuf::Message* detail);

// The exit code of edgelb's command-line clients for a call's status: 0 ok, 1 other,
// 3 invalid argument, 4 conflict, already exists or stale version, 5 not found, 6 unavailable or timed out,
// 7 not authenticated or not allowed.
int exit_code(grpc::StatusCode code);

}  // namespace edgelb::rpc
