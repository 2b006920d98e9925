// The client of edgelb-dataplane's local control service (control_service.h,
// dataplane_control.proto), shipped by the service's owner as Katran ships KatranLb and VPP
// lb_api: one channel to the unix socket, one blocking call per method with a deadline, and
// every change's outcome decoded — the live version, whether anything changed, and the
// server's field violations (rpc/rpc_error.h). Used by edgelb-dpctl, the control benchmark
// and the agent. Thread-safe: calls may run concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/proto/dataplane_control.grpc.pb.h"
#include "rpc/field_error.h"
#include "service/service_spec.h"

namespace edgelb {

// The most changes one ApplyChanges call may carry; the control service refuses more
// (INVALID_ARGUMENT on `changes`). Callers with more split them or send one call per edit.
inline constexpr int kMaxChangesPerCall = 4096;

struct ControlOutcome {
  grpc::Status status;
  uint64_t version = 0;    // the live version: after the change, or the one still serving when refused
  bool changed = false;    // applied and published (false: the same state again)
  FieldErrors violations;  // why a change was refused (request paths)
  // The services refused, by name, with the violations about each (a violation about the
  // request as a whole names none).
  std::map<std::string, FieldErrors> refused;
  bool ok() const { return status.ok(); }
};

// Several changes for one ApplyChanges call, applied in the order they were added and
// published as one table: all of them or none. Not thread-safe.
class ControlChanges {
 public:
  void upsert_service(const ServiceSpec& service);
  void delete_service(const std::string& name);
  // As ControlClient::set_backend.
  void set_backend(const std::string& service, const std::string& backend, std::optional<uint32_t> weight,
                   std::optional<BackendState> state);
  size_t size() const { return size_t(request_.changes_size()); }
  bool empty() const { return request_.changes_size() == 0; }

 private:
  friend class ControlClient;  // sets the expected version on the request it sends
  dataplane::v1::ApplyChangesRequest request_;
};

class ControlClient {
 public:
  // `socket_path` as in the dataplane config's control.socket. Connects lazily (gRPC).
  explicit ControlClient(const std::string& socket_path, std::chrono::milliseconds deadline = std::chrono::seconds(10));

  // Changes. apply_state is versioned and idempotent (state.version); the others take the
  // version they expect to change (0: any).
  ControlOutcome apply_state(const TableSpec& state);
  ControlOutcome apply_state(const dataplane::v1::ServiceState& state);
  ControlOutcome upsert_service(const ServiceSpec& service, uint64_t expected_version);
  ControlOutcome upsert_service(const dataplane::v1::Service& service, uint64_t expected_version);
  ControlOutcome delete_service(const std::string& name, uint64_t expected_version);
  // `backend`: address, address:port, [v6]:port or its id; nullopt leaves that field as it is.
  ControlOutcome set_backend(const std::string& service, const std::string& backend, std::optional<uint32_t> weight,
                             std::optional<BackendState> state, uint64_t expected_version);
  // All of `changes` as one table at live version + 1, or nothing (the first refusal).
  ControlOutcome apply_changes(ControlChanges changes, uint64_t expected_version);

  // Reads.
  grpc::Status get_version(dataplane::v1::VersionReply* out);
  grpc::Status set_drain(bool draining, dataplane::v1::DrainReply* out);
  grpc::Status get_services(dataplane::v1::ServiceState* out);
  grpc::Status get_stats(dataplane::v1::Stats* out);
  grpc::Status list_flows(const dataplane::v1::ListFlowsRequest& query, dataplane::v1::ListFlowsResponse* out);

 private:
  std::unique_ptr<grpc::ClientContext> context() const;
  ControlOutcome outcome(const grpc::Status& s, const dataplane::v1::ChangeReply& reply) const;

  std::unique_ptr<dataplane::v1::DataplaneControl::Stub> stub_;
  std::chrono::milliseconds deadline_;
};

}  // namespace edgelb
