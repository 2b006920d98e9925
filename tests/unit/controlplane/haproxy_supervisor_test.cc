// lbmgr against a real HAProxy 2.6 on loopback: membership changes through the runtime API
// fill and free slots with no reload (the master's reload counter stays put), slot exhaustion
// reloads once, a configuration HAProxy refuses (at check or at load) leaves the old worker
// serving, runtime state survives a reload, kill -9 of the worker or the master is repaired,
// and a new supervisor adopts the HAProxy an earlier one left running.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "eventually.h"
#include "haproxy/config_renderer.h"
#include "haproxy/supervisor.h"
#include "http_backend.h"

namespace edgelb::haproxy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One pool instance: a frontend on 127.0.0.1 routing to backend "app", in fixed slots (s0_*):
// the lbmgr mechanics below are those of slots; DynamicServers* plans "app" dynamic.
struct Instance {
  fs::path dir;
  uint16_t port = test::free_loopback_port(), stats_port = test::free_loopback_port();
  cp::PoolModel pool;
  ServerSlots slots;
  RenderSettings settings;
  std::vector<std::string> misc;  // extra backend lines: a structural change

  Instance() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("edgelb-lbmgr-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    pool = cp::PoolModel::from_json(nlohmann::json::parse(R"({"apiVersion":"V2","name":"lbmgr","haproxy":{
      "stats":{"bindAddress":"127.0.0.1","bindPort":)" + std::to_string(stats_port) +
                                                          R"(},
      "frontends":[{"bindAddress":"127.0.0.1","bindPort":)" +
                                                          std::to_string(port) + R"(,"protocol":"HTTP",
                    "linkBackend":{"defaultBackend":"app"}}],
      "backends":[{"name":"app","protocol":"HTTP","services":[{"marathon":{"serviceID":"/app"},
                   "endpoint":{"port":80}}]}]}})"));
    settings = RenderSettings::under(dir.string());
    slots = ServerSlots::plan(pool, {}, {"app"});
  }
  ~Instance() {
    // Anything an assertion left running: the master this test started, by its PID.
    std::ifstream in(dir / "run/master.pid");
    int pid = 0;
    if (in >> pid && pid > 1 && kill(pid, 0) == 0) kill(pid, SIGKILL);
    fs::remove_all(dir);
  }
  std::string render() {
    pool.backends[0].misc = misc;
    return render_config(pool, 1, slots, settings);
  }
  SupervisorOptions options() const {
    SupervisorOptions o;
    o.instance_dir = dir.string();
    o.restart_backoff_min = 50ms;
    return o;
  }
  static EndpointsByService endpoints(const std::vector<const test::HttpBackend*>& backends) {
    EndpointsByService e;
    auto& v = e[service_path(0, 0)];
    for (auto* b : backends) v.push_back({"127.0.0.1", b->port(), false, "task", true});
    return e;
  }
  // Moves the slots to `backends` at runtime. False when the slots ran out.
  bool apply(Supervisor& sup, const std::vector<const test::HttpBackend*>& backends) {
    std::vector<SlotChange> changes;
    if (!slots.update(endpoints(backends), &changes)) return false;
    std::vector<std::string> commands;
    for (const auto& c : changes) {
      auto more = slot_commands("app", slot_name(slots.groups()[c.group], c.slot), c.before, c.after, true);
      commands.insert(commands.end(), more.begin(), more.end());
    }
    auto r = sup.runtime(commands);
    EXPECT_TRUE(r.ok) << r.errors;
    sup.write_config(render());
    return true;
  }
  // Bodies of `n` requests through HAProxy.
  std::multiset<std::string> spread(int n) {
    std::multiset<std::string> seen;
    for (int i = 0; i < n; ++i) seen.insert(test::http_get(port).body);
    return seen;
  }
};

int master_reloads(Supervisor& sup) { return sup.master_cli().show_proc().master.reloads; }

TEST(Lbmgr, SlotsFillAndFreeWithoutReload) {
  Instance in;
  Supervisor sup(in.options());
  sup.start(in.render());
  EXPECT_EQ(test::http_get(in.port).status, 503);  // no servers yet
  test::HttpBackend a("a"), b("b");
  ASSERT_TRUE(in.apply(sup, {&a}));
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  ASSERT_TRUE(in.apply(sup, {&a, &b}));
  auto seen = in.spread(10);
  EXPECT_EQ(seen.count("a\n"), 5u);
  EXPECT_EQ(seen.count("b\n"), 5u);
  // a leaves: it drains in its slot, then is released to maintenance.
  ASSERT_TRUE(in.apply(sup, {&b}));
  EXPECT_EQ(in.spread(4), (std::multiset<std::string>{"b\n", "b\n", "b\n", "b\n"}));
  auto state = sup.runtime_api().servers_state("app");
  ASSERT_GE(state.size(), 2u);
  EXPECT_TRUE(state[0].draining());
  ASSERT_TRUE(in.slots.release(0, 0));
  auto r = sup.runtime(slot_commands(
      "app", "s0_1", Slot{ServerEndpoint{"127.0.0.1", a.port(), false, "task", true}, true, ""}, Slot{}, true));
  EXPECT_TRUE(r.ok) << r.errors;
  EXPECT_TRUE(sup.runtime_api().servers_state("app")[0].in_maintenance());
  // Not ready: no new requests; ready again: back in rotation.
  test::HttpBackend c("c");
  ASSERT_TRUE(in.apply(sup, {&b, &c}));
  EXPECT_EQ(in.spread(4).count("c\n"), 2u);
  EXPECT_EQ(master_reloads(sup), 0);
  EXPECT_EQ(sup.status().reloads, 0u);
  EXPECT_GE(sup.status().runtime_batches, 4u);
  EXPECT_EQ(sup.status().runtime_failures, 0u);
}

TEST(Lbmgr, SlotExhaustionReloadsOnce) {
  Instance in;
  Supervisor sup(in.options());
  sup.start(in.render());
  std::vector<std::unique_ptr<test::HttpBackend>> servers;
  std::vector<const test::HttpBackend*> live;
  for (int i = 0; i < 8; ++i) {
    servers.push_back(std::make_unique<test::HttpBackend>("s" + std::to_string(i)));
    live.push_back(servers.back().get());
  }
  ASSERT_TRUE(in.apply(sup, live));  // 8 slots, 8 servers
  EXPECT_EQ(master_reloads(sup), 0);
  servers.push_back(std::make_unique<test::HttpBackend>("s8"));
  live.push_back(servers.back().get());
  ASSERT_FALSE(in.apply(sup, live));  // the 9th does not fit: re-plan (18 slots) and reload
  in.slots = in.slots.replan(in.pool, Instance::endpoints(live));
  auto r = sup.reload(in.render());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(master_reloads(sup), 1);
  EXPECT_EQ(sup.status().reloads, 1u);
  EXPECT_EQ(in.slots.groups()[0].slots.size(), 18u);
  auto seen = in.spread(18);
  for (int i = 0; i <= 8; ++i) EXPECT_EQ(seen.count("s" + std::to_string(i) + "\n"), 2u) << i;
}

TEST(Lbmgr, RefusedConfigurationsLeaveTheOldWorkerServing) {
  Instance in;
  test::HttpBackend a("a");
  in.slots = ServerSlots::plan(in.pool, Instance::endpoints({&a}), {"app"});
  Supervisor sup(in.options());
  sup.start(in.render());
  const std::string good = in.render();
  const int worker = sup.master_cli().show_proc().workers.at(0).pid;
  // Refused by haproxy -c: nothing is written or reloaded.
  in.misc = {"bogus_directive 1"};
  auto r = sup.reload(in.render());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.validated);
  EXPECT_NE(r.error.find("bogus_directive"), std::string::npos) << r.error;
  EXPECT_EQ(sup.status().state, HaproxyState::kReloadFailed);
  EXPECT_NE(sup.status().error.find("bogus_directive"), std::string::npos);
  // Accepted by haproxy -c, refused when loading (the address is not on this host).
  in.misc = {};
  std::string unbindable = in.render();
  unbindable.replace(unbindable.find("bind 127.0.0.1:" + std::to_string(in.port)),
                     std::string("bind 127.0.0.1:").size(), "bind 198.18.77.77:");
  r = sup.reload(unbindable);
  EXPECT_TRUE(r.validated);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot bind"), std::string::npos) << r.error;
  EXPECT_EQ(sup.status().reload_failures, 2u);
  // The old worker still serves and the file on disk is the one it runs.
  EXPECT_EQ(sup.master_cli().show_proc().workers.at(0).pid, worker);
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  std::ifstream cfg(sup.config_path());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(cfg), {}), good);
  // A good configuration afterwards clears the failure.
  in.misc = {"timeout server 20s"};
  r = sup.reload(in.render());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(sup.status().state, HaproxyState::kRunning);
  EXPECT_EQ(sup.status().error, "");
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
}

TEST(Lbmgr, RuntimeStateSurvivesAReload) {
  Instance in;
  test::HttpBackend a("a"), b("b");
  in.slots = ServerSlots::plan(in.pool, Instance::endpoints({&a, &b}), {"app"});
  Supervisor sup(in.options());
  sup.start(in.render());
  // Slots are in (address, port) order: find which one holds b.
  const size_t b_slot = in.slots.groups()[0].slots[0].server->port == b.port() ? 0 : 1;
  const std::string b_name = "s0_" + std::to_string(b_slot + 1), a_name = "s0_" + std::to_string(2 - b_slot);
  auto r = sup.runtime({"set server app/" + b_name + " state drain", "set server app/" + a_name + " weight 50"});
  ASSERT_TRUE(r.ok) << r.errors;
  in.misc = {"timeout server 20s"};
  ASSERT_TRUE(sup.reload(in.render()).ok);
  auto state = sup.runtime_api().servers_state("app");
  ASSERT_GE(state.size(), 2u);
  EXPECT_TRUE(state[b_slot].draining());
  EXPECT_EQ(state[1 - b_slot].weight, 50u);
  EXPECT_EQ(in.spread(3), (std::multiset<std::string>{"a\n", "a\n", "a\n"}));
}

TEST(Lbmgr, KilledWorkerOrMasterIsRestarted) {
  Instance in;
  test::HttpBackend a("a");
  in.slots = ServerSlots::plan(in.pool, Instance::endpoints({&a}), {"app"});
  Supervisor sup(in.options());
  sup.start(in.render());
  const int master = sup.status().master_pid;
  kill(sup.master_cli().show_proc().workers.at(0).pid, SIGKILL);
  ASSERT_TRUE(
      test::eventually([&] { return sup.status().restarts == 1 && sup.status().state == HaproxyState::kRunning; }));
  EXPECT_NE(sup.status().master_pid, master);
  EXPECT_TRUE(test::eventually([&] { return test::http_get(in.port).body == "a\n"; }));
  kill(sup.status().master_pid, SIGKILL);
  ASSERT_TRUE(
      test::eventually([&] { return sup.status().restarts == 2 && sup.status().state == HaproxyState::kRunning; }));
  EXPECT_TRUE(test::eventually([&] { return test::http_get(in.port).body == "a\n"; }));
}

TEST(Lbmgr, InheritedListenersQueueConnectionsWhileHaproxyRestarts) {
  Instance in;
  test::HttpBackend a("a");
  in.slots = ServerSlots::plan(in.pool, Instance::endpoints({&a}), {"app"});
  Supervisor sup(in.options());
  in.settings.inherited_fds = sup.inherited_binds(frontend_binds(in.pool, in.settings));
  ASSERT_EQ(in.settings.inherited_fds.size(), 1u);
  const std::string config = in.render();
  EXPECT_NE(config.find("bind fd@200"), std::string::npos) << config;
  sup.start(config);
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  // HAProxy dies (its worker takes the master down): the listener is ours, so a request now
  // waits in its accept queue for the restarted HAProxy instead of being refused.
  const int worker = sup.master_cli().show_proc().workers.at(0).pid;
  kill(worker, SIGKILL);
  EXPECT_TRUE(test::eventually([&] { return kill(worker, 0) != 0; }));
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  EXPECT_TRUE(test::eventually([&] { return sup.status().restarts == 1; }));
  // The master dies: its worker notices and exits at once, dropping what it accepted in that
  // moment (in flight, like any killed process); after that, requests queue again.
  const int orphan = sup.master_cli().show_proc().workers.at(0).pid;
  kill(sup.status().master_pid, SIGKILL);
  EXPECT_TRUE(test::eventually([&] { return kill(orphan, 0) != 0; }));
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  EXPECT_TRUE(test::eventually([&] { return sup.status().restarts == 2; }));
  // A configuration without that frontend: the listener stops (refused, not queued).
  sup.release_binds_except({});
  EXPECT_EQ(test::http_get(in.port).status, 0);
  EXPECT_TRUE(sup.inherited_binds(frontend_binds(in.pool, in.settings)).empty());
}

TEST(Lbmgr, ANewSupervisorAdoptsTheRunningHaproxy) {
  Instance in;
  test::HttpBackend a("a");
  in.slots = ServerSlots::plan(in.pool, Instance::endpoints({&a}), {"app"});
  int master = 0;
  {
    auto o = in.options();
    o.stop_on_exit = false;
    Supervisor first(o);
    first.start(in.render());
    master = first.status().master_pid;
  }
  ASSERT_EQ(kill(master, 0), 0) << "HAProxy stopped with its supervisor";
  EXPECT_EQ(test::http_get(in.port).body, "a\n");
  Supervisor second(in.options());
  second.start(in.render());
  EXPECT_TRUE(second.status().adopted);
  EXPECT_EQ(second.status().master_pid, master);
  EXPECT_EQ(master_reloads(second), 0);  // same configuration: no reload
  // It supervises what it adopted: a dead master is restarted.
  kill(master, SIGKILL);
  ASSERT_TRUE(test::eventually(
      [&] { return second.status().restarts == 1 && second.status().state == HaproxyState::kRunning; }));
  EXPECT_TRUE(test::eventually([&] { return test::http_get(in.port).body == "a\n"; }));
  second.stop();
  EXPECT_EQ(test::http_get(in.port).status, 0);
}

}  // namespace
}  // namespace edgelb::haproxy
