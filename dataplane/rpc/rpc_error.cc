#include "rpc/rpc_error.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace edgelb::rpc {

grpc::Status error_status(grpc::ServerContext*, grpc::StatusCode code, const std::string& message,
                          const FieldErrors& errors, const google::protobuf::Message* detail) {
  const std::string text = errors.empty() ? message : message + ": " + join(errors);
  google::rpc::Status status;
  status.set_code(static_cast<int32_t>(code));
  status.set_message(text);
  if (!errors.empty()) {
    google::rpc::BadRequest bad;
    for (const auto& e : errors) {
      auto* v = bad.add_field_violations();
      v->set_field(e.path);
      v->set_description(e.reason);
    }
    status.add_details()->PackFrom(bad);
  }
  if (detail) status.add_details()->PackFrom(*detail);
  return grpc::Status(code, text, status.SerializeAsString());
}

namespace {

bool parse_status(const grpc::Status& s, google::rpc::Status* out) {
  return !s.ok() && !s.error_details().empty() && out->ParseFromString(s.error_details());
}

}  // namespace

CallError read_error(const grpc::Status& s) {
  CallError e{s.error_code(), s.error_message(), {}};
  google::rpc::Status status;
  if (!parse_status(s, &status)) return e;
  for (const auto& any : status.details()) {
    google::rpc::BadRequest bad;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad))
      for (const auto& v : bad.field_violations()) e.violations.push_back({v.field(), v.description()});
  }
  return e;
}

bool read_error_detail(const grpc::Status& s, google::protobuf::Message* detail) {
  google::rpc::Status status;
  if (!parse_status(s, &status)) return false;
  for (const auto& any : status.details())
    if (any.UnpackTo(detail)) return true;  // false for any other type
  return false;
}

int exit_code(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return 0;
    case grpc::INVALID_ARGUMENT: return 3;
    case grpc::ABORTED:
    case grpc::ALREADY_EXISTS:
    case grpc::FAILED_PRECONDITION: return 4;
    case grpc::NOT_FOUND: return 5;
    case grpc::UNAVAILABLE:
    case grpc::DEADLINE_EXCEEDED: return 6;
    case grpc::UNAUTHENTICATED:
    case grpc::PERMISSION_DENIED: return 7;
    default: return 1;
  }
}

}  // namespace edgelb::rpc
