// Converts between the control service's protobuf messages (dataplane_control.proto) and the
// dataplane's TableSpec/ServiceSpec values. Decoding checks what the message itself can get
// wrong (address syntax, enum values, ranges) and reports each problem with the request's
// field path (e.g. "state.services[1].backends[0].address"); semantic checks (duplicates,
// families, limits) are SnapshotBuilder::validate's. Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "control/proto/dataplane_control.pb.h"
#include "service/service_spec.h"

namespace edgelb {

namespace pb = edgelb::dataplane::v1;

ServiceSpec decode_service(const pb::Service& m, const std::string& path, FieldErrors& errors);
TableSpec decode_state(const pb::ServiceState& m, const std::string& path, FieldErrors& errors);

pb::Service encode_service(const ServiceSpec& s);
pb::ServiceState encode_state(const TableSpec& t);

pb::ForwardingMode encode_mode(ForwardingMode m);
pb::BackendState encode_backend_state(BackendState s);
pb::Protocol encode_protocol(uint8_t ip_proto);
// UNSPECIFIED maps to the default (DSR, UP); other unknown values to nullopt.
std::optional<ForwardingMode> decode_mode(int m);
std::optional<BackendState> decode_backend_state(int s);

// Rewrites SnapshotBuilder paths ("services[3].port") for a request: a path under a table
// index that `service_paths` names becomes that request path (the change that wrote the
// service, e.g. "service" or "changes[2].upsert_service"); every other path gets `prefix` in
// front.
FieldErrors request_paths(FieldErrors errors, const std::string& prefix,
                          const std::map<long, std::string>& service_paths = {});

}  // namespace edgelb
