#include "api/api_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>

#include "api/grpc_errors.h"
#include "api/lb_config.h"
#include "api/proto/edgelb.grpc.pb.h"
#include "common/read_file.h"
#include "dataplane/rpc/reflection_v1.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"
#include "pool/pool_validator.h"

namespace edgelb::cp {
namespace {

namespace pb = edgelb::v1;
using nlohmann::json;

DocumentFormat format_of(pb::Format f) {
  return f == pb::FORMAT_JSON   ? DocumentFormat::kJson
         : f == pb::FORMAT_YAML ? DocumentFormat::kYaml
                                : DocumentFormat::kAuto;
}

void fill(const PoolRecord& r, pb::Pool* out) {
  out->set_name(r.name);
  out->set_version(r.version);
  out->set_config_json(r.config.dump(2));
  out->set_updated_by(r.updated_by);
  out->set_updated_at_ms(r.updated_at_ms);
  out->set_rolled_back_from(r.rolled_back_from);
}

}  // namespace

class ApiServer::Service final : public pb::EdgeLB::Service {
 public:
  Service(PoolStore& store, const Authorizer& auth, AuditLog& audit, const mesos::MesosModel* model)
      : store_(store), auth_(auth), audit_(audit), model_(model) {}

  grpc::Status Ping(grpc::ServerContext* ctx, const pb::PingRequest*, pb::PingReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
    out->set_message("pong");
    out->set_zookeeper_connected(store_.zk().connected());
    return grpc::Status::OK;
  }

  grpc::Status GetVersion(grpc::ServerContext* ctx, const pb::GetVersionRequest*, pb::VersionReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
    out->set_version(EDGELB_VERSION);
    out->set_api("edgelb.v1");
    out->set_pool_schema("V2");
    return grpc::Status::OK;
  }

  grpc::Status ValidatePool(grpc::ServerContext* ctx, const pb::PoolWriteRequest* req,
                            pb::ValidateReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who); !s.ok()) return s;
    FieldErrors errors;
    auto doc = parse_and_validate(*req, &errors);
    if (doc && doc->is_object()) out->set_name(doc->value("name", ""));
    for (const auto& e : errors) {
      auto* v = out->add_field_violations();
      v->set_field(e.path);
      v->set_description(e.reason);
    }
    return grpc::Status::OK;
  }

  grpc::Status CreatePool(grpc::ServerContext* ctx, const pb::PoolWriteRequest* req, pb::PoolWriteReply* out) override {
    return change(ctx, "create-pool", "", [&](const Caller& who, std::string* target, int64_t* version) {
      FieldErrors errors;
      auto doc = parse_and_validate(*req, &errors);
      if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool configuration", errors);
      *target = (*doc)["name"].get<std::string>();
      auto r = store_.create(*target, *doc, who.name);
      *version = r.current_version;
      if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors, r.current_version);
      out->set_name(*target);
      out->set_version(r.current_version);
      return grpc::Status::OK;
    });
  }

  grpc::Status UpdatePool(grpc::ServerContext* ctx, const pb::PoolWriteRequest* req, pb::PoolWriteReply* out) override {
    return change(ctx, "update-pool", req->name(), [&](const Caller& who, std::string* target, int64_t* version) {
      FieldErrors errors;
      auto doc = parse_and_validate(*req, &errors);
      if (!errors.empty()) return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool configuration", errors);
      *target = (*doc)["name"].get<std::string>();
      if (!req->name().empty() && req->name() != *target)
        return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool configuration",
                    {{"name", "is \"" + *target + "\" but the request updates pool \"" + req->name() + "\""}});
      auto r = store_.update(*target, *doc, req->expected_version(), who.name);
      *version = r.current_version;
      if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors, r.current_version);
      out->set_name(*target);
      out->set_version(r.current_version);
      return grpc::Status::OK;
    });
  }

  grpc::Status DeletePool(grpc::ServerContext* ctx, const pb::DeletePoolRequest* req,
                          pb::PoolWriteReply* out) override {
    return change(ctx, "delete-pool", req->name(), [&](const Caller& who, std::string* target, int64_t* version) {
      *target = req->name();
      if (!valid_pool_name(req->name()))
        return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"name", "not a pool name"}});
      auto r = store_.remove(req->name(), req->expected_version(), who.name);
      *version = r.current_version;
      if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors, r.current_version);
      out->set_name(req->name());
      out->set_version(r.current_version);
      return grpc::Status::OK;
    });
  }

  grpc::Status RollbackPool(grpc::ServerContext* ctx, const pb::RollbackPoolRequest* req,
                            pb::PoolWriteReply* out) override {
    return change(ctx, "rollback-pool", req->name(), [&](const Caller& who, std::string* target, int64_t* version) {
      *target = req->name();
      if (!valid_pool_name(req->name()))
        return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"name", "not a pool name"}});
      if (req->to_version() <= 0)
        return fail(ctx, grpc::INVALID_ARGUMENT, "invalid version", {{"to_version", "must be at least 1"}});
      auto r = store_.rollback(req->name(), req->to_version(), req->expected_version(), who.name);
      *version = r.current_version;
      if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors, r.current_version);
      out->set_name(req->name());
      out->set_version(r.current_version);
      return grpc::Status::OK;
    });
  }

  grpc::Status GetPool(grpc::ServerContext* ctx, const pb::GetPoolRequest* req, pb::Pool* out) override {
    PoolRecord rec;
    if (auto s = read_pool(ctx, req->name(), /*agent_allowed=*/true, &rec); !s.ok()) return s;
    fill(rec, out);
    return grpc::Status::OK;
  }

  grpc::Status ListPools(grpc::ServerContext* ctx, const pb::ListPoolsRequest*, pb::ListPoolsReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
    std::vector<PoolSummary> pools;
    auto r = store_.list(&pools);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    for (const auto& p : pools) {
      auto* s = out->add_pools();
      s->set_name(p.name);
      s->set_version(p.version);
      s->set_updated_at_ms(p.updated_at_ms);
      s->set_updated_by(p.updated_by);
      s->set_frontends(static_cast<uint32_t>(p.frontends));
      s->set_backends(static_cast<uint32_t>(p.backends));
      s->set_vips(static_cast<uint32_t>(p.vips));
      s->set_instances(static_cast<uint32_t>(p.instances));
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPoolStatus(grpc::ServerContext* ctx, const pb::GetPoolRequest* req, pb::PoolStatus* out) override {
    PoolRecord rec;
    std::vector<InstanceRegistration> regs;
    if (auto s = read_pool(ctx, req->name(), /*agent_allowed=*/false, &rec, &regs); !s.ok()) return s;
    out->set_name(rec.name);
    out->set_version(rec.version);
    uint32_t up_to_date = 0, healthy = 0;
    for (const auto& reg : regs) {
      auto* i = out->add_instances();
      i->set_id(reg.id);
      const json& d = reg.data;
      i->set_host(d.is_object() ? d.value("host", "") : "");
      i->set_applied_version(d.is_object() ? d.value("appliedVersion", int64_t{0}) : 0);
      i->set_healthy(d.is_object() && d.value("healthy", false));
      i->set_state(d.is_object() ? d.value("state", "") : "");
      i->set_registered_at_ms(reg.registered_at_ms);
      i->set_data_json(d.dump());
      up_to_date += i->applied_version() == rec.version;
      healthy += i->healthy();
    }
    out->set_up_to_date(up_to_date);
    out->set_healthy(healthy);
    const size_t n = regs.size();
    out->set_health(n == 0 ? "NO_INSTANCES" : healthy < n ? "DEGRADED" : up_to_date < n ? "UPDATING" : "HEALTHY");
    return grpc::Status::OK;
  }

  grpc::Status GetPoolHistory(grpc::ServerContext* ctx, const pb::GetPoolRequest* req, pb::PoolHistory* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who); !s.ok()) return s;
    if (!valid_pool_name(req->name()))
      return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"name", "not a pool name"}});
    std::vector<PoolRecord> hist;
    auto r = store_.history(req->name(), &hist);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    for (const auto& h : hist) fill(h, out->add_versions());
    return grpc::Status::OK;
  }

  grpc::Status PutTemplate(grpc::ServerContext* ctx, const pb::PutTemplateRequest* req,
                           pb::TemplateReply* out) override {
    return change(
        ctx, "put-template", req->pool(),
        [&](const Caller& who, std::string* target, int64_t* version) {
          *target = req->pool();
          if (!valid_pool_name(req->pool()))
            return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"pool", "not a pool name"}});
          if (req->template_().empty())
            return fail(ctx, grpc::INVALID_ARGUMENT, "empty template", {{"template", "must not be empty"}});
          auto r = store_.put_template(req->pool(), req->template_(), who.name);
          *version = r.current_version;
          if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors);
          out->set_pool(req->pool());
          out->set_version(r.current_version);
          return grpc::Status::OK;
        },
        Role::kAdmin);
  }

  grpc::Status GetLbConfig(grpc::ServerContext* ctx, const pb::GetLbConfigRequest* req, pb::LbConfig* out) override {
    PoolRecord rec;
    std::vector<InstanceRegistration> instances;
    if (auto s = read_pool(ctx, req->name(), /*agent_allowed=*/true, &rec, &instances); !s.ok()) return s;
    std::string text;
    auto r = store_.get_template(req->name(), &text);
    if (!r.ok() && r.code != StoreResult::kNotFound) return fail(ctx, code_of(r.code), r.message);
    std::vector<RunningConfig> running;
    r = store_.running_configs(req->name(), &running);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    out->set_name(rec.name);
    out->set_custom_template(!text.empty());
    for (const auto& c : running) {
      auto* info = out->add_running();
      info->set_instance(c.instance);
      info->set_config_hash(c.config_hash);
      info->set_bytes(c.bytes);
      info->set_written_at_ms(c.written_at_ms);
    }
    // What an instance runs, unless the rendering is asked for (or none runs yet).
    const RunningConfig* shown = nullptr;
    for (const auto& c : running)
      if (req->instance().empty() ? !shown || c.instance < shown->instance : c.instance == req->instance()) shown = &c;
    if (!req->instance().empty() && !shown && !req->rendered())
      return fail(ctx, grpc::NOT_FOUND, "no running configuration of " + req->instance() + " in pool " + rec.name);
    if (shown && !req->rendered()) {
      out->set_source("running");
      out->set_instance(shown->instance);
      out->set_config(shown->config);
      out->set_config_hash(shown->config_hash);
      for (const auto& i : instances)
        if (i.id == shown->instance && i.data.is_object()) out->set_version(i.data.value("appliedVersion", int64_t{0}));
      if (!shown->complete)
        out->set_note("the configuration (" + std::to_string(shown->bytes) +
                      " bytes) is too large to keep in ZooKeeper: only its hash is here; the instance serves it on "
                      "its stats port (/_haproxy_getconfig)");
      return grpc::Status::OK;
    }
    try {
      std::optional<mesos::ModelView> view;
      if (model_) view = model_->snapshot();
      LbConfigView v = render_lb_config(rec, text, instances, view ? &*view : nullptr);
      out->set_source("rendered");
      out->set_version(rec.version);
      out->set_endpoints_revision(v.revision);
      out->set_config(v.config);
      out->set_config_hash(sha256_hex(v.config));
      out->set_instance(v.instance);
      if (!req->rendered())
        out->set_note("no instance has published what it runs yet: the apiserver's rendering is shown");
    } catch (const std::exception& e) {
      return fail(ctx, grpc::FAILED_PRECONDITION, std::string("cannot render the pool: ") + e.what());
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPoolEndpoints(grpc::ServerContext* ctx, const pb::GetPoolRequest* req,
                                pb::PoolEndpoints* out) override {
    PoolRecord rec;
    std::vector<InstanceRegistration> instances;
    if (auto s = read_pool(ctx, req->name(), /*agent_allowed=*/true, &rec, &instances); !s.ok()) return s;
    out->set_name(rec.name);
    for (const auto& row : lb_endpoints(PoolModel::from_json(rec.config), instances)) {
      auto* e = out->add_endpoints();
      e->set_instance(row.instance);
      e->set_host(row.host);
      e->set_address(row.address);
      e->set_name(row.name);
      e->set_port(row.port);
      e->set_protocol(row.protocol);
    }
    return grpc::Status::OK;
  }

  grpc::Status GetTemplate(grpc::ServerContext* ctx, const pb::TemplateRequest* req, pb::TemplateReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, /*agent_allowed=*/true); !s.ok()) return s;
    if (!valid_pool_name(req->pool()))
      return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"pool", "not a pool name"}});
    std::string text;
    auto r = store_.get_template(req->pool(), &text);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    out->set_pool(req->pool());
    out->set_template_(text);
    out->set_version(r.current_version);
    return grpc::Status::OK;
  }

  grpc::Status DeleteTemplate(grpc::ServerContext* ctx, const pb::TemplateRequest* req,
                              pb::TemplateReply* out) override {
    return change(
        ctx, "delete-template", req->pool(),
        [&](const Caller& who, std::string* target, int64_t*) {
          *target = req->pool();
          if (!valid_pool_name(req->pool()))
            return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"pool", "not a pool name"}});
          auto r = store_.delete_template(req->pool(), who.name);
          if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
          out->set_pool(req->pool());
          return grpc::Status::OK;
        },
        Role::kAdmin);
  }

  grpc::Status PutSecret(grpc::ServerContext* ctx, const pb::PutSecretRequest* req, pb::SecretReply* out) override {
    return change(
        ctx, "put-secret", req->name(),
        [&](const Caller& who, std::string* target, int64_t*) {
          *target = req->name();
          auto r = store_.put_secret(req->name(), req->value(), who.name);
          if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors);
          out->set_name(req->name());
          return grpc::Status::OK;
        },
        Role::kAdmin);
  }

  grpc::Status DeleteSecret(grpc::ServerContext* ctx, const pb::DeleteSecretRequest* req,
                            pb::SecretReply* out) override {
    return change(
        ctx, "delete-secret", req->name(),
        [&](const Caller& who, std::string* target, int64_t*) {
          *target = req->name();
          if (!valid_secret_name(req->name()))
            return fail(ctx, grpc::INVALID_ARGUMENT, "invalid secret name",
                        {{"name", "must match [A-Za-z0-9._-]{1,128}"}});
          auto r = store_.delete_secret(req->name(), who.name);
          if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors);
          out->set_name(req->name());
          return grpc::Status::OK;
        },
        Role::kAdmin);
  }

  grpc::Status ListSecrets(grpc::ServerContext* ctx, const pb::ListSecretsRequest*,
                           pb::ListSecretsReply* out) override {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kAdmin, &who); !s.ok()) return s;
    std::vector<SecretInfo> secrets;
    auto r = store_.list_secrets(&secrets);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    for (const auto& s : secrets) {
      auto* i = out->add_secrets();
      i->set_name(s.name);
      i->set_bytes(s.bytes);
      i->set_updated_at_ms(s.updated_at_ms);
      i->set_version(s.version);
    }
    return grpc::Status::OK;
  }

 private:
  std::optional<json> parse_and_validate(const pb::PoolWriteRequest& req, FieldErrors* errors) {
    auto doc = parse_document(req.config(), format_of(req.format()), *errors);
    if (!doc) return std::nullopt;
    PoolContext pctx;
    pctx.secret_exists = [this](const std::string& n) { return store_.secret_exists(n); };
    *errors = validate_pool(*doc, pctx);
    return doc;
  }

  // The read calls' common start: authorize, check the name, read the pool (and its instance
  // registrations when `instances` is given). Returns the status to answer when it fails.
  grpc::Status read_pool(grpc::ServerContext* ctx, const std::string& name, bool agent_allowed, PoolRecord* rec,
                         std::vector<InstanceRegistration>* instances = nullptr) {
    Caller who;
    if (auto s = auth_.authorize(*ctx, Role::kViewer, &who, agent_allowed); !s.ok()) return s;
    if (!valid_pool_name(name))
      return fail(ctx, grpc::INVALID_ARGUMENT, "invalid pool name", {{"name", "not a pool name"}});
    auto r = store_.get(name, rec);
    if (!r.ok()) return fail(ctx, code_of(r.code), r.message, r.errors, r.current_version);
    if (instances) {
      r = store_.instances(name, instances);
      if (!r.ok()) return fail(ctx, code_of(r.code), r.message);
    }
    return grpc::Status::OK;
  }

  // Authorizes, runs `body`, and audits the attempt whatever its outcome.
  template <typename F>
  grpc::Status change(grpc::ServerContext* ctx, const char* action, const std::string& requested, F&& body,
                      Role needed = Role::kOperator) {
    Caller who;
    std::string target = requested;
    int64_t version = 0;
    grpc::Status s = auth_.authorize(*ctx, needed, &who);
    if (s.ok()) s = body(who, &target, &version);
    audit_.record(who, action, target, version, s.ok() ? "ok" : "error:" + std::to_string(s.error_code()),
                  s.ok() ? "" : s.error_message());
    return s;
  }

  PoolStore& store_;
  const Authorizer& auth_;
  AuditLog& audit_;
  const mesos::MesosModel* model_;
};

ApiServer::ApiServer(const ApiServerOptions& o, PoolStore& store, const Authorizer& auth, AuditLog& audit)
    : service_(std::make_unique<Service>(store, auth, audit, o.mesos_model)) {
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!o.tls_cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl(o.client_ca_file.empty()
                                              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back(
        {read_file(o.tls_key_file, "TLS key"), read_file(o.tls_cert_file, "TLS certificate")});
    if (!o.client_ca_file.empty()) ssl.pem_root_certs = read_file(o.client_ca_file, "client CA");
    creds = grpc::SslServerCredentials(ssl);
  } else if (o.allow_insecure) {
    creds = grpc::InsecureServerCredentials();
  } else {
    throw std::runtime_error(
        "apiserver: no TLS certificate configured (use --tls-cert/--tls-key, or --insecure for tests)");
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();  // v1alpha
  grpc::ServerBuilder b;
  rpc::enable_reflection_v1(b);
  b.AddListeningPort(o.listen, creds, &port_);
  b.RegisterService(service_.get());
  for (grpc::Service* extra : o.extra_services) b.RegisterService(extra);
  extra_ = o.extra_services;
  server_ = b.BuildAndStart();
  if (!server_ || port_ == 0) throw std::runtime_error("apiserver: cannot listen on " + o.listen);
  if (!o.health_listen.empty()) {
    // Only the default health service: nothing else is reachable without credentials.
    grpc::ServerBuilder hb;
    hb.AddListeningPort(o.health_listen, grpc::InsecureServerCredentials(), &health_port_);
    health_server_ = hb.BuildAndStart();
    if (!health_server_ || health_port_ == 0)
      throw std::runtime_error("apiserver: cannot listen on " + o.health_listen + " (health probes)");
  }
  set_serving(store.zk().connected());
}

ApiServer::~ApiServer() { shutdown(); }

void ApiServer::set_serving(bool serving) {
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    grpc::HealthCheckServiceInterface* h = s ? s->GetHealthCheckService() : nullptr;
    if (!h) continue;
    h->SetServingStatus(serving);
    h->SetServingStatus("edgelb.v1.EdgeLB", serving);
    if (!extra_.empty()) h->SetServingStatus("edgelb.v1.MesosListener", serving);
  }
}

void ApiServer::wait() { server_->Wait(); }

void ApiServer::shutdown() {
  if (health_server_) health_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace edgelb::cp
