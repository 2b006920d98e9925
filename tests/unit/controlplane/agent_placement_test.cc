// The agent's configuration file and pool placement (role + Marathon constraints): what is
// accepted, what is refused with its key, and which nodes admit an instance.
#include <gtest/gtest.h>

#include "agent/agent_config.h"
#include "agent/placement.h"

namespace edgelb::cp {
namespace {

TEST(AgentConfig, ReadsEveryField) {
  auto c = AgentConfig::from_yaml(R"(
node: {name: lb-1, roles: [slave_public, "*"], attributes: {rack: r1}}
zookeeper: {connect: "127.0.0.1:2181", root: /lb, digest_file: /etc/d, session_timeout_ms: 4000}
apiserver: {address: "127.0.0.1:7443", certs_dir: /etc/certs}
secret_key_file: /etc/k
state_dir: /var/lib/x
haproxy: {binary: /usr/sbin/haproxy, min_reload_interval_ms: 250, hard_stop_after: 10s, drain_timeout_ms: 500,
          port_range: [20000, 20010], stop_on_exit: false}
metrics: {listen: "127.0.0.1:9102"}
)");
  EXPECT_EQ(c.node_name, "lb-1");
  EXPECT_EQ(c.roles, (std::vector<std::string>{"slave_public", "*"}));
  EXPECT_EQ(c.attributes.at("rack"), "r1");
  EXPECT_EQ(c.zk_root, "/lb");
  EXPECT_EQ(c.zk_session_timeout.count(), 4000);
  EXPECT_EQ(c.apiserver.server, "127.0.0.1:7443");
  EXPECT_EQ(c.apiserver.as_role, "agent");
  EXPECT_EQ(c.min_reload_interval.count(), 250);
  EXPECT_EQ(c.port_range_first, 20000u);
  EXPECT_FALSE(c.stop_haproxy_on_exit);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9102");
}

TEST(AgentConfig, RefusesWhatItCannotUseWithTheKey) {
  auto error = [](const std::string& yaml) {
    try {
      AgentConfig::from_yaml(yaml, "agent.yaml");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error("node: {name: x}\n"), "agent.yaml: zookeeper.connect: required");
  EXPECT_EQ(error("zookeeper: {connect: a, rot: /x}\n"), "agent.yaml: zookeeper.rot: unknown key");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {port_range: [5, 1]}\n"),
            "agent.yaml: haproxy.port_range: must be [first, last] within 1..65535");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {min_reload_interval_ms: soon}\n"),
            "agent.yaml: haproxy.min_reload_interval_ms: has the wrong type");
}

NodeIdentity node(std::string name, std::map<std::string, std::string> attrs = {}) {
  return {std::move(name), {"slave_public"}, std::move(attrs)};
}

TEST(Placement, ParsesMarathonForms) {
  auto a = parse_constraints("hostname:UNIQUE, rack:LIKE:r[12]:x");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].op, "UNIQUE");
  EXPECT_EQ(a[1].value, "r[12]:x");  // the value may hold ':'
  auto b = parse_constraints(R"([["hostname","UNIQUE"],["rack","MAX_PER","2"]])");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].op, "MAX_PER");
  EXPECT_TRUE(parse_constraints("").empty());
  EXPECT_THROW(parse_constraints("hostname:GROUP_BY"), std::invalid_argument);
  EXPECT_THROW(parse_constraints("hostname:NEAR:x"), std::invalid_argument);
  EXPECT_THROW(parse_constraints("rack:LIKE"), std::invalid_argument);
  EXPECT_THROW(parse_constraints("rack:MAX_PER:0"), std::invalid_argument);
  EXPECT_THROW(parse_constraints("rack:LIKE:(("), std::invalid_argument);
}

TEST(Placement, AdmitsPerRoleAndConstraint) {
  std::string why;
  EXPECT_TRUE(placement_admits(node("a"), "slave_public", {}, {}));
  EXPECT_FALSE(placement_admits(node("a"), "*", {}, {}, &why));
  EXPECT_EQ(why, "the pool's role * is not one of this node's roles");
  auto unique = parse_constraints("hostname:UNIQUE");
  EXPECT_TRUE(placement_admits(node("a"), "slave_public", unique, {node("b")}));
  EXPECT_FALSE(placement_admits(node("a"), "slave_public", unique, {node("a")}));
  auto rack_max = parse_constraints("rack:MAX_PER:2");
  EXPECT_TRUE(placement_admits(node("a", {{"rack", "r1"}}), "slave_public", rack_max, {node("b", {{"rack", "r1"}})}));
  EXPECT_FALSE(placement_admits(node("a", {{"rack", "r1"}}), "slave_public", rack_max,
                                {node("b", {{"rack", "r1"}}), node("c", {{"rack", "r1"}})}, &why));
  EXPECT_EQ(why, "rack:MAX_PER:2: 2 instance(s) already on rack r1");
  EXPECT_FALSE(placement_admits(node("a"), "slave_public", rack_max, {}, &why));
  EXPECT_EQ(why, "rack:MAX_PER:2: this node has no rack");
  auto cluster = parse_constraints("rack:CLUSTER");
  EXPECT_TRUE(placement_admits(node("a", {{"rack", "r2"}}), "slave_public", cluster, {}));
  EXPECT_FALSE(placement_admits(node("a", {{"rack", "r2"}}), "slave_public", cluster, {node("b", {{"rack", "r1"}})}));
  EXPECT_TRUE(placement_admits(node("lb-7"), "slave_public", parse_constraints("hostname:LIKE:lb-[0-9]+"), {}));
  EXPECT_FALSE(placement_admits(node("lb-7"), "slave_public", parse_constraints("hostname:UNLIKE:lb-.*"), {}));
  EXPECT_TRUE(placement_admits(node("x"), "slave_public", parse_constraints("rack:UNLIKE:r1"), {}));
  EXPECT_TRUE(placement_admits(node("x", {{"zone", "z"}}), "slave_public", parse_constraints("zone:IS:z"), {}));
  EXPECT_FALSE(placement_admits(node("x", {{"zone", "y"}}), "slave_public", parse_constraints("zone:IS:z"), {}));
}

}  // namespace
}  // namespace edgelb::cp
