#include "cli/dpctl_support.h"

#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <cstdio>
#include <iostream>

#include "rpc/rpc_error.h"

namespace edgelb::dpctl {
namespace {

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::INVALID_ARGUMENT: return "invalid argument";
    case grpc::ABORTED: return "version conflict";
    case grpc::FAILED_PRECONDITION: return "stale version";
    case grpc::NOT_FOUND: return "not found";
    case grpc::UNAVAILABLE: return "unavailable";
    default: return "error";
  }
}

}  // namespace

int report(const grpc::Status& s, const FieldErrors& violations, uint64_t live_version) {
  if (!violations.empty()) {
    std::fprintf(stderr, "edgelb-dpctl: %s (still serving version %llu):\n", code_name(s.error_code()),
                 static_cast<unsigned long long>(live_version));
    for (const auto& v : violations) std::fprintf(stderr, "  %s: %s\n", v.path.c_str(), v.reason.c_str());
  } else {
    std::fprintf(stderr, "edgelb-dpctl: %s: %s\n", code_name(s.error_code()), s.error_message().c_str());
  }
  return rpc::exit_code(s.error_code());
}

void print_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
}

const char* proto_name(pb::Protocol p) { return p == pb::TCP ? "tcp" : p == pb::UDP ? "udp" : "-"; }

std::string lower(const std::string& s) {
  std::string o;
  for (char c : s) o += char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string endpoint(const std::string& a, uint32_t port) {
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

}  // namespace edgelb::dpctl
