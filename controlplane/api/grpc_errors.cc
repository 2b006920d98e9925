#include "api/grpc_errors.h"

#include "api/proto/edgelb.pb.h"
#include "dataplane/rpc/rpc_error.h"

namespace edgelb::cp {

grpc::Status fail(grpc::ServerContext* ctx, grpc::StatusCode code, const std::string& message,
                  const FieldErrors& errors, int64_t current_version) {
  edgelb::v1::ErrorDetails d;
  d.set_current_version(current_version);
  return rpc::error_status(ctx, code, message, errors, &d);
}

grpc::StatusCode code_of(StoreResult::Code c) {
  switch (c) {
    case StoreResult::kOk: return grpc::OK;
    case StoreResult::kNotFound: return grpc::NOT_FOUND;
    case StoreResult::kAlreadyExists: return grpc::ALREADY_EXISTS;
    case StoreResult::kConflict: return grpc::ABORTED;
    case StoreResult::kInvalid: return grpc::INVALID_ARGUMENT;
    case StoreResult::kFailedPrecondition: return grpc::FAILED_PRECONDITION;
    case StoreResult::kUnavailable: return grpc::UNAVAILABLE;
  }
  return grpc::INTERNAL;
}

}  // namespace edgelb::cp
