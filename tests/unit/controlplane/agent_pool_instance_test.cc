// A pool instance against a real HAProxy on loopback: a burst of pool versions coalesces into
// one reload; a template HAProxy refuses leaves the old worker serving (and membership changes
// still reach it) with the error in the registration; a removed server drains, then is deleted
// once its connections are done; a version whose selectors changed waits for endpoints
// selected for it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "agent/pool_instance.h"
#include "eventually.h"
#include "haproxy/config_renderer.h"
#include "http_backend.h"

namespace edgelb::cp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = PoolInstance::Clock;

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("edgelb-instance-" + std::to_string(getpid()));
  uint16_t port = test::free_loopback_port(), stats = test::free_loopback_port();
  std::unique_ptr<PoolInstance> instance;

  explicit Fixture(std::chrono::milliseconds reload_interval = 400ms) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    InstanceOptions o;
    o.min_reload_interval = reload_interval;
    o.drain_timeout = 300ms;
    o.hard_stop_after = "2s";
    instance = std::make_unique<PoolInstance>(dir.string(), o, nullptr);
  }
  ~Fixture() {
    instance.reset();  // stops HAProxy
    fs::remove_all(dir);
  }
  nlohmann::json config(const std::string& service_id, const std::string& timeout = "30s") const {
    return nlohmann::json::parse(R"({"apiVersion":"V2","name":"web","haproxy":{
      "stats":{"bindAddress":"127.0.0.1","bindPort":)" +
                                 std::to_string(stats) + R"(},
      "frontends":[{"bindAddress":"127.0.0.1","bindPort":)" +
                                 std::to_string(port) + R"(,"protocol":"HTTP",
                    "linkBackend":{"defaultBackend":"app"}}],
      "backends":[{"name":"app","protocol":"HTTP","miscStrs":["timeout server )" +
                                 timeout + R"("],
                   "services":[{"marathon":{"serviceID":")" +
                                 service_id + R"("},
                                "endpoint":{"port":80,"check":{"enabled":false}}}]}]}})");
  }
  PoolInputs inputs(int64_t version, const nlohmann::json& cfg, const std::string& tmpl = "") const {
    PoolInputs in = PoolInputs::of("web", version, cfg);
    in.template_text = tmpl;
    return in;
  }
  static haproxy::EndpointsByService eps(const std::vector<const test::HttpBackend*>& backends) {
    haproxy::EndpointsByService e;
    auto& v = e[haproxy::service_path(0, 0)];
    for (auto* b : backends) v.push_back({"127.0.0.1", b->port(), false, "t" + std::to_string(b->port()), true});
    return e;
  }
  // apply() until nothing is scheduled (or `limit`), sleeping until each wake-up.
  void settle(std::chrono::milliseconds limit = 5s) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      auto wake = instance->apply(Clock::now());
      if (!wake) return;
      std::this_thread::sleep_until(std::min(*wake, end));
    }
  }
  uint64_t reloads() const { return instance->haproxy_status()->reloads; }
};

TEST(PoolInstance, ABurstOfVersionsIsOneReload) {
  Fixture f(2000ms);  // long enough that the burst below surely falls inside it
  test::HttpBackend a("a");
  const auto v1 = f.config("/app");
  f.instance->set_endpoints(Fixture::eps({&a}), 1, PoolModel::from_json(v1));
  f.instance->set_inputs(f.inputs(1, v1), {});
  EXPECT_FALSE(f.instance->apply(Clock::now()));  // starts HAProxy
  EXPECT_EQ(test::http_get(f.port).body, "a\n");
  std::optional<Clock::time_point> wake;
  for (int v = 2; v <= 6; ++v) {
    f.instance->set_inputs(f.inputs(v, f.config("/app", std::to_string(30 + v) + "s")), {});
    wake = f.instance->apply(Clock::now());
    EXPECT_TRUE(wake) << "version " << v << " reloaded within the interval";
  }
  EXPECT_EQ(f.reloads(), 0u);
  f.settle();
  EXPECT_EQ(f.reloads(), 1u);
  EXPECT_EQ(f.instance->applied_version(), 6);
  EXPECT_EQ(f.instance->registration()["state"], "running");
  EXPECT_EQ(test::http_get(f.port).body, "a\n");
}

TEST(PoolInstance, ARefusedTemplateKeepsTheOldWorkerAndItsMembership) {
  Fixture f;
  test::HttpBackend a("a"), b("b");
  const auto cfg = f.config("/app");
  f.instance->set_endpoints(Fixture::eps({&a}), 1, PoolModel::from_json(cfg));
  f.instance->set_inputs(f.inputs(1, cfg), {});
  f.settle();
  std::this_thread::sleep_for(450ms);
  f.instance->set_inputs(f.inputs(2, cfg, haproxy::default_template() + "bogus_directive 1\n"), {});
  f.settle();
  auto reg = f.instance->registration();
  EXPECT_EQ(reg["state"], "reload_failed");
  EXPECT_NE(reg["error"].get<std::string>().find("bogus_directive"), std::string::npos) << reg.dump();
  EXPECT_EQ(reg["appliedVersion"], 1);
  EXPECT_EQ(reg["healthy"], true);
  EXPECT_EQ(test::http_get(f.port).body, "a\n");
  // Membership still reaches the old worker, without a reload, and the failure is not retried.
  f.instance->set_endpoints(Fixture::eps({&a, &b}), 2, PoolModel::from_json(cfg));
  f.settle();
  std::multiset<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(test::http_get(f.port).body);
  EXPECT_EQ(seen.count("b\n"), 2u);
  EXPECT_EQ(f.reloads(), 0u);
  EXPECT_EQ(f.instance->haproxy_status()->reload_failures, 1u);
  // a leaves: its server (named by its task) drains, then (after drain_timeout) is deleted.
  f.instance->set_endpoints(Fixture::eps({&b}), 3, PoolModel::from_json(cfg));
  f.instance->apply(Clock::now());
  EXPECT_EQ(test::http_get(f.port).body, "b\n");
  haproxy::RuntimeApi api(f.dir.string() + "/run/stats.sock");
  const std::string a_name = "t" + std::to_string(a.port());
  auto state_of = [&](const std::string& name) -> std::optional<haproxy::ServerState> {
    for (const auto& s : api.servers_state("app"))
      if (s.server == name) return s;
    return std::nullopt;
  };
  ASSERT_TRUE(state_of(a_name));
  EXPECT_TRUE(state_of(a_name)->draining());
  f.settle();
  EXPECT_FALSE(state_of(a_name)) << "a's server is still there after its drain";
  EXPECT_TRUE(state_of("t" + std::to_string(b.port())));
  // Back to a good template: the next version applies.
  f.instance->set_inputs(f.inputs(3, cfg), {});
  f.settle();
  EXPECT_EQ(f.instance->registration()["state"], "running");
  EXPECT_EQ(f.instance->applied_version(), 3);
}

TEST(PoolInstance, NewSelectorsWaitForTheirEndpoints) {
  Fixture f;
  test::HttpBackend a("a"), other("other");
  const auto v1 = f.config("/app"), v2 = f.config("/other");
  f.instance->set_endpoints(Fixture::eps({&a}), 1, PoolModel::from_json(v1));
  f.instance->set_inputs(f.inputs(1, v1), {});
  f.settle();
  std::this_thread::sleep_for(450ms);
  f.instance->set_inputs(f.inputs(2, v2), {});
  f.instance->apply(Clock::now());
  EXPECT_EQ(f.instance->applied_version(), 1);
  EXPECT_NE(f.instance->registration()["error"].get<std::string>().find("waits for the mesos-listener"),
            std::string::npos);
  EXPECT_EQ(test::http_get(f.port).body, "a\n");  // /app's server is not rendered under /other
  f.instance->set_endpoints(Fixture::eps({&other}), 2, PoolModel::from_json(v2));
  f.settle();
  EXPECT_EQ(f.instance->applied_version(), 2);
  EXPECT_EQ(test::http_get(f.port).body, "other\n");
}

TEST(PoolInstance, ADrainedServerIsDeletedOnlyOnceItsConnectionsAreDone) {
  Fixture f;
  // a answers after 1.5 s: its request is still in flight when a leaves Mesos.
  test::ScriptedBackend a([](const std::string& head, size_t) {
    auto answer = test::echo_request_line(head);
    answer.delay = 1500ms;
    return answer;
  });
  test::HttpBackend b("b");
  const auto cfg = f.config("/app");
  haproxy::EndpointsByService eps;
  eps[haproxy::service_path(0, 0)] = {{"127.0.0.1", a.port(), false, "app.a", true}};
  f.instance->set_endpoints(eps, 1, PoolModel::from_json(cfg));
  f.instance->set_inputs(f.inputs(1, cfg), {});
  f.settle();
  test::HttpReply slow;
  std::thread client([&] { slow = test::http_request(f.port, "GET", "/slow", "test", "", 5s); });
  ASSERT_TRUE(test::eventually([&] { return a.requests().size() == 1; }));
  eps[haproxy::service_path(0, 0)] = {{"127.0.0.1", b.port(), false, "app.b", true}};
  f.instance->set_endpoints(eps, 2, PoolModel::from_json(cfg));
  // Past drain_timeout (300 ms) a is in maintenance, not deleted: its connection is open.
  const auto until = Clock::now() + 800ms;
  while (Clock::now() < until) {
    f.instance->apply(Clock::now());
    std::this_thread::sleep_for(20ms);
  }
  haproxy::RuntimeApi api(f.dir.string() + "/run/stats.sock");
  auto state_of = [&](const std::string& name) -> std::optional<haproxy::ServerState> {
    for (const auto& s : api.servers_state("app"))
      if (s.server == name) return s;
    return std::nullopt;
  };
  ASSERT_TRUE(state_of("app.a")) << "deleted with a connection open";
  EXPECT_TRUE(state_of("app.a")->in_maintenance());
  EXPECT_EQ(test::http_get(f.port).body, "b\n");
  client.join();
  EXPECT_EQ(slow.status, 200) << "the drain cut the request in flight";
  f.settle();
  EXPECT_FALSE(state_of("app.a"));
  EXPECT_EQ(f.reloads(), 0u);
}

TEST(PoolInstance, ABackendWhoseServersHaproxyWillNotAddAtRuntimeFallsBackToSlots) {
  Fixture f;
  test::HttpBackend a("a"), b("b"), c("c");
  // resolve-prefer is a valid server option that `add server` refuses.
  auto cfg = f.config("/app");
  cfg["haproxy"]["backends"][0]["services"][0]["endpoint"]["miscStr"] = "resolve-prefer ipv4";
  f.instance->set_endpoints(Fixture::eps({&a}), 1, PoolModel::from_json(cfg));
  f.instance->set_inputs(f.inputs(1, cfg), {});
  f.settle();
  EXPECT_EQ(test::http_get(f.port).body, "a\n");
  // b arrives: HAProxy refuses the dynamic server; the backend switches to slots, once.
  f.instance->set_endpoints(Fixture::eps({&a, &b}), 2, PoolModel::from_json(cfg));
  f.settle();
  EXPECT_EQ(f.reloads(), 1u);
  std::multiset<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(test::http_get(f.port).body);
  EXPECT_EQ(seen.count("b\n"), 2u);
  haproxy::RuntimeApi api(f.dir.string() + "/run/stats.sock");
  EXPECT_EQ(api.servers_state("app").size(), 8u);  // max(8, 2 x 2) slots
  // From then on membership is reload-free again, in slots.
  f.instance->set_endpoints(Fixture::eps({&a, &b, &c}), 3, PoolModel::from_json(cfg));
  f.settle();
  EXPECT_EQ(f.reloads(), 1u);
  seen.clear();
  for (int i = 0; i < 6; ++i) seen.insert(test::http_get(f.port).body);
  EXPECT_EQ(seen.count("c\n"), 2u);
  EXPECT_EQ(f.instance->registration()["state"], "running");
}

}  // namespace
}  // namespace edgelb::cp
