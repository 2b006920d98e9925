// Instance claims against a real ZooKeeper: agents share a pool's `count` slots, a waiting
// agent takes a slot freed by a dead one, count changes move slots, and a claim is taken
// again after a session expiry unless another agent took the slot meanwhile; the running
// configuration lives beside the claim and goes with it.
#include <gtest/gtest.h>

#include <memory>

#include "agent/claims.h"
#include "zk_server.h"

namespace edgelb::cp {
namespace {

struct Cluster {
  test::ZkServer server;
  std::unique_ptr<ZkClient> client() {
    ZkOptions o;
    o.hosts = server.hosts();
    o.session_timeout = std::chrono::milliseconds(4000);
    auto zk = std::make_unique<ZkClient>(o);
    zk->ensure_path("/edgelb/pools/web/instances");
    return zk;
  }
};

NodeIdentity node(std::string name, std::string rack = "r1") {
  return {std::move(name), {"slave_public"}, {{"rack", rack}}};
}

TEST(Claims, AgentsShareTheSlotsAndTakeOverFreedOnes) {
  Cluster c;
  auto za = c.client(), zb = c.client(), zc = c.client();
  InstanceClaim a(*za, "/edgelb/pools/web", node("a")), b(*zb, "/edgelb/pools/web", node("b"));
  auto waiting = std::make_unique<InstanceClaim>(*zc, "/edgelb/pools/web", node("c"));
  EXPECT_EQ(a.reconcile(2, "slave_public", {}).slot, 0);
  EXPECT_EQ(b.reconcile(2, "slave_public", {}).slot, 1);
  auto w = waiting->reconcile(2, "slave_public", {});
  EXPECT_FALSE(w.slot);
  EXPECT_EQ(w.why, "all 2 instance slots are taken");
  a.publish({{"appliedVersion", 3}, {"state", "running"}});
  ZkNode n;
  ASSERT_EQ(za->get("/edgelb/pools/web/instances/instance-0", &n), ZOK);
  auto data = nlohmann::json::parse(n.data);
  EXPECT_EQ(data["host"], "a");
  EXPECT_EQ(data["appliedVersion"], 3);
  EXPECT_EQ(data["attributes"]["rack"], "r1");
  // b's agent dies (its session expires, as when its process is gone): the slot frees, c takes it.
  c.server.expire_session(zb->client_id());
  // A new session can take a while on a loaded 2-core machine (ZooKeeper is a JVM).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (za->exists("/edgelb/pools/web/instances/instance-1") == ZOK && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(waiting->reconcile(2, "slave_public", {}).slot, 1);
  // count shrinks to 1: the holder of slot 1 releases it; grows to 3: c claims again.
  EXPECT_FALSE(waiting->reconcile(1, "slave_public", {}).slot);
  EXPECT_EQ(a.reconcile(1, "slave_public", {}).slot, 0);
  EXPECT_EQ(waiting->reconcile(3, "slave_public", {}).slot, 1);
  // Placement against the other holders: rack:UNIQUE keeps a second r1 node out.
  waiting.reset();
  auto zd = c.client();
  InstanceClaim d(*zd, "/edgelb/pools/web", node("d"));
  auto out = d.reconcile(3, "slave_public", parse_constraints("rack:UNIQUE"));
  EXPECT_FALSE(out.slot);
  EXPECT_EQ(out.why, "rack:UNIQUE: 1 instance(s) already on rack r1");
}

TEST(Claims, ASessionExpiryTakesTheSlotAgainOrLosesIt) {
  Cluster c;
  auto za = c.client(), zb = c.client();
  InstanceClaim a(*za, "/edgelb/pools/web", node("a")), b(*zb, "/edgelb/pools/web", node("b"));
  ASSERT_EQ(a.reconcile(1, "slave_public", {}).slot, 0);
  c.server.expire_session(za->client_id());
  // The server deleted a's node; a's client opens a new session.
  // A new session can take a while on a loaded 2-core machine (ZooKeeper is a JVM).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (za->sessions_opened() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(za->sessions_opened(), 2u);
  EXPECT_EQ(a.reconcile(1, "slave_public", {}).slot, 0);  // still free: taken again
  ZkStat st;
  ASSERT_EQ(za->exists("/edgelb/pools/web/instances/instance-0", &st), ZOK);
  EXPECT_EQ(st.ephemeral_owner, za->session_id());
  // Expired again, and b claims the slot before a reconciles: a has lost it.
  c.server.expire_session(za->client_id());
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (za->sessions_opened() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(b.reconcile(1, "slave_public", {}).slot, 0);
  auto out = a.reconcile(1, "slave_public", {});
  EXPECT_FALSE(out.slot);
  EXPECT_NE(out.why.find("lost the claim"), std::string::npos) << out.why;
}

TEST(Claims, TheRunningConfigurationIsPublishedBesideTheClaimAndGoesWithIt) {
  Cluster c;
  auto za = c.client();
  InstanceClaim a(*za, "/edgelb/pools/web", node("a"));
  // Published before a slot is held: written when it is claimed. The pool predates the
  // `running` folder: the claim creates it, but never a pool that is gone.
  EXPECT_FALSE(a.publish_config("global\n", "h1"));
  ASSERT_EQ(a.reconcile(1, "slave_public", {}).slot, 0);
  ZkNode n;
  ASSERT_EQ(za->get("/edgelb/pools/web/running/instance-0", &n), ZOK);
  EXPECT_EQ(nlohmann::json::parse(n.data),
            (nlohmann::json{{"configHash", "h1"}, {"bytes", 7}, {"config", "global\n"}}));
  EXPECT_EQ(n.stat.ephemeral_owner, za->session_id());
  EXPECT_TRUE(a.publish_config("global\n  maxconn 10\n", "h2"));
  ASSERT_EQ(za->get("/edgelb/pools/web/running/instance-0", &n), ZOK);
  EXPECT_EQ(nlohmann::json::parse(n.data)["configHash"], "h2");
  // Too large for ZooKeeper: its hash and size only.
  const std::string big(InstanceClaim::kMaxRunningConfigBytes + 1, 'x');
  EXPECT_TRUE(a.publish_config(big, "h3"));
  ASSERT_EQ(za->get("/edgelb/pools/web/running/instance-0", &n), ZOK);
  EXPECT_FALSE(nlohmann::json::parse(n.data).contains("config"));
  EXPECT_EQ(nlohmann::json::parse(n.data)["bytes"], big.size());
  // Released with the claim.
  a.release();
  EXPECT_EQ(za->exists("/edgelb/pools/web/running/instance-0"), ZNONODE);
  // A pool deleted while its instance runs is not brought back by a publish.
  za->ensure_path("/edgelb/pools/gone/instances");
  InstanceClaim b(*za, "/edgelb/pools/gone", node("b"));
  ASSERT_EQ(b.reconcile(1, "slave_public", {}).slot, 0);
  ASSERT_TRUE(b.publish_config("global\n", "h4"));
  for (const char* path :
       {"/edgelb/pools/gone/running/instance-0", "/edgelb/pools/gone/running",
        "/edgelb/pools/gone/instances/instance-0", "/edgelb/pools/gone/instances", "/edgelb/pools/gone"})
    ASSERT_EQ(za->remove(path), ZOK) << path;
  EXPECT_FALSE(b.publish_config("global\n", "h5"));
  EXPECT_EQ(za->exists("/edgelb/pools/gone"), ZNONODE);
}

}  // namespace
}  // namespace edgelb::cp
