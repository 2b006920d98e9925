#include "control/control_client.h"

#include "control/spec_codec.h"
#include "rpc/rpc_error.h"

namespace edgelb {

namespace {
// A local socket: when the dataplane restarts, reconnect within a few hundred milliseconds
// rather than after gRPC's default backoff (1 s, growing to 2 min).
std::shared_ptr<grpc::Channel> local_channel(const std::string& socket_path) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  return grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), args);
}
}  // namespace

ControlClient::ControlClient(const std::string& socket_path, std::chrono::milliseconds deadline)
    : stub_(pb::DataplaneControl::NewStub(local_channel(socket_path))), deadline_(deadline) {}

std::unique_ptr<grpc::ClientContext> ControlClient::context() const {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + deadline_);
  return c;
}

ControlOutcome ControlClient::outcome(const grpc::Status& s, const pb::ChangeReply& reply) const {
  ControlOutcome o;
  o.status = s;
  if (s.ok()) {
    o.version = reply.version();
    o.changed = reply.changed();
    return o;
  }
  o.violations = rpc::read_error(s).violations;
  pb::ErrorDetails d;
  if (rpc::read_error_detail(s, &d)) {
    o.version = d.live_version();
    for (const auto& r : d.refused_services()) {
      FieldErrors& why = o.refused[r.service()];
      for (const auto& v : r.violations()) why.push_back({v.field(), v.description()});
    }
  }
  return o;
}

ControlOutcome ControlClient::apply_state(const TableSpec& state) { return apply_state(encode_state(state)); }

ControlOutcome ControlClient::apply_state(const pb::ServiceState& state) {
  pb::ApplyStateRequest req;
  *req.mutable_state() = state;
  pb::ChangeReply r;
  auto ctx = context();
  return outcome(stub_->ApplyState(ctx.get(), req, &r), r);
}

ControlOutcome ControlClient::upsert_service(const ServiceSpec& service, uint64_t expected_version) {
  return upsert_service(encode_service(service), expected_version);
}

ControlOutcome ControlClient::upsert_service(const pb::Service& service, uint64_t expected_version) {
  pb::UpsertServiceRequest req;
  *req.mutable_service() = service;
  req.set_expected_version(expected_version);
  pb::ChangeReply r;
  auto ctx = context();
  return outcome(stub_->UpsertService(ctx.get(), req, &r), r);
}

ControlOutcome ControlClient::delete_service(const std::string& name, uint64_t expected_version) {
  pb::DeleteServiceRequest req;
  req.set_name(name);
  req.set_expected_version(expected_version);
  pb::ChangeReply r;
  auto ctx = context();
  return outcome(stub_->DeleteService(ctx.get(), req, &r), r);
}

namespace {
pb::SetBackendRequest set_backend_request(const std::string& service, const std::string& backend,
                                          std::optional<uint32_t> weight, std::optional<BackendState> state) {
  pb::SetBackendRequest req;
  req.set_service(service);
  req.set_backend(backend);
  if (weight) req.set_weight(*weight);
  if (state) req.set_state(encode_backend_state(*state));
  return req;
}
}  // namespace

ControlOutcome ControlClient::set_backend(const std::string& service, const std::string& backend,
                                          std::optional<uint32_t> weight, std::optional<BackendState> state,
                                          uint64_t expected_version) {
  pb::SetBackendRequest req = set_backend_request(service, backend, weight, state);
  req.set_expected_version(expected_version);
  pb::ChangeReply r;
  auto ctx = context();
  return outcome(stub_->SetBackend(ctx.get(), req, &r), r);
}

ControlOutcome ControlClient::apply_changes(ControlChanges changes, uint64_t expected_version) {
  changes.request_.set_expected_version(expected_version);
  pb::ChangeReply r;
  auto ctx = context();
  return outcome(stub_->ApplyChanges(ctx.get(), changes.request_, &r), r);
}

void ControlChanges::upsert_service(const ServiceSpec& service) {
  *request_.add_changes()->mutable_upsert_service() = encode_service(service);
}

void ControlChanges::delete_service(const std::string& name) { request_.add_changes()->set_delete_service(name); }

void ControlChanges::set_backend(const std::string& service, const std::string& backend, std::optional<uint32_t> weight,
                                 std::optional<BackendState> state) {
  *request_.add_changes()->mutable_set_backend() = set_backend_request(service, backend, weight, state);
}

grpc::Status ControlClient::get_version(pb::VersionReply* out) {
  auto ctx = context();
  return stub_->GetVersion(ctx.get(), {}, out);
}

grpc::Status ControlClient::set_drain(bool draining, pb::DrainReply* out) {
  auto ctx = context();
  pb::SetDrainRequest req;
  req.set_draining(draining);
  return stub_->SetDrain(ctx.get(), req, out);
}

grpc::Status ControlClient::get_services(pb::ServiceState* out) {
  auto ctx = context();
  return stub_->GetServices(ctx.get(), {}, out);
}

grpc::Status ControlClient::get_stats(pb::Stats* out) {
  auto ctx = context();
  return stub_->GetStats(ctx.get(), {}, out);
}

grpc::Status ControlClient::list_flows(const pb::ListFlowsRequest& query, pb::ListFlowsResponse* out) {
  auto ctx = context();
  return stub_->ListFlows(ctx.get(), query, out);
}

}  // namespace edgelb
