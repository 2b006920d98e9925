// edgelb-apiserver's gRPC service over real TLS against a real ZooKeeper: mutual TLS and
// bearer tokens, each role's allowed and denied calls, errors a program can act on (field
// paths, current version), every shared pool fixture stored and read back identical, health,
// reflection and the audit trail.
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api/api_server.h"
#include "api/proto/edgelb.grpc.pb.h"
#include "crypto/x509_issuer.h"
#include "dataplane/rpc/rpc_error.h"
#include "fixtures.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "pool/pool_document.h"
#include "zk_server.h"

namespace edgelb::cp {
namespace {

namespace pb = edgelb::v1;
using nlohmann::json;
using namespace std::chrono_literals;

using test::read_file_or_throw;

struct Pki {
  KeyAndCert ca, server, admin, op, viewer, agent, stranger, no_role;
  Pki() {
    CertRequest r;
    r.common_name = "test CA";
    r.usage = CertRequest::Usage::kCa;
    ca = self_signed(r);
    CertRequest s;
    s.common_name = "localhost";
    s.dns_names = {"localhost"};
    s.ip_addresses = {"127.0.0.1"};
    server = issue(s, ca);
    auto client = [&](const char* cn, const char* ou, const KeyAndCert& by) {
      CertRequest c;
      c.common_name = cn;
      c.organizational_unit = ou;
      c.usage = CertRequest::Usage::kClient;
      return issue(c, by);
    };
    admin = client("alice", "admin", ca);
    op = client("olga", "operator", ca);
    viewer = client("victor", "viewer", ca);
    agent = client("node-1", "agent", ca);
    no_role = client("nobody", "", ca);
    CertRequest other;
    other.common_name = "other CA";
    other.usage = CertRequest::Usage::kCa;
    stranger = client("mallory", "admin", self_signed(other));
  }
};

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    zk_server_ = new test::ZkServer();
    pki_ = new Pki();
  }
  static void TearDownTestSuite() {
    delete zk_server_;
    delete pki_;
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("edgelb-api-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write("server.crt", pki_->server.cert_pem);
    write("server.key", pki_->server.key_pem);
    write("ca.crt", pki_->ca.cert_pem);
    write("tokens.yaml",
          "tokens:\n  - {name: ci, role: operator, token: t-operator}\n"
          "  - {name: ro, role: viewer, sha256: " +
              sha256_hex("t-viewer") + "}\n");
    ZkOptions zo;
    zo.hosts = zk_server_->hosts();
    zk_ = std::make_unique<ZkClient>(zo);
    ASSERT_TRUE(zk_->wait_connected(10s));
    StoreOptions so;
    so.root = "/api-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    store_ = std::make_unique<PoolStore>(*zk_, so, &box_);
    store_->init();
    store_->start_summary_cache();  // as edgelb-apiserver runs it
    auth_ = std::make_unique<Authorizer>(dir_ + "/tokens.yaml", Role::kNone);
    audit_ = std::make_unique<AuditLog>(dir_ + "/audit.log");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& data) { std::ofstream(dir_ + "/" + name) << data; }
  void start(bool mutual, bool health_probe = false) {
    ApiServerOptions o;
    o.listen = "127.0.0.1:0";
    if (health_probe) o.health_listen = "127.0.0.1:0";
    o.tls_cert_file = dir_ + "/server.crt";
    o.tls_key_file = dir_ + "/server.key";
    if (mutual) o.client_ca_file = dir_ + "/ca.crt";
    server_ = std::make_unique<ApiServer>(o, *store_, *auth_, *audit_);
  }
  std::shared_ptr<grpc::Channel> channel(const KeyAndCert* client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_->ca.cert_pem;
    if (client) {
      ssl.pem_cert_chain = client->cert_pem;
      ssl.pem_private_key = client->key_pem;
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::SslCredentials(ssl), args);
  }
  std::unique_ptr<pb::EdgeLB::Stub> stub(const KeyAndCert* client) { return pb::EdgeLB::NewStub(channel(client)); }
  static std::unique_ptr<grpc::ClientContext> ctx(const std::string& token = "") {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + 10s);
    if (!token.empty()) c->AddMetadata("authorization", "Bearer " + token);
    return c;
  }
  // edgelb's detail (the current version) and the field paths of a failed call.
  static pb::ErrorDetails details(const grpc::Status& s) {
    pb::ErrorDetails d;
    rpc::read_error_detail(s, &d);
    return d;
  }
  static std::vector<std::string> fields(const grpc::Status& s) {
    std::vector<std::string> out;
    for (const auto& v : rpc::read_error(s).violations) out.push_back(v.path);
    return out;
  }
  static pb::PoolWriteRequest pool_request(const std::string& name, int count = 1) {
    pb::PoolWriteRequest r;
    r.set_config("apiVersion: V2\nname: " + name + "\ncount: " + std::to_string(count) +
                 "\nhaproxy:\n  frontends:\n    - bindPort: 80\n      protocol: HTTP\n      linkBackend:\n"
                 "        defaultBackend: app\n  backends:\n    - name: app\n      protocol: HTTP\n      services:\n"
                 "        - marathon: {serviceID: /app}\n          endpoint: {portName: web}\n");
    return r;
  }

  static test::ZkServer* zk_server_;
  static Pki* pki_;
  std::string dir_;
  SecretBox box_{std::array<unsigned char, 32>{7}};
  std::unique_ptr<ZkClient> zk_;
  std::unique_ptr<PoolStore> store_;
  std::unique_ptr<Authorizer> auth_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ApiServer> server_;
};
test::ZkServer* ApiTest::zk_server_ = nullptr;
Pki* ApiTest::pki_ = nullptr;

TEST_F(ApiTest, MutualTlsRefusesClientsWithoutAValidCertificate) {
  start(true);
  pb::PingReply r;
  auto c = ctx();
  EXPECT_EQ(stub(nullptr)->Ping(c.get(), {}, &r).error_code(), grpc::UNAVAILABLE);  // handshake refused
  c = ctx();
  EXPECT_EQ(stub(&pki_->stranger)->Ping(c.get(), {}, &r).error_code(), grpc::UNAVAILABLE);  // other CA
  c = ctx();
  auto s = stub(&pki_->no_role)->Ping(c.get(), {}, &r);
  EXPECT_EQ(s.error_code(), grpc::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("no edgelb role"), std::string::npos);
  c = ctx();
  ASSERT_TRUE(stub(&pki_->viewer)->Ping(c.get(), {}, &r).ok());
  EXPECT_EQ(r.message(), "pong");
  EXPECT_TRUE(r.zookeeper_connected());
}

TEST_F(ApiTest, EachRoleGetsExactlyItsCalls) {
  start(true);
  auto viewer = stub(&pki_->viewer), op = stub(&pki_->op), admin = stub(&pki_->admin);
  pb::PoolWriteReply w;
  pb::ListPoolsReply l;
  pb::TemplateReply t;
  pb::SecretReply sr;
  pb::ListSecretsReply ls;
  pb::PutTemplateRequest tr;
  tr.set_pool("web");
  tr.set_template_("global\n");
  pb::PutSecretRequest sq;
  sq.set_name("tls");
  sq.set_value("key");
  auto c = ctx();
  // viewer: reads only
  EXPECT_EQ(viewer->CreatePool(c.get(), pool_request("web"), &w).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_TRUE(viewer->ListPools(c.get(), {}, &l).ok());
  // operator: pools, not templates or secrets
  c = ctx();
  ASSERT_TRUE(op->CreatePool(c.get(), pool_request("web"), &w).ok());
  c = ctx();
  EXPECT_EQ(op->PutTemplate(c.get(), tr, &t).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_EQ(op->PutSecret(c.get(), sq, &sr).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_EQ(op->ListSecrets(c.get(), {}, &ls).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  pb::TemplateRequest tq;
  tq.set_pool("web");
  EXPECT_EQ(viewer->GetTemplate(c.get(), tq, &t).error_code(), grpc::NOT_FOUND);  // allowed; default template
  // admin: everything
  c = ctx();
  EXPECT_TRUE(admin->PutTemplate(c.get(), tr, &t).ok());
  c = ctx();
  ASSERT_TRUE(viewer->GetTemplate(c.get(), tq, &t).ok());
  EXPECT_EQ(t.template_(), "global\n");
  c = ctx();
  EXPECT_TRUE(admin->PutSecret(c.get(), sq, &sr).ok());
  c = ctx();
  ASSERT_TRUE(admin->ListSecrets(c.get(), {}, &ls).ok());
  ASSERT_EQ(ls.secrets_size(), 1);
  EXPECT_EQ(ls.secrets(0).bytes(), 3u);
  c = ctx();
  pb::DeletePoolRequest dq;
  dq.set_name("web");
  EXPECT_EQ(viewer->DeletePool(c.get(), dq, &w).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_TRUE(op->DeletePool(c.get(), dq, &w).ok());

  // The audit trail names who did what, allowed or not, and never a secret value.
  std::string audit = read_file_or_throw(dir_ + "/audit.log");
  std::vector<json> lines;
  std::istringstream in(audit);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_GE(lines.size(), 7u);
  EXPECT_EQ(lines[0]["who"], "cn:victor");
  EXPECT_EQ(lines[0]["action"], "create-pool");
  EXPECT_EQ(lines[0]["outcome"], "error:7");
  EXPECT_EQ(lines[1]["who"], "cn:olga");
  EXPECT_EQ(lines[1]["target"], "web");
  EXPECT_EQ(lines[1]["version"], 1);
  EXPECT_EQ(lines[1]["outcome"], "ok");
  EXPECT_EQ(lines.back()["action"], "delete-pool");
  EXPECT_EQ(lines.back()["target"], "web");
  EXPECT_EQ(audit.find("\"key\""), std::string::npos);
}

TEST_F(ApiTest, BearerTokensOverTls) {
  start(false);
  auto s = stub(nullptr);
  pb::PoolWriteReply w;
  pb::ListPoolsReply l;
  auto c = ctx();
  EXPECT_EQ(s->ListPools(c.get(), {}, &l).error_code(), grpc::UNAUTHENTICATED);
  c = ctx("wrong");
  EXPECT_EQ(s->ListPools(c.get(), {}, &l).error_code(), grpc::UNAUTHENTICATED);
  c = ctx("t-viewer");
  EXPECT_TRUE(s->ListPools(c.get(), {}, &l).ok());
  c = ctx("t-viewer");
  EXPECT_EQ(s->CreatePool(c.get(), pool_request("web"), &w).error_code(), grpc::PERMISSION_DENIED);
  c = ctx("t-operator");
  ASSERT_TRUE(s->CreatePool(c.get(), pool_request("web"), &w).ok());
  PoolRecord rec;
  ASSERT_TRUE(store_->get("web", &rec).ok());
  EXPECT_EQ(rec.updated_by, "token:ci");
}

TEST_F(ApiTest, ErrorsCarryFieldPathsAndCurrentVersion) {
  start(true);
  auto op = stub(&pki_->op);
  pb::PoolWriteReply w;
  pb::PoolWriteRequest bad;
  bad.set_config(R"({"apiVersion":"V2","name":"web","count":"one","haproxy":{"frontends":[{"bindPort":80,
      "protocol":"HTTP","linkBackend":{"defaultBackend":"missing"}}],"backends":[]}})");
  auto c = ctx();
  auto s = op->CreatePool(c.get(), bad, &w);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(fields(s), (std::vector<std::string>{"count", "haproxy.frontends[0].linkBackend.defaultBackend"}));
  std::vector<std::string> kids;
  zk_->children(store_->options().root + "/pools", &kids);
  EXPECT_TRUE(kids.empty()) << "nothing stored";

  c = ctx();
  ASSERT_TRUE(op->CreatePool(c.get(), pool_request("web"), &w).ok());
  c = ctx();
  EXPECT_EQ(op->CreatePool(c.get(), pool_request("web"), &w).error_code(), grpc::ALREADY_EXISTS);
  auto up = pool_request("web", 2);
  up.set_expected_version(1);
  c = ctx();
  ASSERT_TRUE(op->UpdatePool(c.get(), up, &w).ok());
  EXPECT_EQ(w.version(), 2);
  c = ctx();
  s = op->UpdatePool(c.get(), up, &w);  // still expects 1
  EXPECT_EQ(s.error_code(), grpc::ABORTED);
  EXPECT_EQ(details(s).current_version(), 2);
  up.set_name("other");
  up.set_expected_version(0);
  c = ctx();
  s = op->UpdatePool(c.get(), up, &w);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  ASSERT_FALSE(fields(s).empty());
  EXPECT_EQ(fields(s)[0], "name");
  pb::GetPoolRequest g;
  g.set_name("nope");
  pb::Pool p;
  c = ctx();
  EXPECT_EQ(op->GetPool(c.get(), g, &p).error_code(), grpc::NOT_FOUND);
  pb::RollbackPoolRequest rb;
  rb.set_name("web");
  rb.set_to_version(1);
  c = ctx();
  ASSERT_TRUE(op->RollbackPool(c.get(), rb, &w).ok());
  EXPECT_EQ(w.version(), 3);
  g.set_name("web");
  pb::PoolHistory h;
  c = ctx();
  ASSERT_TRUE(op->GetPoolHistory(c.get(), g, &h).ok());
  ASSERT_EQ(h.versions_size(), 3);
  EXPECT_EQ(h.versions(0).rolled_back_from(), 1);
  EXPECT_EQ(json::parse(h.versions(0).config_json())["count"], 1);
}

TEST_F(ApiTest, EverySharedFixtureIsStoredAndReadBackIdentical) {
  start(true);
  auto op = stub(&pki_->op);
  std::set<std::string> names;
  for (const std::string& path : test::fixture_files("edgelb-pools", ".json")) {
    FieldErrors errors;
    auto doc = load_document_file(path, errors);
    ASSERT_TRUE(doc);
    const std::string name = (*doc)["name"];
    pb::PoolWriteRequest req;
    req.set_config(read_file_or_throw(path));
    pb::PoolWriteReply w;
    auto c = ctx();
    // Two fixtures share a pool name (blue/green deployment, weighted backends): update those.
    auto s = names.insert(name).second ? op->CreatePool(c.get(), req, &w) : op->UpdatePool(c.get(), req, &w);
    ASSERT_TRUE(s.ok()) << path << ": " << s.error_message();
    pb::GetPoolRequest g;
    g.set_name(name);
    pb::Pool p;
    c = ctx();
    ASSERT_TRUE(op->GetPool(c.get(), g, &p).ok());
    EXPECT_EQ(json::parse(p.config_json()), *doc) << path;
    EXPECT_EQ(p.updated_by(), "cn:olga");
  }
  pb::ListPoolsReply l;
  auto c = ctx();
  ASSERT_TRUE(op->ListPools(c.get(), {}, &l).ok());
  EXPECT_EQ(static_cast<size_t>(l.pools_size()), names.size());
}

TEST_F(ApiTest, StatusReportsRegisteredInstances) {
  start(true);
  auto op = stub(&pki_->op);
  pb::PoolWriteReply w;
  auto c = ctx();
  ASSERT_TRUE(op->CreatePool(c.get(), pool_request("web"), &w).ok());
  c = ctx();
  ASSERT_TRUE(op->UpdatePool(c.get(), pool_request("web", 2), &w).ok());
  const std::string dir = store_->pool_path("web") + "/instances/";
  ASSERT_EQ(
      zk_->create_ephemeral(dir + "a", R"({"host":"198.18.0.1","appliedVersion":2,"healthy":true,"state":"running"})"),
      ZOK);
  ASSERT_EQ(zk_->create_ephemeral(dir + "b", R"({"host":"198.18.0.2","appliedVersion":1,"healthy":true})"), ZOK);
  pb::GetPoolRequest g;
  g.set_name("web");
  pb::PoolStatus st;
  c = ctx();
  ASSERT_TRUE(op->GetPoolStatus(c.get(), g, &st).ok());
  EXPECT_EQ(st.version(), 2);
  ASSERT_EQ(st.instances_size(), 2);
  EXPECT_EQ(st.instances(0).host(), "198.18.0.1");
  EXPECT_EQ(st.instances(1).applied_version(), 1);
  EXPECT_EQ(st.up_to_date(), 1u);
  EXPECT_EQ(st.health(), "UPDATING");
  zk_->forget_ephemeral(dir + "b");
  c = ctx();
  ASSERT_TRUE(op->GetPoolStatus(c.get(), g, &st).ok());
  EXPECT_EQ(st.health(), "HEALTHY");
  zk_->forget_ephemeral(dir + "a");
}

// The agent role reads pools, templates, rendered configs and endpoints, and nothing else.
TEST_F(ApiTest, AgentsReadWhatTheyServeAndNothingElse) {
  start(true);
  auto agent = stub(&pki_->agent), op = stub(&pki_->op);
  pb::PoolWriteReply w;
  auto c = ctx();
  ASSERT_TRUE(op->CreatePool(c.get(), pool_request("web"), &w).ok());
  pb::GetPoolRequest g;
  g.set_name("web");
  pb::Pool p;
  pb::ListPoolsReply l;
  pb::LbConfig cfg;
  pb::PoolStatus st;
  pb::ListSecretsReply ls;
  c = ctx();
  EXPECT_TRUE(agent->GetPool(c.get(), g, &p).ok());
  c = ctx();
  EXPECT_TRUE(agent->ListPools(c.get(), {}, &l).ok());
  pb::GetLbConfigRequest lg;
  lg.set_name("web");
  c = ctx();
  EXPECT_TRUE(agent->GetLbConfig(c.get(), lg, &cfg).ok());
  c = ctx();
  EXPECT_EQ(agent->CreatePool(c.get(), pool_request("other"), &w).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_EQ(agent->GetPoolStatus(c.get(), g, &st).error_code(), grpc::PERMISSION_DENIED);
  c = ctx();
  EXPECT_EQ(agent->ListSecrets(c.get(), {}, &ls).error_code(), grpc::PERMISSION_DENIED);
}

// GetLbConfig shows what an instance runs (the haproxy.cfg its agent published) and how the
// others compare, or the apiserver's rendering (asked for, or before any instance published):
// that one uses an instance's ports and directory from its registration. GetPoolEndpoints says
// where each instance listens.
TEST_F(ApiTest, LbConfigAndPoolEndpointsFollowTheInstances) {
  start(true);
  auto viewer = stub(&pki_->viewer), op = stub(&pki_->op);
  pb::PoolWriteReply w;
  pb::PoolWriteRequest req;
  req.set_config(R"({"apiVersion":"V2","name":"web","haproxy":{"stats":{"bindPort":0},"frontends":[
    {"name":"www","bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"app"}}],
    "backends":[{"name":"app","protocol":"HTTP","services":[{"marathon":{"serviceID":"/app"},"endpoint":{"port":80}}]}]}})");
  auto c = ctx();
  ASSERT_TRUE(op->CreatePool(c.get(), req, &w).ok());
  pb::GetPoolRequest g;
  g.set_name("web");
  pb::GetLbConfigRequest lg;
  lg.set_name("web");
  pb::LbConfig cfg;
  c = ctx();
  ASSERT_TRUE(viewer->GetLbConfig(c.get(), lg, &cfg).ok());
  EXPECT_EQ(cfg.source(), "rendered");
  EXPECT_NE(cfg.note().find("no instance has published"), std::string::npos) << cfg.note();
  EXPECT_EQ(cfg.version(), 1);
  EXPECT_EQ(cfg.instance(), "");
  EXPECT_NE(cfg.config().find("bind 0.0.0.0:10000\n"), std::string::npos) << cfg.config();  // a preview port
  EXPECT_NE(cfg.config().find("backend app\n"), std::string::npos);
  EXPECT_EQ(cfg.config().find("0.0.0.0:0"), std::string::npos) << "no placeholder servers";
  EXPECT_EQ(cfg.config_hash().size(), 64u);
  const std::string dir = store_->pool_path("web") + "/instances/";
  ASSERT_EQ(zk_->create_ephemeral(dir + "instance-0", R"({"host":"node-1","address":"198.18.0.1","appliedVersion":1,
    "allocatedPorts":{"haproxy.stats":10007},"instanceDir":"/srv/lb/pools/web"})"),
            ZOK);
  c = ctx();
  ASSERT_TRUE(viewer->GetLbConfig(c.get(), lg, &cfg).ok());
  EXPECT_EQ(cfg.source(), "rendered");
  EXPECT_EQ(cfg.instance(), "instance-0");
  EXPECT_NE(cfg.config().find("bind 0.0.0.0:10007\n"), std::string::npos) << cfg.config();
  EXPECT_NE(cfg.config().find("stats socket /srv/lb/pools/web/run/stats.sock"), std::string::npos);
  // The instances publish what they run (as edgelb-agent does); instance-1 runs another text.
  const std::string running = store_->pool_path("web") + "/running/";
  ASSERT_EQ(zk_->create_ephemeral(running + "instance-0",
                                  R"({"configHash":"aaaa","bytes":22,"config":"# instance-0's config\n"})"),
            ZOK);
  ASSERT_EQ(zk_->create_ephemeral(running + "instance-1", R"({"configHash":"bbbb","bytes":2000000})"), ZOK);
  c = ctx();
  ASSERT_TRUE(viewer->GetLbConfig(c.get(), lg, &cfg).ok());
  EXPECT_EQ(cfg.source(), "running");
  EXPECT_EQ(cfg.instance(), "instance-0");
  EXPECT_EQ(cfg.version(), 1);  // its appliedVersion
  EXPECT_EQ(cfg.config(), "# instance-0's config\n");
  EXPECT_EQ(cfg.config_hash(), "aaaa");
  ASSERT_EQ(cfg.running_size(), 2);
  EXPECT_EQ(cfg.running(1).instance(), "instance-1");
  EXPECT_EQ(cfg.running(1).config_hash(), "bbbb");
  lg.set_instance("instance-1");  // too large for ZooKeeper: its hash, and where to read it
  c = ctx();
  ASSERT_TRUE(viewer->GetLbConfig(c.get(), lg, &cfg).ok());
  EXPECT_EQ(cfg.config(), "");
  EXPECT_NE(cfg.note().find("too large"), std::string::npos) << cfg.note();
  lg.set_instance("instance-7");
  c = ctx();
  EXPECT_EQ(viewer->GetLbConfig(c.get(), lg, &cfg).error_code(), grpc::NOT_FOUND);
  lg.set_instance("");
  lg.set_rendered(true);
  c = ctx();
  ASSERT_TRUE(viewer->GetLbConfig(c.get(), lg, &cfg).ok());
  EXPECT_EQ(cfg.source(), "rendered");
  EXPECT_EQ(cfg.note(), "");
  EXPECT_NE(cfg.config().find("bind 0.0.0.0:10007\n"), std::string::npos);
  zk_->forget_ephemeral(running + "instance-0");
  zk_->forget_ephemeral(running + "instance-1");
  pb::PoolEndpoints eps;
  c = ctx();
  ASSERT_TRUE(viewer->GetPoolEndpoints(c.get(), g, &eps).ok());
  ASSERT_EQ(eps.endpoints_size(), 2);
  EXPECT_EQ(eps.endpoints(0).name(), "www");
  EXPECT_EQ(eps.endpoints(0).port(), 80u);
  EXPECT_EQ(eps.endpoints(0).address(), "198.18.0.1");
  EXPECT_EQ(eps.endpoints(1).name(), "stats");
  EXPECT_EQ(eps.endpoints(1).port(), 10007u);
  EXPECT_EQ(eps.endpoints(1).instance(), "instance-0");
  zk_->forget_ephemeral(dir + "instance-0");
}

// Raw protobuf bytes over a generic stub: this test needs no generated health/reflection code.
std::string bytes_of(const grpc::ByteBuffer& b) {
  std::vector<grpc::Slice> slices;
  (void)b.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

TEST_F(ApiTest, HealthAndReflectionAreServed) {
  start(true);
  grpc::GenericStub generic(channel(&pki_->viewer));
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  {
    // grpc.health.v1.Health/Check(service ""): HealthCheckResponse{status: SERVING(1)} = 08 01.
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::ByteBuffer req, resp;
    grpc::Slice empty;
    req = grpc::ByteBuffer(&empty, 1);
    auto call = generic.PrepareUnaryCall(&c, "/grpc.health.v1.Health/Check", req, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&resp, &status, reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(bytes_of(resp), std::string("\x08\x01", 2));
  }
  {
    // grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo{list_services: ""} (field 7).
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 10s);
    auto stream = generic.PrepareCall(&c, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    stream->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::Slice msg(std::string("\x3a\x00", 2));
    grpc::ByteBuffer req(&msg, 1);
    stream->Write(req, reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    stream->WritesDone(reinterpret_cast<void*>(3));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    grpc::ByteBuffer resp;
    stream->Read(&resp, reinterpret_cast<void*>(4));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    EXPECT_NE(bytes_of(resp).find("edgelb.v1.EdgeLB"), std::string::npos);
    EXPECT_NE(bytes_of(resp).find("grpc.health.v1.Health"), std::string::npos);
    grpc::Status status;
    stream->Finish(&status, reinterpret_cast<void*>(5));
    ASSERT_TRUE(cq.Next(&tag, &ok));
  }
  server_->set_serving(false);
  {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Slice empty;
    grpc::ByteBuffer req(&empty, 1), resp;
    auto call = generic.PrepareUnaryCall(&c, "/grpc.health.v1.Health/Check", req, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&resp, &status, reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(bytes_of(resp), std::string("\x08\x02", 2));  // NOT_SERVING
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Reflection v1 (and v1alpha) describe every service, grpc.health.v1.Health included: a
// reflection client can call Health without compiled-in protos.
TEST_F(ApiTest, ReflectionV1DescribesEveryServiceIncludingHealth) {
  start(true);
  namespace rv1 = grpc::reflection::v1;
  auto reflection = rv1::ServerReflection::NewStub(channel(&pki_->viewer));
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + 10s);
  auto stream = reflection->ServerReflectionInfo(&c);
  auto ask = [&](const rv1::ServerReflectionRequest& q) {
    rv1::ServerReflectionResponse r;
    EXPECT_TRUE(stream->Write(q));
    EXPECT_TRUE(stream->Read(&r));
    return r;
  };
  rv1::ServerReflectionRequest q;
  q.set_list_services("");
  std::set<std::string> names;
  const rv1::ServerReflectionResponse listed = ask(q);
  for (const auto& s : listed.list_services_response().service()) names.insert(s.name());
  for (const char* want : {"edgelb.v1.EdgeLB", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                           "grpc.reflection.v1alpha.ServerReflection"})
    EXPECT_TRUE(names.count(want)) << want;
  q.set_file_containing_symbol("grpc.health.v1.Health");
  auto r = ask(q);
  ASSERT_EQ(r.message_response_case(), rv1::ServerReflectionResponse::kFileDescriptorResponse)
      << r.error_response().error_message();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(r.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "grpc.health.v1");
  ASSERT_EQ(file.service_size(), 1);
  EXPECT_EQ(file.service(0).name(), "Health");
  EXPECT_EQ(file.service(0).method_size(), 2);  // Check, Watch
  q.set_file_containing_symbol("edgelb.v1.EdgeLB.CreatePool");
  r = ask(q);
  ASSERT_EQ(r.message_response_case(), rv1::ServerReflectionResponse::kFileDescriptorResponse);
  ASSERT_TRUE(file.ParseFromString(r.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "edgelb.v1");
  q.set_file_containing_symbol("edgelb.v1.NoSuchThing");
  r = ask(q);
  EXPECT_EQ(r.error_response().error_code(), grpc::NOT_FOUND);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // v1alpha (gRPC's own plugin) finds the Health descriptor too; it used to say "Symbol not found".
  grpc::GenericStub generic(channel(&pki_->viewer));
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  grpc::ClientContext ac;
  ac.set_deadline(std::chrono::system_clock::now() + 10s);
  auto raw = generic.PrepareCall(&ac, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  raw->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  const std::string symbol = "grpc.health.v1.Health";
  grpc::Slice msg(std::string("\x22") + static_cast<char>(symbol.size()) + symbol);  // field 4
  grpc::ByteBuffer req(&msg, 1);
  raw->Write(req, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  raw->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer resp;
  raw->Read(&resp, reinterpret_cast<void*>(4));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  EXPECT_NE(bytes_of(resp).find("grpc/health/v1/health.proto"), std::string::npos);
  EXPECT_EQ(bytes_of(resp).find("not found"), std::string::npos);
  grpc::Status status;
  raw->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Load balancers and orchestrators probe without a client certificate: the plaintext probe
// port answers grpc.health.v1 and nothing else.
TEST_F(ApiTest, HealthProbePortNeedsNoClientCertificate) {
  start(true, /*health_probe=*/true);
  ASSERT_NE(server_->health_port(), 0);
  auto probe =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->health_port()), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(probe);
  auto check = [&](const std::string& service) {
    grpc::health::v1::HealthCheckRequest q;
    q.set_service(service);
    grpc::health::v1::HealthCheckResponse r;
    auto c = ctx();
    EXPECT_TRUE(health->Check(c.get(), q, &r).ok());
    return r.status();
  };
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(check("edgelb.v1.EdgeLB"), grpc::health::v1::HealthCheckResponse::SERVING);
  server_->set_serving(false);
  EXPECT_EQ(check(""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  // Nothing else is served there.
  auto api = pb::EdgeLB::NewStub(probe);
  pb::ListPoolsReply l;
  auto c = ctx();
  EXPECT_EQ(api->ListPools(c.get(), {}, &l).error_code(), grpc::UNIMPLEMENTED);
  // The TLS port still needs a client certificate.
  auto anonymous = stub(nullptr);
  c = ctx();
  EXPECT_FALSE(anonymous->ListPools(c.get(), {}, &l).ok());
}

// Field violations also travel as google.rpc.Status details in grpc-status-details-bin, the
// trailer generic clients and gateways read, next to edgelb's own trailer.
TEST_F(ApiTest, FieldViolationsTravelAsGoogleRpcStatusDetails) {
  start(true);
  auto op = stub(&pki_->op);
  pb::PoolWriteRequest bad;
  bad.set_config(R"({"apiVersion":"V1","name":"Bad_Name","haproxy":{}})");
  pb::PoolWriteReply w;
  auto c = ctx();
  grpc::Status s = op->CreatePool(c.get(), bad, &w);
  ASSERT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  google::rpc::Status standard;
  ASSERT_TRUE(standard.ParseFromString(s.error_details()));
  EXPECT_EQ(standard.code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(standard.message(), s.error_message());
  ASSERT_GE(standard.details_size(), 1);
  EXPECT_EQ(standard.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest violations;
  ASSERT_TRUE(standard.details(0).UnpackTo(&violations));
  ASSERT_GE(violations.field_violations_size(), 2);
  // Only the standard trailer: no copy of the violations anywhere else.
  EXPECT_EQ(c->GetServerTrailingMetadata().count("edgelb-error-details-bin"), 0u);
  // The client helpers read them back, with edgelb's detail (the current version).
  const rpc::CallError e = rpc::read_error(s);
  ASSERT_EQ(e.violations.size(), static_cast<size_t>(violations.field_violations_size()));
  for (int i = 0; i < violations.field_violations_size(); ++i) {
    EXPECT_EQ(e.violations[i].path, violations.field_violations(i).field());
    EXPECT_EQ(e.violations[i].reason, violations.field_violations(i).description());
  }
  ASSERT_TRUE(op->CreatePool((c = ctx()).get(), pool_request("web"), &w).ok());
  pb::PoolWriteRequest stale = pool_request("web", 2);
  stale.set_expected_version(7);
  s = op->UpdatePool((c = ctx()).get(), stale, &w);
  ASSERT_EQ(s.error_code(), grpc::ABORTED);
  pb::ErrorDetails d;
  ASSERT_TRUE(rpc::read_error_detail(s, &d));
  EXPECT_EQ(d.current_version(), 1);
  EXPECT_EQ(rpc::exit_code(s.error_code()), 4);
}

}  // namespace
}  // namespace edgelb::cp
