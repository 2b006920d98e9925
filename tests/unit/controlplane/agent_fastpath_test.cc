// The agent's fast path: the plan it derives from pools (VIPs, weights, drain/down, L7
// frontends, ownership conflicts, bad input keeping what served), the sync against the real
// dataplane control service over a unix socket (ApplyState once, then the smallest edits,
// adoption without a publish, another writer, a refused service, a restarted dataplane), and
// the active health checks against loopback servers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "agent/agent_config.h"
#include "agent/dataplane_sync.h"
#include "agent/fastpath_plan.h"
#include "agent/health_checker.h"
#include "control/control_client.h"
#include "control/control_service.h"
#include "eventually.h"
#include "http_backend.h"

namespace edgelb::cp {
namespace {

using namespace std::chrono_literals;
namespace pb = edgelb::dataplane::v1;

PoolModel pool(const std::string& name, const std::string& vip, const std::string& forwarding = "DSR",
               const std::string& misc = "") {
  nlohmann::json p = nlohmann::json::parse(R"({
    "apiVersion": "V2",
    "haproxy": {
      "frontends": [{"bindPort": 80, "protocol": "HTTP", "linkBackend": {"defaultBackend": "web"}}],
      "backends": [{"name": "web", "protocol": "HTTP",
                    "services": [{"marathon": {"serviceID": "/web"}, "endpoint": {"portName": "web"}}]}]
    },
    "fastPath": {"vips": [{"name": "v", "port": 80, "backend": "web",
                           "healthCheck": {"type": "TCP", "intervalSeconds": 2, "timeoutSeconds": 1}}]}
  })");
  p["name"] = name;
  p["fastPath"]["vips"][0]["address"] = vip;
  p["fastPath"]["vips"][0]["forwarding"] = forwarding;
  if (!misc.empty()) p["haproxy"]["backends"][0]["services"][0]["endpoint"]["miscStr"] = misc;
  return PoolModel::from_json(p);
}

haproxy::ServerEndpoint ep(const std::string& a, uint32_t port, bool ready = true) {
  return {a, port, a.find(':') != std::string::npos, "web." + a, ready};
}

TEST(FastPathPlan, VipsTakeWeightsDrainAndHealthAndFrontendsBecomeL7) {
  PoolModel m = pool("p", "198.18.0.100", "DSR", "weight 20 maxconn 5");
  haproxy::EndpointsByService eps{
      {"fastPath.vips[0].services[0]", {ep("198.18.0.12", 80), ep("198.18.0.11", 80), ep("198.18.0.13", 80, false)}}};
  std::map<std::string, uint32_t> ports;
  FastPathPlanner planner("198.18.0.2");
  HealthVerdicts health{{"p/v|198.18.0.12:80", false}};
  FastPathPlan plan = planner.plan({{"p", &m, &eps, &ports}}, health);
  ASSERT_EQ(plan.services.size(), 2u) << testing::PrintToString(plan.errors);
  EXPECT_TRUE(plan.errors.empty());
  const ServiceSpec& l7 = plan.services[0].spec;  // sorted by name: "p/frontend_0.0.0.0_80" < "p/v"
  EXPECT_EQ(l7.name, "p/frontend_0.0.0.0_80");
  EXPECT_EQ(l7.mode, ForwardingMode::kL7);
  EXPECT_EQ(l7.vip.to_string(), "198.18.0.2");  // bindAddress 0.0.0.0: the node's address
  EXPECT_EQ(l7.port, 80);
  EXPECT_TRUE(l7.backends.empty());
  const ServiceSpec& v = plan.services[1].spec;
  EXPECT_EQ(v.name, "p/v");
  EXPECT_EQ(v.mode, ForwardingMode::kDsr);
  ASSERT_EQ(v.backends.size(), 3u);
  EXPECT_EQ(v.backends[0].identity, "198.18.0.11:80");  // sorted by identity
  EXPECT_EQ(v.backends[0].state, BackendState::kUp);
  EXPECT_EQ(v.backends[0].weight, 20u);
  EXPECT_EQ(v.backends[0].port, 0);                      // DSR: the VIP port
  EXPECT_EQ(v.backends[1].state, BackendState::kDown);   // failing its health check
  EXPECT_EQ(v.backends[2].state, BackendState::kDrain);  // Mesos: not ready
  ASSERT_EQ(plan.checks.size(), 3u);
  EXPECT_EQ(plan.checks[0].address, "198.18.0.11");  // sorted by key
  EXPECT_EQ(plan.checks[0].port, 80u);
}

TEST(FastPathPlan, TheLaterPoolIsRefusedAndBothSayWhy) {
  PoolModel a = pool("a", "198.18.0.100"), b = pool("b", "198.18.0.100");
  haproxy::EndpointsByService eps{{"fastPath.vips[0].services[0]", {ep("198.18.0.11", 80)}}};
  std::map<std::string, uint32_t> ports;
  FastPathPlanner planner("198.18.0.2");
  FastPathPlan plan = planner.plan({{"b", &b, &eps, &ports}}, {});
  EXPECT_EQ(plan.services.size(), 2u);
  plan = planner.plan({{"a", &a, &eps, &ports}, {"b", &b, &eps, &ports}}, {});
  ASSERT_EQ(plan.services.size(), 2u);  // b's VIP and b's frontend: b was there first
  for (const auto& s : plan.services) EXPECT_EQ(s.pool, "b");
  ASSERT_EQ(plan.errors["a"].size(), 2u);
  EXPECT_NE(plan.errors["a"][0].find("already served by pool b"), std::string::npos) << plan.errors["a"][0];
  ASSERT_EQ(plan.errors["b"].size(), 2u);
  EXPECT_NE(plan.errors["b"][0].find("also claimed by pool a"), std::string::npos) << plan.errors["b"][0];
  plan = planner.plan({{"a", &a, &eps, &ports}}, {});  // b gone: a takes it
  EXPECT_EQ(plan.services.size(), 2u);
  EXPECT_TRUE(plan.errors.empty());
}

TEST(FastPathPlan, BadInputIsRefusedAndKeepsWhatServed) {
  PoolModel m = pool("p", "198.18.0.100");
  haproxy::EndpointsByService good{{"fastPath.vips[0].services[0]", {ep("198.18.0.11", 80)}}};
  haproxy::EndpointsByService v6{{"fastPath.vips[0].services[0]", {ep("198.18.0.11", 80), ep("2001:db8::11", 80)}}};
  haproxy::EndpointsByService port{{"fastPath.vips[0].services[0]", {ep("198.18.0.11", 8080)}}};
  std::map<std::string, uint32_t> ports;
  FastPathPlanner planner("198.18.0.2");
  FastPathPlan before = planner.plan({{"p", &m, &good, &ports}}, {});
  FastPathPlan plan = planner.plan({{"p", &m, &v6, &ports}}, {});
  ASSERT_EQ(plan.errors["p"].size(), 1u);
  EXPECT_NE(plan.errors["p"][0].find("is IPv6 but the VIP is IPv4"), std::string::npos) << plan.errors["p"][0];
  EXPECT_EQ(plan.services, before.services);
  plan = planner.plan({{"p", &m, &port, &ports}}, {});
  ASSERT_EQ(plan.errors["p"].size(), 1u);
  EXPECT_NE(plan.errors["p"][0].find("must serve the VIP port 80"), std::string::npos) << plan.errors["p"][0];
  EXPECT_EQ(plan.services, before.services);
  // A NAT VIP may change the port.
  PoolModel nat = pool("p", "198.18.0.100", "NAT");
  plan = planner.plan({{"p", &nat, &port, &ports}}, {});
  EXPECT_TRUE(plan.errors.empty());
  EXPECT_EQ(plan.services[1].spec.backends[0].port, 8080);
}

// The real control service in-process (what edgelb-dataplane runs), on a unix socket.
class DataplaneSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = "/tmp/edgelb-agent-sync-" + std::to_string(getpid()) + ".sock";
    start_dataplane();
  }
  void TearDown() override { stop_dataplane(); }

  void start_dataplane(bool tunnels = false) {
    ForwardingGlobals g;
    if (tunnels) g.encap_source_v4 = IpPrefix::parse("198.18.254.0/24");
    publisher_ = std::make_unique<SnapshotPublisher>();
    tables_ = std::make_unique<TableManager>(g, *publisher_);
    ControlHooks hooks;
    hooks.workers = 1;
    hooks.serving = [] { return true; };
    hooks.publishes = [this] { return publisher_->publishes(); };
    hooks.stats = [] { return StatsReport{}; };
    hooks.list_flows = [](const FlowQuery&, FlowListing*) { return true; };
    server_ = std::make_unique<ControlServer>(path_, *tables_, std::move(hooks));
  }
  void stop_dataplane() {
    server_.reset();
    tables_.reset();
    publisher_.reset();
  }
  TableSpec live() {
    return tables_->read([](const TableSpec& t, const ServiceSnapshot*) { return t; });
  }
  ServiceSpec live_service(const std::string& name) {
    for (const auto& s : live().services)
      if (s.name == name) return s;
    ADD_FAILURE() << "no live service " << name;
    return {};
  }

  static ServiceSpec web(std::vector<std::string> backends, const std::string& name = "p/v",
                         ForwardingMode mode = ForwardingMode::kDsr) {
    ServiceSpec s;
    s.name = name;
    s.vip = *IpAddress::parse("198.18.0.100");
    s.port = 80;
    s.protocol = 6;
    s.mode = mode;
    for (const auto& a : backends) {
      BackendSpec b;
      b.address = *IpAddress::parse(a);
      b.identity = a + ":80";
      b.mac = MacAddress::parse("02:00:00:00:00:01");
      s.backends.push_back(b);
    }
    return s;
  }
  static ServiceSpec l7() {
    ServiceSpec s;
    s.name = "p/frontend";
    s.vip = *IpAddress::parse("198.18.0.2");
    s.port = 80;
    s.protocol = 6;
    s.mode = ForwardingMode::kL7;
    return s;
  }

  std::string path_;
  std::unique_ptr<SnapshotPublisher> publisher_;
  std::unique_ptr<TableManager> tables_;
  std::unique_ptr<ControlServer> server_;
  std::atomic<int> notified_{0};
};

TEST_F(DataplaneSyncTest, AppliesOnceThenEditsAndAdoptsWithoutAPublish) {
  auto sync = std::make_unique<DataplaneSync>(path_, [this] { notified_++; });
  uint64_t gen = sync->set_desired({web({"198.18.0.11", "198.18.0.12"}), l7()});
  ASSERT_TRUE(test::eventually([&] { return sync->status().in_sync && sync->status().generation == gen; }));
  EXPECT_EQ(live().services.size(), 2u);
  EXPECT_EQ(publisher_->publishes(), 1u);
  const uint64_t v1 = sync->status().table_version;
  EXPECT_EQ(live().version, v1);
  EXPECT_GT(notified_.load(), 0);

  // A weight/state change is one SetBackend: one publish, version + 1.
  ServiceSpec drained = web({"198.18.0.11", "198.18.0.12"});
  drained.backends[1].state = BackendState::kDrain;
  gen = sync->set_desired({drained, l7()});
  ASSERT_TRUE(test::eventually([&] { return sync->status().generation == gen; }));
  EXPECT_EQ(live().version, v1 + 1);
  EXPECT_EQ(publisher_->publishes(), 2u);
  ASSERT_EQ(live_service("p/v").backends.size(), 2u);
  EXPECT_EQ(live_service("p/v").backends[1].state, BackendState::kDrain);

  // A new backend (the whole service) and a service gone, with a backend of a third service
  // drained: one ApplyChanges call, so one publish and version + 1 for all of them.
  ServiceSpec api = web({"198.18.0.21", "198.18.0.22"}, "p/api");
  api.vip = *IpAddress::parse("198.18.0.101");
  gen = sync->set_desired({drained, l7(), api});
  ASSERT_TRUE(test::eventually([&] { return sync->status().generation == gen; }));
  ASSERT_EQ(live().version, v1 + 2);
  ServiceSpec api_drained = api;
  api_drained.backends[0].state = BackendState::kDrain;
  api_drained.backends[1].weight = 5;
  const uint64_t calls = sync->status().calls;
  gen = sync->set_desired({web({"198.18.0.11", "198.18.0.12", "198.18.0.13"}), api_drained});
  ASSERT_TRUE(test::eventually([&] { return sync->status().generation == gen; }));
  EXPECT_EQ(live().version, v1 + 3);
  EXPECT_EQ(publisher_->publishes(), 4u);
  EXPECT_LE(sync->status().calls, calls + 2) << "one call for the changes (and perhaps a version poll)";
  ASSERT_EQ(live().services.size(), 2u);
  EXPECT_EQ(live_service("p/v").backends.size(), 3u);
  EXPECT_EQ(live_service("p/api"), api_drained);

  // A restarted agent with the same plan adopts the live table: nothing is published, also
  // not while it has no plan yet.
  const uint64_t publishes = publisher_->publishes();
  sync = std::make_unique<DataplaneSync>(path_, nullptr);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(publisher_->publishes(), publishes) << "published before it had a plan";
  EXPECT_EQ(live().services.size(), 2u);
  gen = sync->set_desired({web({"198.18.0.11", "198.18.0.12", "198.18.0.13"}), api_drained});
  ASSERT_TRUE(test::eventually([&] { return sync->status().in_sync && sync->status().generation == gen; }));
  EXPECT_EQ(publisher_->publishes(), publishes);
  EXPECT_EQ(sync->status().table_version, live().version);
}

TEST_F(DataplaneSyncTest, AnotherWriterOrARestartedDataplaneIsRepaired) {
  DataplaneSync sync(path_, nullptr);
  const ServiceSpec want = web({"198.18.0.11"});
  sync.set_desired({want});
  ASSERT_TRUE(test::eventually([&] { return sync.status().in_sync; }));
  // An operator writes with edgelb-dpctl: the agent puts its plan back.
  ControlClient other(path_);
  TableSpec t;
  t.version = live().version + 10;
  t.services.push_back(web({"198.18.0.99"}, "operator"));
  ASSERT_TRUE(other.apply_state(t).ok());
  ASSERT_TRUE(test::eventually([&] {
    TableSpec l = live();
    return l.services.size() == 1 && l.services[0] == want && sync.status().in_sync;
  }));
  EXPECT_GT(live().version, t.version);

  // The dataplane restarts with an empty table: the plan is applied again.
  stop_dataplane();
  ASSERT_TRUE(test::eventually([&] { return !sync.status().connected; }));
  start_dataplane();
  ASSERT_TRUE(test::eventually([&] {
    TableSpec l = live();
    return l.services.size() == 1 && l.services[0] == want && sync.status().in_sync;
  }));
  EXPECT_EQ(sync.status().table_version, live().version);
}

TEST_F(DataplaneSyncTest, ARefusedServiceKeepsWhatItServedAndSaysWhy) {
  DataplaneSync sync(path_, nullptr);
  const ServiceSpec dsr = web({"198.18.0.11"});
  uint64_t gen = sync.set_desired({dsr, l7()});
  ASSERT_TRUE(test::eventually([&] { return sync.status().generation == gen; }));
  // GUE without a tunnel source in the dataplane: refused; the DSR service keeps serving.
  ServiceSpec gue = web({"198.18.0.11"}, "p/v", ForwardingMode::kGue);
  ServiceSpec other = web({"198.18.0.21"}, "q/w");
  other.vip = *IpAddress::parse("198.18.0.101");
  gen = sync.set_desired({gue, l7(), other});
  ASSERT_TRUE(test::eventually([&] { return sync.status().generation == gen; }));
  const DataplaneSyncStatus st = sync.status();
  ASSERT_EQ(st.refused.count("p/v"), 1u);
  EXPECT_NE(st.refused.at("p/v").find("encap.ipv4_source_prefix"), std::string::npos) << st.refused.at("p/v");
  TableSpec l = live();
  ASSERT_EQ(l.services.size(), 3u);
  for (const auto& s : l.services)
    if (s.name == "p/v") {
      EXPECT_EQ(s, dsr);
    }
  // After a restart the refusal is found again in the whole state, and the rest is applied.
  stop_dataplane();
  start_dataplane();
  ASSERT_TRUE(test::eventually([&] { return sync.status().in_sync && live().services.size() == 2; }));
  EXPECT_EQ(sync.status().refused.count("p/v"), 1u);
  // The pool is fixed (back to DSR): it is applied and the refusal is gone.
  gen = sync.set_desired({dsr, l7(), other});
  ASSERT_TRUE(test::eventually([&] { return sync.status().generation == gen && live().services.size() == 3; }));
  EXPECT_TRUE(sync.status().refused.empty());
}

// A dataplane of an older version: it forwards every call to the real control service except
// ApplyChanges, which it answers (and counts) as the generated base class does: UNIMPLEMENTED.
class OlderDataplane final : public edgelb::dataplane::v1::DataplaneControl::Service {
 public:
  OlderDataplane(const std::string& path, const std::string& real)
      : stub_(pb::DataplaneControl::NewStub(grpc::CreateChannel("unix:" + real, grpc::InsecureChannelCredentials()))) {
    grpc::ServerBuilder b;
    b.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~OlderDataplane() override { server_->Shutdown(); }
  grpc::Status ApplyState(grpc::ServerContext*, const pb::ApplyStateRequest* r, pb::ChangeReply* o) override {
    return forward(&Stub::ApplyState, r, o);
  }
  grpc::Status UpsertService(grpc::ServerContext*, const pb::UpsertServiceRequest* r, pb::ChangeReply* o) override {
    return forward(&Stub::UpsertService, r, o);
  }
  grpc::Status DeleteService(grpc::ServerContext*, const pb::DeleteServiceRequest* r, pb::ChangeReply* o) override {
    return forward(&Stub::DeleteService, r, o);
  }
  grpc::Status SetBackend(grpc::ServerContext*, const pb::SetBackendRequest* r, pb::ChangeReply* o) override {
    return forward(&Stub::SetBackend, r, o);
  }
  grpc::Status GetServices(grpc::ServerContext*, const pb::GetServicesRequest* r, pb::ServiceState* o) override {
    return forward(&Stub::GetServices, r, o);
  }
  grpc::Status GetVersion(grpc::ServerContext*, const pb::GetVersionRequest* r, pb::VersionReply* o) override {
    return forward(&Stub::GetVersion, r, o);
  }
  grpc::Status ApplyChanges(grpc::ServerContext* ctx, const pb::ApplyChangesRequest* r, pb::ChangeReply* o) override {
    apply_changes_calls++;
    return pb::DataplaneControl::Service::ApplyChanges(ctx, r, o);
  }
  std::atomic<int> apply_changes_calls{0};

 private:
  using Stub = pb::DataplaneControl::Stub;
  template <typename Req, typename Resp>
  grpc::Status forward(grpc::Status (Stub::*call)(grpc::ClientContext*, const Req&, Resp*), const Req* r, Resp* o) {
    grpc::ClientContext c;
    return (stub_.get()->*call)(&c, *r, o);
  }
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(DataplaneSyncTest, AnOlderDataplaneGetsOneCallPerEdit) {
  const std::string older = path_ + ".older";
  OlderDataplane proxy(older, path_);
  DataplaneSync sync(older, nullptr);
  uint64_t gen = sync.set_desired({web({"198.18.0.11", "198.18.0.12"}), l7()});
  ASSERT_TRUE(test::eventually([&] { return sync.status().in_sync && sync.status().generation == gen; }));
  const uint64_t v1 = live().version, publishes = publisher_->publishes();
  // Two backends drained and a service gone: ApplyChanges is refused as unknown, and the three
  // edits go one call each (three versions), in sync all along.
  ServiceSpec drained = web({"198.18.0.11", "198.18.0.12"});
  drained.backends[0].state = drained.backends[1].state = BackendState::kDrain;
  gen = sync.set_desired({drained});
  ASSERT_TRUE(test::eventually([&] { return sync.status().generation == gen; }));
  EXPECT_TRUE(sync.status().in_sync) << sync.status().last_error;
  EXPECT_EQ(live().version, v1 + 3);
  EXPECT_EQ(publisher_->publishes(), publishes + 3);
  ASSERT_EQ(live().services.size(), 1u);
  EXPECT_EQ(live_service("p/v"), drained);
  EXPECT_EQ(proxy.apply_changes_calls.load(), 1);
  // It remembers: the next plan goes straight to one call per edit.
  gen = sync.set_desired({web({"198.18.0.11", "198.18.0.12"})});
  ASSERT_TRUE(test::eventually([&] { return sync.status().generation == gen; }));
  EXPECT_EQ(live().version, v1 + 5);
  EXPECT_EQ(proxy.apply_changes_calls.load(), 1);
}

// A loopback server answering each connection with `status` (HTTP/1.0).
class StatusServer {
 public:
  explicit StatusServer(int status) : status_(status) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) close(c);
          return;
        }
        char buf[512];
        (void)!read(c, buf, sizeof buf);
        const std::string r = "HTTP/1.0 " + std::to_string(status_.load()) + " X\r\n\r\n";
        (void)!write(c, r.data(), r.size());
        close(c);
      }
    });
  }
  ~StatusServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::atomic<int> status_;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

HealthTarget target(const std::string& backend, uint16_t port, VipHealthCheck::Type type, uint32_t threshold = 2) {
  VipHealthCheck c;
  c.type = type;
  c.interval_s = 1;
  c.timeout_s = 1;
  c.healthy_threshold = threshold;
  c.unhealthy_threshold = threshold;
  c.path = "/health";
  return {"p/v", backend, "127.0.0.1", port, c};
}

TEST(HealthChecker, TcpAndHttpChecksWithThresholds) {
  StatusServer ok(200), failing(503);
  const uint16_t closed = test::free_loopback_port();
  std::atomic<int> changes{0};
  HealthChecker hc([&] { changes++; });
  auto tcp_ok = target("a", ok.port(), VipHealthCheck::Type::kTcp);
  auto tcp_closed = target("b", closed, VipHealthCheck::Type::kTcp);
  auto http_ok = target("c", ok.port(), VipHealthCheck::Type::kHttp);
  auto http_503 = target("d", failing.port(), VipHealthCheck::Type::kHttp);
  hc.set_targets({tcp_ok, tcp_closed, http_ok, http_503});
  ASSERT_TRUE(test::eventually([&] { return hc.verdicts().size() == 4; }, 3000ms));  // the first result decides
  HealthVerdicts v = hc.verdicts();
  EXPECT_TRUE(v.at(tcp_ok.key()));
  EXPECT_FALSE(v.at(tcp_closed.key()));
  EXPECT_TRUE(v.at(http_ok.key()));
  EXPECT_FALSE(v.at(http_503.key()));
  // After that, two failures in a row make it fail (one check per second).
  ok.status_ = 500;
  std::this_thread::sleep_for(1200ms);
  EXPECT_TRUE(hc.verdicts().at(http_ok.key())) << "one failure is under the threshold";
  ASSERT_TRUE(test::eventually([&] { return !hc.verdicts().at(http_ok.key()); }, 3000ms));
  failing.status_ = 200;
  ASSERT_TRUE(test::eventually([&] { return hc.verdicts().at(http_503.key()); }, 4000ms));
  // Targets dropped are forgotten.
  hc.set_targets({tcp_ok});
  ASSERT_TRUE(test::eventually([&] { return hc.verdicts().size() == 1; }));
  EXPECT_GE(changes.load(), 6);
}

TEST(AgentConfigDataplane, ReadsTheDataplaneBlock) {
  auto c = AgentConfig::from_yaml(R"(
zookeeper: {connect: "127.0.0.1:2181"}
dataplane: {control_socket: /run/edgelb/control.sock, health_checks: false}
)");
  EXPECT_EQ(c.dataplane_socket, "/run/edgelb/control.sock");
  EXPECT_FALSE(c.health_checks);
  EXPECT_THROW(AgentConfig::from_yaml("zookeeper: {connect: x}\ndataplane: {socket: /x}\n"), std::runtime_error);
}

}  // namespace
}  // namespace edgelb::cp
