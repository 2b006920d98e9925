// What edgelb-dpctl's verbs share: reporting a failed call (field violations and the version
// still serving; the exit code), printing a message as JSON, and the small formatting helpers
// of its tables.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>

#include "control/proto/dataplane_control.pb.h"
#include "rpc/field_error.h"

namespace edgelb::dpctl {

namespace pb = edgelb::dataplane::v1;

// Prints a failed call: its field violations and the version still serving when the server
// sent them, its message otherwise; returns the exit code (rpc_error.h's).
int report(const grpc::Status& s, const FieldErrors& violations = {}, uint64_t live_version = 0);
void print_json(const google::protobuf::Message& m);
const char* proto_name(pb::Protocol p);                     // "tcp", "udp", "-"
std::string lower(const std::string& s);                    // enum names as the tables print them
std::string endpoint(const std::string& a, uint32_t port);  // "a:p", "[v6]:p"

}  // namespace edgelb::dpctl
