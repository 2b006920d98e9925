// How the control API reports a failed call (the conventions of dataplane/rpc/rpc_error.h): a
// gRPC status with readable text, google.rpc.Status details (BadRequest field violations and
// edgelb.v1.ErrorDetails with the current version) in `grpc-status-details-bin`. Shared by every
// edgelb.v1 service.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "dataplane/rpc/field_error.h"
#include "store/pool_store.h"

namespace edgelb::cp {

grpc::Status fail(grpc::ServerContext* ctx, grpc::StatusCode code, const std::string& message,
                  const FieldErrors& errors = {}, int64_t current_version = 0);
grpc::StatusCode code_of(StoreResult::Code c);

}  // namespace edgelb::cp
