// The agent's reconcile loop against fakes of its collaborators (agent_fakes.h), stepped by
// hand: claims won and lost, a pool update that lands during a reload, a template HAProxy
// refuses, endpoints that arrive before and after their pool, the dataplane refusing one
// service, and a restart that serves the cache before ZooKeeper answers. The pool instances
// are real (rendering, slots, the cache); only HAProxy, ZooKeeper, the apiserver and the
// dataplane are fakes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/agent.h"
#include "agent_fakes.h"
#include "haproxy/config_renderer.h"

namespace edgelb::cp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A pool with one backend, its L7 frontend and a fastPath VIP (web: .100, others: .101).
json pool_config(const std::string& name, const std::string& timeout = "30s") {
  const std::string vip = name == "web" ? "198.18.0.100" : "198.18.0.101";
  return json::parse(R"({"apiVersion":"V2","name":")" + name + R"(","haproxy":{"stats":{"bindPort":0},
    "frontends":[{"bindPort":0,"protocol":"HTTP","linkBackend":{"defaultBackend":"app"}}],
    "backends":[{"name":"app","protocol":"HTTP","miscStrs":["timeout server )" +
                     timeout + R"("],
      "services":[{"marathon":{"serviceID":"/app"},"endpoint":{"port":8080}}]}]},
    "fastPath":{"vips":[{"name":"v","address":")" +
                     vip + R"(","port":8080,"backend":"app"}]}})");
}

PoolEndpoints endpoints(const std::vector<std::string>& addresses, uint64_t revision = 1) {
  PoolEndpoints e;
  e.revision = revision;
  for (const std::string path : {"haproxy.backends[0].services[0]", "fastPath.vips[0].services[0]"})
    for (const auto& a : addresses) e.backends[path].push_back({a, 8080, false, "task-" + a, true});
  return e;
}

struct AgentFixture : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("edgelb-reconcile-" + std::to_string(getpid()));
  std::shared_ptr<test::PoolWorld> pools = std::make_shared<test::PoolWorld>();
  std::shared_ptr<test::EndpointsWorld> eps = std::make_shared<test::EndpointsWorld>();
  std::shared_ptr<test::DataplaneWorld> dataplane = std::make_shared<test::DataplaneWorld>();
  std::shared_ptr<test::HaproxyWorld> haproxy = std::make_shared<test::HaproxyWorld>();
  std::unique_ptr<Agent> agent;

  AgentFixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~AgentFixture() override {
    agent.reset();
    fs::remove_all(dir);
  }
  AgentConfig config() const {
    AgentConfig c;
    c.node_name = "node-a";
    c.node_address = "198.18.0.2";
    c.state_dir = dir.string();
    c.min_reload_interval = 0ms;
    c.drain_timeout = 100ms;
    c.dataplane_socket = "unused: the dataplane is a fake";
    return c;
  }
  void start_agent() {
    AgentCollaborators c;
    c.pools = [w = pools](PoolSource::Events e) { return std::make_unique<test::FakePoolSource>(w, std::move(e)); };
    c.endpoints = [w = eps](AgentCollaborators::Wake wake) {
      return std::make_unique<test::FakeEndpoints>(w, std::move(wake));
    };
    c.dataplane = [w = dataplane](AgentCollaborators::Wake) { return std::make_unique<test::FakeDataplane>(w); };
    c.haproxy = [w = haproxy](const haproxy::SupervisorOptions& o) {
      return std::make_unique<test::FakeHaproxy>(w, o);
    };
    agent = std::make_unique<Agent>(config(), std::move(c));
    agent->start();
  }
  void step() { agent->step(Clock::now()); }
  json published(const std::string& pool) { return pools->published.count(pool) ? pools->published[pool] : json(); }
  std::string running() {
    std::lock_guard<std::mutex> g(haproxy->mu);
    return haproxy->running;
  }
  bool runtime_mentions(const std::string& text) {
    std::lock_guard<std::mutex> g(haproxy->mu);
    for (const auto& c : haproxy->runtime)
      if (c.find(text) != std::string::npos) return true;
    return false;
  }
};

TEST_F(AgentFixture, AClaimWonServesAndALostOneStopsAndSaysWhy) {
  start_agent();
  pools->put(PoolInputs::of("web", 1, pool_config("web")));
  step();
  EXPECT_EQ(haproxy->starts, 1);
  EXPECT_EQ(published("web")["appliedVersion"], 1);
  EXPECT_EQ(published("web")["desiredVersion"], 1);
  EXPECT_EQ(published("web")["address"], "198.18.0.2");
  EXPECT_EQ(pools->tracked.count("web"), 1u);
  EXPECT_TRUE(fs::exists(dir / "pools/web/state.json"));  // what runs is cached
  EXPECT_EQ(agent->why_not("web"), "");

  pools->set_outcome("web", {std::nullopt, "all 1 instances of pool web are held by other agents"});
  step();
  EXPECT_EQ(haproxy->stops, 1);
  EXPECT_EQ(pools->released.count("web"), 1u);
  EXPECT_EQ(agent->why_not("web"), "all 1 instances of pool web are held by other agents");
  EXPECT_FALSE(fs::exists(dir / "pools/web/state.json"));  // not ours any more: forgotten
  EXPECT_TRUE(dataplane->desired.empty());                 // nor its fast-path services
  EXPECT_EQ(eps->subscribed.count("web"), 0u);             // nor its endpoints

  // The agent's previous life holds the slot (a restart before the old session expired):
  // a served pool keeps serving.
  pools->outcomes.erase("web");
  pools->events.pool_changed("web");
  step();
  EXPECT_EQ(haproxy->starts, 2);
  pools->set_outcome("web", {std::nullopt, "instance-0 is held by this node's previous session", false, true});
  step();
  EXPECT_EQ(haproxy->stops, 1);
  EXPECT_EQ(agent->why_not("web"), "instance-0 is held by this node's previous session");

  // A new session: every pool is claimed again.
  pools->outcomes.erase("web");
  pools->sessions++;
  step();
  EXPECT_EQ(agent->why_not("web"), "");
}

TEST_F(AgentFixture, APoolUpdateDuringAReloadIsAppliedNext) {
  start_agent();
  pools->put(PoolInputs::of("web", 1, pool_config("web", "31s")));
  step();
  ASSERT_EQ(haproxy->starts, 1);
  // Version 3 lands in ZooKeeper while HAProxy reloads to version 2.
  haproxy->during_reload = [this] { pools->put(PoolInputs::of("web", 3, pool_config("web", "33s"))); };
  pools->put(PoolInputs::of("web", 2, pool_config("web", "32s")));
  step();
  EXPECT_EQ(haproxy->reloads, 1);
  EXPECT_NE(running().find("timeout server 32s"), std::string::npos);
  EXPECT_EQ(published("web")["appliedVersion"], 2);
  step();  // the watch fired during the reload: the loop reads version 3
  EXPECT_EQ(haproxy->reloads, 2);
  EXPECT_NE(running().find("timeout server 33s"), std::string::npos);
  EXPECT_EQ(published("web")["appliedVersion"], 3);
  EXPECT_EQ(published("web")["desiredVersion"], 3);
  EXPECT_EQ(eps->subscribed["web"], 3);  // the endpoints follow the version served
}

TEST_F(AgentFixture, ARefusedTemplateKeepsTheOldConfigAndItsMembership) {
  start_agent();
  eps->set("web", endpoints({"198.18.1.10"}));
  pools->put(PoolInputs::of("web", 1, pool_config("web")));
  step();
  ASSERT_EQ(haproxy->starts, 1);
  PoolInputs bad = PoolInputs::of("web", 2, pool_config("web"));
  bad.template_text = haproxy::default_template() + "\n# REFUSE-ME\n";
  pools->put(bad);
  step();
  EXPECT_EQ(haproxy->refused, 1);
  EXPECT_EQ(haproxy->reloads, 0);
  EXPECT_EQ(running().find("REFUSE-ME"), std::string::npos);
  json reg = published("web");
  EXPECT_EQ(reg["state"], "reload_failed");
  EXPECT_EQ(reg["appliedVersion"], 1);
  EXPECT_EQ(reg["desiredVersion"], 2);
  EXPECT_NE(reg["error"].get<std::string>().find("version 2 not applied"), std::string::npos) << reg.dump();
  // Not retried until the inputs change, and membership still reaches the old worker.
  eps->set("web", endpoints({"198.18.1.10", "198.18.1.11"}, 2));
  step();
  EXPECT_EQ(haproxy->refused, 1);
  EXPECT_TRUE(runtime_mentions("198.18.1.11"));
  // A fixed template is applied.
  pools->put(PoolInputs::of("web", 3, pool_config("web")));
  step();
  EXPECT_EQ(haproxy->reloads, 1);
  EXPECT_EQ(published("web")["state"], "running");
  EXPECT_EQ(published("web")["appliedVersion"], 3);
}

TEST_F(AgentFixture, EndpointsBeforeThePoolStartWithItAndLaterOnesGoInAtRuntime) {
  start_agent();
  eps->set("web", endpoints({"198.18.1.10"}));  // before the pool is read
  pools->put(PoolInputs::of("web", 1, pool_config("web")));
  pools->put(PoolInputs::of("api", 1, pool_config("api")));  // its endpoints come later
  step();
  EXPECT_EQ(haproxy->starts, 2);
  // Subscribed once per pool version; the agent never sends the pool itself.
  EXPECT_EQ(eps->subscriptions, (std::vector<std::pair<std::string, int64_t>>{{"api", 1}, {"web", 1}}));
  {
    std::ifstream in(dir / "pools/web/haproxy.cfg");
    std::string web((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(web.find("198.18.1.10:8080"), std::string::npos) << web;
  }
  EXPECT_FALSE(runtime_mentions("198.18.1.20"));
  eps->set("api", endpoints({"198.18.1.20"}));
  step();
  EXPECT_TRUE(runtime_mentions("198.18.1.20"));
  EXPECT_EQ(haproxy->reloads, 0);            // membership is never a reload
  ASSERT_EQ(dataplane->desired.size(), 4u);  // per pool: the VIP and the L7 frontend
  for (const ServiceSpec& s : dataplane->desired)
    if (s.name == "api/v") {
      ASSERT_EQ(s.backends.size(), 1u);
      EXPECT_EQ(s.backends[0].identity, "198.18.1.20:8080");
    }
}

TEST_F(AgentFixture, TheDataplaneRefusingOneServiceIsReportedForThatPoolOnly) {
  start_agent();
  eps->set("web", endpoints({"198.18.1.10"}));
  eps->set("api", endpoints({"198.18.1.20"}));
  pools->put(PoolInputs::of("web", 1, pool_config("web")));
  pools->put(PoolInputs::of("api", 1, pool_config("api")));
  step();
  dataplane->status.connected = true;
  dataplane->status.refused["web/v"] = "GUE needs a tunnel source (dataplane.tunnel_source)";
  step();
  const json web = published("web")["dataplane"];
  ASSERT_EQ(web["errors"].size(), 1u) << web.dump();
  EXPECT_EQ(web["errors"][0],
            "fastPath.vips[0]: refused by the dataplane: GUE needs a tunnel source "
            "(dataplane.tunnel_source)");
  EXPECT_EQ(published("api")["dataplane"]["errors"].size(), 0u);
  EXPECT_EQ(published("web")["state"], "running");  // HAProxy serves on
}

TEST_F(AgentFixture, ARestartServesTheCacheBeforeZooKeeperAnswersAndAdoptsItWithoutAReload) {
  {
    CachedInstance c;
    c.inputs = PoolInputs::of("web", 4, pool_config("web"));
    c.endpoints = endpoints({"198.18.1.10"}).backends;
    c.allocated_ports = {{"haproxy.stats", 10000}, {"haproxy.frontends[0]", 10001}};
    c.slot = 0;
    StateCache(dir.string()).save(c);
  }
  start_agent();  // ZooKeeper (the pool world) has not answered: pools->listed is nullopt
  step();
  EXPECT_EQ(haproxy->starts, 1);
  EXPECT_NE(running().find("198.18.1.10:8080"), std::string::npos);
  EXPECT_NE(running().find(":10001"), std::string::npos);  // the cached port
  EXPECT_TRUE(pools->published.empty());                   // nothing claimed yet
  pools->put(PoolInputs::of("web", 4, pool_config("web")));
  step();
  EXPECT_EQ(haproxy->starts, 1);
  EXPECT_EQ(haproxy->reloads, 0);  // the same version, the same ports: nothing to do
  EXPECT_EQ(published("web")["appliedVersion"], 4);
}

TEST_F(AgentFixture, AnInvalidStoredVersionIsNotServedAndSaysWhere) {
  start_agent();
  pools->put(PoolInputs::of("web", 1, pool_config("web")));
  step();
  ASSERT_EQ(haproxy->starts, 1);
  pools->reads["web"] = PoolInputsRead{std::nullopt, false, true, "haproxy.backends[0].protocol: must be HTTP, ..."};
  pools->events.pool_changed("web");
  step();
  EXPECT_EQ(agent->why_not("web"), "haproxy.backends[0].protocol: must be HTTP, ...");
  EXPECT_EQ(haproxy->stops, 1);
  EXPECT_EQ(pools->tracked.count("web"), 1u);  // a fixed version is read
  pools->put(PoolInputs::of("web", 2, pool_config("web")));
  step();
  EXPECT_EQ(agent->why_not("web"), "");
  EXPECT_EQ(haproxy->starts, 2);
}

}  // namespace
}  // namespace edgelb::cp
