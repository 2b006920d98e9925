// Server slots: membership changes land in stable slots (no reload), a removed server drains
// in its slot until released, and a fixed-slot group out of free slots refuses the update
// whole; dynamic groups name servers by task, grow without limit and render no free slots.
#include <gtest/gtest.h>

#include "haproxy/server_slots.h"

namespace edgelb::haproxy {
namespace {

cp::PoolModel pool_with_one_backend() {
  return cp::PoolModel::from_json(nlohmann::json::parse(R"({"apiVersion":"V2","name":"p","haproxy":{
    "frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"b"}}],
    "backends":[{"name":"b","protocol":"HTTP","services":[
      {"marathon":{"serviceID":"/a"},"endpoint":{"port":80}},
      {"endpoint":{"type":"ADDRESS","address":"198.18.9.9","port":80}}]}]}})"));
}

ServerEndpoint ep(int host, uint32_t port = 80) {
  return {"198.18.0." + std::to_string(host), port, false, "app.t" + std::to_string(host), true};
}

// The backend in fixed slots, as HAProxy needs for sticky or static-algorithm backends.
const std::set<std::string> kSlots = {"b"};

EndpointsByService of(std::vector<ServerEndpoint> v) { return {{service_path(0, 0), std::move(v)}}; }

TEST(ServerSlots, PlanSizesGroupsAndSortsServers) {
  auto pool = pool_with_one_backend();
  std::vector<ServerEndpoint> many;
  for (int i = 12; i > 0; --i) many.push_back(ep(i));
  auto slots = ServerSlots::plan(pool, of(many), kSlots);
  ASSERT_EQ(slots.groups().size(), 2u);
  EXPECT_EQ(slots.groups()[0].slots.size(), 24u);  // 2 x 12
  EXPECT_EQ(slots.groups()[0].slots[0].server->address, "198.18.0.1");
  EXPECT_EQ(slots.groups()[0].slots[1].server->address, "198.18.0.10");  // sorted as text
  EXPECT_TRUE(slots.groups()[1].fixed);
  EXPECT_EQ(slot_name(slots.groups()[1], 0), "s1_fixed");
  EXPECT_EQ(slot_name(slots.groups()[0], 0), "s0_1");
  EXPECT_EQ(ServerSlots::plan(pool, {}, kSlots).groups()[0].slots.size(), 8u);
  EXPECT_TRUE(slots.fits(pool));
}

TEST(ServerSlots, UpdatesKeepServersInTheirSlots) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1), ep(2), ep(3)}), kSlots);
  std::vector<SlotChange> changes;
  // 2 goes away, 4 arrives: 4 takes the first free slot (3), 2 drains in slot 1.
  ASSERT_TRUE(slots.update(of({ep(3), ep(1), ep(4)}), &changes));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].slot, 1u);
  EXPECT_TRUE(changes[0].after.draining);
  EXPECT_EQ(changes[1].slot, 3u);
  EXPECT_EQ(changes[1].after.server->address, "198.18.0.4");
  const auto& g = slots.groups()[0];
  EXPECT_EQ(g.slots[0].server->address, "198.18.0.1");
  EXPECT_EQ(g.slots[2].server->address, "198.18.0.3");
  // The same endpoints again: nothing changes.
  changes.clear();
  ASSERT_TRUE(slots.update(of({ep(4), ep(3), ep(1)}), &changes));
  EXPECT_TRUE(changes.empty());
  // A draining slot is not reused until released; then it is the lowest free one.
  EXPECT_TRUE(slots.release(0, 1));
  EXPECT_FALSE(slots.release(0, 1));
  ASSERT_TRUE(slots.update(of({ep(4), ep(3), ep(1), ep(5)}), &changes));
  EXPECT_EQ(slots.groups()[0].slots[1].server->address, "198.18.0.5");
  // Readiness flips are changes of the same slot.
  changes.clear();
  auto not_ready = ep(5);
  not_ready.ready = false;
  ASSERT_TRUE(slots.update(of({ep(4), ep(3), ep(1), not_ready}), &changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].slot, 1u);
  EXPECT_FALSE(changes[0].after.server->ready);
}

TEST(ServerSlots, ExhaustionRefusesTheWholeUpdate) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1)}), kSlots);
  const auto before = slots;
  std::vector<ServerEndpoint> nine;
  for (int i = 1; i <= 9; ++i) nine.push_back(ep(i));
  std::vector<SlotChange> changes;
  EXPECT_FALSE(slots.update(of(nine), &changes));
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(slots, before);
  nine.pop_back();
  EXPECT_TRUE(slots.update(of(nine), &changes));  // exactly 8 fit
  EXPECT_EQ(changes.size(), 7u);
}

TEST(ServerSlots, ReplanKeepsServersInTheirSlots) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1), ep(2), ep(3)}), kSlots);
  std::vector<SlotChange> changes;
  ASSERT_TRUE(slots.update(of({ep(3), ep(1)}), &changes));  // 2 drains in slot 1
  std::vector<ServerEndpoint> many = {ep(3), ep(1)};
  for (int i = 10; i < 20; ++i) many.push_back(ep(i));
  auto next = slots.replan(pool, of(many));
  const auto& g = next.groups()[0];
  EXPECT_EQ(g.slots.size(), 24u);
  EXPECT_EQ(g.slots[0].server->address, "198.18.0.1");
  EXPECT_EQ(g.slots[2].server->address, "198.18.0.3");
  EXPECT_EQ(g.slots[1].server->address, "198.18.0.10");  // the drained slot is reused
  EXPECT_FALSE(g.slots[1].draining);
  EXPECT_EQ(next.endpoints().at(service_path(0, 0)).size(), 12u);
  // A backend inserted before it: the group follows its backend by name.
  auto grown = pool;
  grown.backends.insert(grown.backends.begin(), grown.backends[0]);
  grown.backends[0].name = "new";
  EndpointsByService moved = {{service_path(1, 0), {ep(3), ep(1)}}};
  auto again = slots.replan(grown, moved);
  EXPECT_EQ(again.groups()[2].backend_name, "b");
  EXPECT_EQ(again.groups()[2].slots[2].server->address, "198.18.0.3");
  ASSERT_TRUE(again.groups()[0].dynamic);  // "new" is not in fixed slots: no servers, no slots
  EXPECT_TRUE(again.groups()[0].slots.empty());
}

TEST(ServerSlots, DuplicateEndpointsTakeOneSlot) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1), ep(1), ep(1, 81)}), kSlots);
  EXPECT_EQ(slots.endpoints().at(service_path(0, 0)).size(), 2u);
}

TEST(DynamicServers, NamedByTaskInEndpointOrderWithNoFreeSlots) {
  auto pool = pool_with_one_backend();
  auto odd = ep(3);
  odd.task_id = "web/api.t 3";  // not a valid HAProxy name as it is
  auto none = ep(4);
  none.task_id = "";
  auto slots = ServerSlots::plan(pool, of({ep(2), ep(1), odd, none}));
  const auto& g = slots.groups()[0];
  ASSERT_TRUE(g.dynamic);
  EXPECT_FALSE(slots.groups()[1].dynamic);  // the fixed ADDRESS entry
  ASSERT_EQ(g.slots.size(), 4u);            // exactly the servers
  EXPECT_EQ(slot_name(g, 0), "app.t1");
  EXPECT_EQ(slot_name(g, 1), "app.t2");
  EXPECT_EQ(slot_name(g, 2), "web_api.t_3");
  EXPECT_EQ(slot_name(g, 3), "agentip_198.18.0.4_80");
  EXPECT_TRUE(slots.fits(pool));
}

TEST(DynamicServers, GrowWithoutLimitDrainAndReuseFreedEntries) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1), ep(2)}));
  std::vector<ServerEndpoint> many;
  for (int i = 1; i <= 100; ++i) many.push_back(ep(i));
  std::vector<SlotChange> changes;
  ASSERT_TRUE(slots.update(of(many), &changes));  // no slots to run out of
  EXPECT_EQ(changes.size(), 98u);
  EXPECT_EQ(slots.groups()[0].slots.size(), 100u);
  // 1 goes away: it drains under its name; released, its entry is free and renders nothing.
  many.erase(many.begin());
  changes.clear();
  ASSERT_TRUE(slots.update(of(many), &changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].after.draining);
  EXPECT_EQ(changes[0].after.name, "app.t1");
  const size_t freed = changes[0].slot;
  EXPECT_TRUE(slots.release(0, freed));
  EXPECT_FALSE(slots.groups()[0].slots[freed].server);
  // A new task takes the freed entry, under its own name.
  many.push_back(ep(101));
  changes.clear();
  ASSERT_TRUE(slots.update(of(many), &changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].slot, freed);
  EXPECT_FALSE(changes[0].before.server);
  EXPECT_EQ(changes[0].after.name, "app.t101");
}

TEST(DynamicServers, AnotherTaskAtTheSameAddressIsAnotherServer) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1)}));
  auto successor = ep(1);
  successor.task_id = "app.t1-bis";
  std::vector<SlotChange> changes;
  ASSERT_TRUE(slots.update(of({successor}), &changes));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[0].after.draining);  // the old task's server drains under its name
  EXPECT_EQ(changes[0].after.name, "app.t1");
  EXPECT_EQ(changes[1].after.name, "app.t1-bis");
  EXPECT_FALSE(changes[1].before.server);
}

TEST(DynamicServers, OneTaskSelectedTwiceInABackendGetsTwoNames) {
  auto pool = cp::PoolModel::from_json(nlohmann::json::parse(R"({"apiVersion":"V2","name":"p","haproxy":{
    "frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"b"}}],
    "backends":[{"name":"b","protocol":"HTTP","services":[
      {"marathon":{"serviceID":"/a"},"endpoint":{"portName":"web"}},
      {"marathon":{"serviceID":"/a"},"endpoint":{"portName":"admin"}}]}]}})"));
  EndpointsByService eps = {{service_path(0, 0), {ep(1, 80)}}, {service_path(0, 1), {ep(1, 81)}}};
  auto slots = ServerSlots::plan(pool, eps);
  EXPECT_EQ(slot_name(slots.groups()[0], 0), "app.t1");
  EXPECT_EQ(slot_name(slots.groups()[1], 0), "app.t1_81");
}

TEST(DynamicServers, ReplanKeepsNamesAndDropsWhatDrains) {
  auto pool = pool_with_one_backend();
  auto slots = ServerSlots::plan(pool, of({ep(1), ep(2), ep(3)}));
  ASSERT_TRUE(slots.update(of({ep(3), ep(1)}), nullptr));  // 2 drains
  auto next = slots.replan(pool, of({ep(3), ep(1), ep(9)}));
  const auto& g = next.groups()[0];
  ASSERT_EQ(g.slots.size(), 3u);
  EXPECT_EQ(slot_name(g, 0), "app.t1");
  EXPECT_EQ(slot_name(g, 1), "app.t3");
  EXPECT_EQ(slot_name(g, 2), "app.t9");
  // A backend HAProxy refused dynamic servers for uses slots from the next replan on.
  next.use_slots_for("b");
  auto fixed = next.replan(pool, of({ep(3), ep(1), ep(9)}));
  EXPECT_FALSE(fixed.groups()[0].dynamic);
  EXPECT_EQ(fixed.groups()[0].slots.size(), 8u);
  EXPECT_EQ(slot_name(fixed.groups()[0], 0), "s0_1");
  EXPECT_EQ(fixed.endpoints().at(service_path(0, 0)).size(), 3u);
}

TEST(DynamicServers, OnlyBackendsHaproxyCanAddServersTo) {
  auto backend =
      [](const std::string& extra) {
        return cp::PoolModel::from_json(nlohmann::json::parse(R"({"apiVersion":"V2","name":"p","haproxy":{
      "frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"b"}}],
      "backends":[{"name":"b","protocol":"HTTP",)" + extra + R"("services":[]}]}})"))
            .backends[0];
      };
  EXPECT_TRUE(takes_dynamic_servers(backend("")));
  EXPECT_TRUE(takes_dynamic_servers(backend(R"("balance":"leastconn",)")));
  EXPECT_TRUE(takes_dynamic_servers(backend(R"("balance":"random",)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("balance":"source",)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("balance":"uri whole",)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("balance":"static-rr",)")));
  EXPECT_TRUE(takes_dynamic_servers(backend(R"("balance":"source","miscStrs":["hash-type consistent"],)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("miscStrs":["balance source"],)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("rewriteHttp":{"sticky":{}},)")));
  EXPECT_FALSE(takes_dynamic_servers(backend(R"("miscStrs":["cookie SRV insert"],)")));
}

}  // namespace
}  // namespace edgelb::haproxy
