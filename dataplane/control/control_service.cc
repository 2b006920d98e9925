#include "control/control_service.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>

#include "control/control_client.h"
#include "control/proto/dataplane_control.grpc.pb.h"
#include "control/spec_codec.h"
#include "rpc/rpc_error.h"

#ifndef EDGELB_VERSION
#define EDGELB_VERSION "unknown"
#endif

namespace edgelb {

namespace {

constexpr uint32_t kMaxFlowLimit = 10000;
constexpr uint32_t kDefaultFlowLimit = 100;
constexpr uint32_t kFlowListTimeoutMs = 2000;
constexpr int kMaxChanges = kMaxChangesPerCall;  // per ApplyChanges call (control_client.h)

// Which service an error is about (its name), or "" when it is about the request as a whole.
using ServiceOf = std::function<std::string(const FieldError&)>;

// The index k of a path "<list>[k]...", or -1.
long index_in(const std::string& path, const std::string& list) {
  if (path.size() <= list.size() || path.compare(0, list.size(), list) != 0 || path[list.size()] != '[') return -1;
  char* end = nullptr;
  const long k = std::strtol(path.c_str() + list.size() + 1, &end, 10);
  return end && *end == ']' && k >= 0 ? k : -1;
}

// The name of element `k` of a list of names, or "".
std::string name_at(const std::vector<std::string>& names, long k) {
  return k >= 0 && size_t(k) < names.size() ? names[size_t(k)] : std::string();
}

// A status with readable text and the machine-readable details (rpc/rpc_error.h): the field
// violations, and ErrorDetails with the version still serving and, for each service the
// errors are about, its refusal. `shown` are `errors` as the caller sees them (request
// paths), one for one; `service_of` reads the service from the original.
grpc::Status fail(grpc::ServerContext* ctx, grpc::StatusCode code, const FieldErrors& errors, uint64_t live_version,
                  const ServiceOf& service_of = {}, const FieldErrors* shown = nullptr) {
  const FieldErrors& out = shown ? *shown : errors;
  pb::ErrorDetails d;
  std::map<std::string, pb::ServiceRefusal*> refused;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string service = service_of && i < errors.size() ? service_of(errors[i]) : "";
    if (service.empty()) continue;
    auto& r = refused[service];
    if (!r) {
      r = d.add_refused_services();
      r->set_service(service);
    }
    auto* v = r->add_violations();
    v->set_field(out[i].path);
    v->set_description(out[i].reason);
  }
  d.set_live_version(live_version);
  return rpc::error_status(ctx, code, "live version " + std::to_string(live_version), out, &d);
}

// `service_paths`: table index -> the request path that wrote that service (request_paths).
// `service_of`: which service an error of the outcome (table paths) is about.
grpc::Status reply(grpc::ServerContext* ctx, const ChangeOutcome& o, const std::string& prefix, pb::ChangeReply* out,
                   const std::map<long, std::string>& service_paths = {}, const ServiceOf& service_of = {}) {
  switch (o.kind) {
    case ChangeOutcome::kApplied:
    case ChangeOutcome::kUnchanged:
      out->set_version(o.version);
      out->set_changed(o.kind == ChangeOutcome::kApplied);
      return grpc::Status::OK;
    case ChangeOutcome::kStale: return fail(ctx, grpc::FAILED_PRECONDITION, request_paths(o.errors, prefix), o.version);
    case ChangeOutcome::kConflict: return fail(ctx, grpc::ABORTED, o.errors, o.version);
    case ChangeOutcome::kNotFound: return fail(ctx, grpc::NOT_FOUND, o.errors, o.version);
    case ChangeOutcome::kInvalid: {
      const FieldErrors shown = request_paths(o.errors, prefix, service_paths);
      return fail(ctx, grpc::INVALID_ARGUMENT, o.errors, o.version, service_of, &shown);
    }
  }
  return grpc::Status(grpc::INTERNAL, "unknown outcome");
}

std::vector<std::string> service_names(const TableSpec& t) {
  std::vector<std::string> out;
  for (const auto& svc : t.services) out.push_back(svc.name);
  return out;
}

// "address", "address:port", "[v6]:port" or an id, against a backend of `svc`.
bool backend_matches(const BackendSpec& b, const ServiceSpec& svc, const std::string& sel) {
  if (!b.identity.empty() && b.identity == sel) return true;
  const uint16_t port = b.port ? b.port : svc.port;
  if (auto a = IpAddress::parse(sel)) return *a == b.address;
  std::string host = sel, port_text;
  if (!sel.empty() && sel.front() == '[') {
    const auto close = sel.find(']');
    if (close == std::string::npos || close + 1 >= sel.size() || sel[close + 1] != ':') return false;
    host = sel.substr(1, close - 1);
    port_text = sel.substr(close + 2);
  } else if (const auto colon = sel.rfind(':'); colon != std::string::npos && sel.find(':') == colon) {
    host = sel.substr(0, colon);
    port_text = sel.substr(colon + 1);
  } else {
    return false;
  }
  auto a = IpAddress::parse(host);
  return a && *a == b.address && port_text == std::to_string(port);
}

// The edits of a copy of the live table, shared by the single-change RPCs and ApplyChanges.
// `at` is the request path of the change ("" for a single-change RPC, "changes[2].set_backend."
// in a batch).

// Adds `svc` or replaces the service of its name; returns its index.
long upsert_service(TableSpec& t, const ServiceSpec& svc) {
  for (size_t i = 0; i < t.services.size(); ++i)
    if (t.services[i].name == svc.name) {
      t.services[i] = svc;
      return long(i);
    }
  t.services.push_back(svc);
  return long(t.services.size() - 1);
}

FieldErrors delete_service(TableSpec& t, const std::string& name, const std::string& field, bool* not_found) {
  for (auto it = t.services.begin(); it != t.services.end(); ++it)
    if (it->name == name) {
      t.services.erase(it);
      return {};
    }
  *not_found = true;
  return {{field, "no service named '" + name + "'"}};
}

// What a SetBackendRequest can get wrong by itself; the backend state to set, if any.
std::optional<BackendState> check_set_backend(const pb::SetBackendRequest& req, const std::string& at,
                                              FieldErrors& errors) {
  if (req.service().empty()) errors.push_back({at + "service", "is required"});
  if (req.backend().empty()) errors.push_back({at + "backend", "is required"});
  if (req.has_weight() && req.weight() > 65535)
    errors.push_back({at + "weight", "must be 0-65535, got " + std::to_string(req.weight())});
  const auto state = decode_backend_state(req.state());
  if (!state) errors.push_back({at + "state", "unknown backend state " + std::to_string(req.state())});
  if (!req.has_weight() && req.state() == pb::BACKEND_STATE_UNSPECIFIED)
    errors.push_back({at + "weight", "set weight or state (or both)"});
  return state;
}

FieldErrors set_backend(TableSpec& t, const pb::SetBackendRequest& req, BackendState state, const std::string& at,
                        bool* not_found) {
  for (auto& s : t.services) {
    if (s.name != req.service()) continue;
    for (auto& b : s.backends) {
      if (!backend_matches(b, s, req.backend())) continue;
      if (req.has_weight()) b.weight = req.weight();
      if (req.state() != pb::BACKEND_STATE_UNSPECIFIED) b.state = state;
      return {};
    }
    *not_found = true;
    return {{at + "backend", "service '" + s.name + "' has no backend '" + req.backend() + "'"}};
  }
  *not_found = true;
  return {{at + "service", "no service named '" + req.service() + "'"}};
}

std::optional<IpAddress> filter_address(const std::string& text, const std::string& field, FieldErrors& errors) {
  if (text.empty()) return IpAddress{};
  if (auto a = IpAddress::parse(text)) return a;
  errors.push_back({field, "'" + text + "' is not an IPv4 or IPv6 address"});
  return std::nullopt;
}

}  // namespace

class ControlServer::Service final : public pb::DataplaneControl::Service {
 public:
  Service(TableManager& tables, ControlHooks hooks) : tables_(tables), hooks_(std::move(hooks)) {}

  grpc::Status ApplyState(grpc::ServerContext* ctx, const pb::ApplyStateRequest* req, pb::ChangeReply* out) override {
    FieldErrors errors;
    if (!req->has_state()) errors.push_back({"state", "is required"});
    TableSpec spec = decode_state(req->state(), "state", errors);
    if (spec.version == 0 && req->has_state()) errors.push_back({"state.version", "must be at least 1"});
    std::vector<std::string> names;  // the request's services, by index
    for (const auto& svc : req->state().services()) names.push_back(svc.name());
    if (!errors.empty())
      return fail(ctx, grpc::INVALID_ARGUMENT, errors, live_version(),
                  [&](const FieldError& e) { return name_at(names, index_in(e.path, "state.services")); });
    return reply(ctx, tables_.apply_state(spec), "state", out, {},
                 [&](const FieldError& e) { return name_at(names, index_in(e.path, "services")); });
  }

  grpc::Status UpsertService(grpc::ServerContext* ctx, const pb::UpsertServiceRequest* req,
                             pb::ChangeReply* out) override {
    FieldErrors errors;
    if (!req->has_service()) errors.push_back({"service", "is required"});
    ServiceSpec svc = decode_service(req->service(), "service", errors);
    const ServiceOf the_service = [name = req->service().name()](const FieldError&) { return name; };
    if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, errors, live_version(), the_service);
    long index = -1;
    std::vector<std::string> names;  // the edited table's services, by index
    auto o = tables_.modify(req->expected_version(), [&](TableSpec& t, bool*) -> FieldErrors {
      index = upsert_service(t, svc);
      names = service_names(t);
      return {};
    });
    return reply(ctx, o, "table", out, {{index, "service"}},
                 [&](const FieldError& e) { return name_at(names, index_in(e.path, "services")); });
  }

  grpc::Status DeleteService(grpc::ServerContext* ctx, const pb::DeleteServiceRequest* req,
                             pb::ChangeReply* out) override {
    if (req->name().empty()) return fail(ctx, grpc::INVALID_ARGUMENT, {{"name", "is required"}}, live_version());
    auto o = tables_.modify(req->expected_version(), [&](TableSpec& t, bool* not_found) {
      return delete_service(t, req->name(), "name", not_found);
    });
    return reply(ctx, o, "table", out);
  }

  grpc::Status SetBackend(grpc::ServerContext* ctx, const pb::SetBackendRequest* req, pb::ChangeReply* out) override {
    FieldErrors errors;
    const auto state = check_set_backend(*req, "", errors);
    const ServiceOf the_service = [name = req->service()](const FieldError&) { return name; };
    if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, errors, live_version(), the_service);
    auto o = tables_.modify(req->expected_version(),
                            [&](TableSpec& t, bool* not_found) { return set_backend(t, *req, *state, "", not_found); });
    return reply(ctx, o, "table", out, {}, the_service);
  }

  grpc::Status ApplyChanges(grpc::ServerContext* ctx, const pb::ApplyChangesRequest* req,
                            pb::ChangeReply* out) override {
    FieldErrors errors;
    const int n = req->changes_size();
    if (n == 0) errors.push_back({"changes", "at least one change is required"});
    if (n > kMaxChanges)
      errors.push_back({"changes", "at most " + std::to_string(kMaxChanges) + " per call, got " + std::to_string(n)});
    // Decoded up front: a batch with any malformed change is refused before the table is touched.
    std::vector<ServiceSpec> upserts(size_t(std::max(n, 0)));
    std::vector<BackendState> states(upserts.size());
    for (int i = 0; i < n && n <= kMaxChanges; ++i) {
      const auto& c = req->changes(i);
      const std::string at = "changes[" + std::to_string(i) + "]";
      switch (c.change_case()) {
        case pb::Change::kUpsertService:
          upserts[i] = decode_service(c.upsert_service(), at + ".upsert_service", errors);
          break;
        case pb::Change::kDeleteService:
          if (c.delete_service().empty()) errors.push_back({at + ".delete_service", "a service name is required"});
          break;
        case pb::Change::kSetBackend:
          if (c.set_backend().expected_version() != 0)
            errors.push_back({at + ".set_backend.expected_version", "set it on the request, not in a change"});
          if (auto st = check_set_backend(c.set_backend(), at + ".set_backend.", errors)) states[i] = *st;
          break;
        case pb::Change::CHANGE_NOT_SET: errors.push_back({at, "set upsert_service, delete_service or set_backend"});
      }
    }
    // The service each change is about.
    std::vector<std::string> change_services;
    for (int i = 0; i < n && n <= kMaxChanges; ++i) {
      const auto& c = req->changes(i);
      change_services.push_back(c.has_upsert_service()   ? c.upsert_service().name()
                                : c.has_delete_service() ? c.delete_service()
                                : c.has_set_backend()    ? c.set_backend().service()
                                                         : "");
    }
    if (!errors.empty())
      return fail(ctx, grpc::INVALID_ARGUMENT, errors, live_version(),
                  [&](const FieldError& e) { return name_at(change_services, index_in(e.path, "changes")); });
    std::map<long, std::string> upsert_paths;  // table index -> the change that wrote it (last run)
    std::vector<std::string> names;            // the edited table's services, by index (last run)
    auto o = tables_.modify(req->expected_version(), [&](TableSpec& t, bool* not_found) -> FieldErrors {
      upsert_paths.clear();
      names.clear();
      std::map<std::string, int> upserted;  // name -> the last upsert of it
      for (int i = 0; i < n; ++i) {
        const auto& c = req->changes(i);
        const std::string at = "changes[" + std::to_string(i) + "]";
        FieldErrors e;
        if (c.has_upsert_service()) {
          upsert_service(t, upserts[i]);
          upserted[upserts[i].name] = i;
        } else if (c.has_delete_service()) {
          e = delete_service(t, c.delete_service(), at + ".delete_service", not_found);
          upserted.erase(c.delete_service());
        } else {
          e = set_backend(t, c.set_backend(), states[i], at + ".set_backend.", not_found);
        }
        if (!e.empty()) return e;
      }
      for (size_t k = 0; k < t.services.size(); ++k)
        if (auto it = upserted.find(t.services[k].name); it != upserted.end())
          upsert_paths[long(k)] = "changes[" + std::to_string(it->second) + "].upsert_service";
      names = service_names(t);
      return {};
    });
    return reply(ctx, o, "table", out, upsert_paths, [&](const FieldError& e) {
      const long change = index_in(e.path, "changes");
      return change >= 0 ? name_at(change_services, change) : name_at(names, index_in(e.path, "services"));
    });
  }

  grpc::Status GetServices(grpc::ServerContext*, const pb::GetServicesRequest*, pb::ServiceState* out) override {
    *out = tables_.read([](const TableSpec& live, const ServiceSnapshot*) { return encode_state(live); });
    return grpc::Status::OK;
  }

  grpc::Status GetStats(grpc::ServerContext*, const pb::GetStatsRequest*, pb::Stats* out) override {
    const StatsReport st = hooks_.stats();
    const StatsTotals& t = st.totals;
    out->set_table_version(st.table_version);
    out->set_rx_packets(t.rx_packets);
    out->set_tx_packets(t.tx_packets);
    out->set_forwarded(t.forwarded);
    out->set_dropped(t.drops_total);
    out->set_punted(t.punted_total);
    for (size_t k = 0; k < kDropReasonCount; ++k)
      (*out->mutable_drops())[std::string(drop_reason_name(DropReason(k)))] = t.drops[k];
    for (size_t k = 0; k < kPuntReasonCount; ++k)
      (*out->mutable_punts())[std::string(punt_reason_name(PuntReason(k)))] = t.punted[k];
    for (const WorkerReport& w : st.workers) {
      auto* o = out->add_workers();
      o->set_lcore(w.lcore);
      o->set_rx_packets(w.rx_packets);
      o->set_tx_packets(w.tx_packets);
      o->set_forwarded(w.forwarded);
      uint64_t dropped = 0, punted = 0;
      for (size_t k = 0; k < kDropReasonCount; ++k) {
        if (w.drops[k]) (*o->mutable_drops())[std::string(drop_reason_name(DropReason(k)))] = w.drops[k];
        dropped += w.drops[k];
      }
      for (uint64_t v : w.punted) punted += v;
      o->set_dropped(dropped);
      o->set_punted(punted);
      o->set_flows(w.conntrack.occupancy);
      o->set_busy_ratio(w.busy_ratio);
      o->set_cycles_per_packet(w.cycles_per_packet);
    }
    for (const ServiceReport& s : st.services) {
      auto* v = out->add_vips();
      v->set_name(s.name);
      v->set_vip(s.vip.to_string());
      v->set_port(s.port);
      v->set_protocol(s.protocol == 6 ? pb::TCP : pb::UDP);
      v->set_forwarding(encode_mode(s.forwarding));
      v->set_packets(s.packets);
      v->set_bytes(s.bytes);
      v->set_new_flows(s.new_flows);
      v->set_active_flows(s.active_flows);
      for (const BackendReport& b : s.backends) {
        auto* o = v->add_backends();
        o->set_address(b.address.to_string());
        o->set_port(b.port);
        o->set_state(encode_backend_state(b.state));
        o->set_next_hop(b.next_hop ? b.next_hop->to_string() : std::string("unknown"));
        o->set_packets(b.packets);
        o->set_bytes(b.bytes);
        o->set_active_flows(b.active_flows);
      }
    }
    out->set_json(to_json(st).dump());
    return grpc::Status::OK;
  }

  grpc::Status ListFlows(grpc::ServerContext* ctx, const pb::ListFlowsRequest* req,
                         pb::ListFlowsResponse* out) override {
    FieldErrors errors;
    FlowQuery q;
    if (auto a = filter_address(req->vip(), "vip", errors)) q.vip = *a;
    if (auto a = filter_address(req->client(), "client", errors)) q.client = *a;
    if (auto a = filter_address(req->backend(), "backend", errors)) q.backend = *a;
    if (req->port() > 65535) errors.push_back({"port", "must be 0-65535"});
    q.port = uint16_t(req->port());
    if (req->protocol() == pb::TCP)
      q.protocol = 6;
    else if (req->protocol() == pb::UDP)
      q.protocol = 17;
    else if (req->protocol() != pb::PROTOCOL_UNSPECIFIED)
      errors.push_back({"protocol", "must be TCP, UDP or unset"});
    if (req->limit() > kMaxFlowLimit)
      errors.push_back(
          {"limit", "must be at most " + std::to_string(kMaxFlowLimit) + ", got " + std::to_string(req->limit())});
    q.limit = req->limit() ? req->limit() : kDefaultFlowLimit;
    if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, errors, live_version());
    FlowListing listing;
    if (!hooks_.list_flows(q, &listing))
      return grpc::Status(grpc::UNAVAILABLE, "a worker did not answer the flow listing within " +
                                                 std::to_string(kFlowListTimeoutMs) + " ms");
    for (const auto& r : listing.flows) {
      auto* f = out->add_flows();
      const auto fam = IpFamily(r.key.family);
      auto addr = [&](const uint8_t* b) {
        return (fam == IpFamily::kV4 ? IpAddress::v4(b) : IpAddress::v6(b)).to_string();
      };
      f->set_lcore(r.lcore);
      f->set_client(addr(r.key.src));
      f->set_client_port(r.key.src_port);
      f->set_vip(addr(r.key.dst));
      f->set_vip_port(r.key.dst_port);
      f->set_protocol(encode_protocol(r.key.proto));
      f->set_state(flow_state_name(r.state));
      f->set_backend(r.backend_known ? r.backend.to_string() : "gone");
      f->set_backend_port(r.backend_port);
      f->set_age_ms(r.age_ms);
      f->set_expires_in_ms(r.expires_in_ms);
      if (r.nat) {
        f->set_nat_address(r.nat_address.to_string());
        f->set_nat_port(r.nat_port);
      }
    }
    out->set_truncated(listing.truncated);
    return grpc::Status::OK;
  }

  grpc::Status GetVersion(grpc::ServerContext*, const pb::GetVersionRequest*, pb::VersionReply* out) override {
    // Cheap on purpose (health checks poll it): no stats document.
    const bool live = tables_.read([](const TableSpec&, const ServiceSnapshot* snap) { return snap != nullptr; });
    out->set_version(EDGELB_VERSION);
    out->set_table_version(live_version());
    out->set_publishes(hooks_.publishes ? hooks_.publishes() : 0);
    out->set_workers(hooks_.workers);
    out->set_serving(hooks_.serving() && live);
    out->set_draining(tables_.draining());
    out->set_uptime_ms(uint64_t(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count()));
    return grpc::Status::OK;
  }

  grpc::Status SetDrain(grpc::ServerContext*, const pb::SetDrainRequest* req, pb::DrainReply* out) override {
    const bool was = tables_.draining();
    tables_.set_draining(req->draining());  // returns once every worker runs with it
    if (was != req->draining()) {
      std::fprintf(stderr, "edgelb-dataplane: drain %s (control service)\n", req->draining() ? "on" : "off");
      if (hooks_.on_drain) hooks_.on_drain(req->draining());
    }
    out->set_draining(tables_.draining());
    out->set_table_version(live_version());
    if (hooks_.stats) out->set_flows(hooks_.stats().totals.flows);
    return grpc::Status::OK;
  }

 private:
  uint64_t live_version() {
    return tables_.read([](const TableSpec& live, const ServiceSnapshot*) { return live.version; });
  }
  TableManager& tables_;
  ControlHooks hooks_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

ControlServer::ControlServer(const std::string& path, TableManager& tables, ControlHooks hooks)
    : path_(path), service_(std::make_unique<Service>(tables, std::move(hooks))) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (fs::is_socket(p, ec))
    fs::remove(p, ec);
  else if (fs::exists(p, ec))
    throw std::runtime_error("control socket path " + path + " exists and is not a socket");
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder b;
  b.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
  b.RegisterService(service_.get());
  server_ = b.BuildAndStart();
  if (!server_) throw std::runtime_error("control: cannot listen on unix:" + path);
  ::chmod(path.c_str(), 0660);
  if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(true);
}

ControlServer::~ControlServer() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace edgelb
