// The agent's configuration file and pool placement (role + Marathon constraints): what is
// accepted, what is refused with its key, and which nodes admit an instance.
#include <gtest/gtest.h>

#include "agent/agent_config.h"
#include "agent/placement.h"

namespace edgelb::cp {
namespace {

// The config the Debian package installs as /etc/edgelb/agent.yaml is a valid one.
TEST(AgentConfig, PackagedDefaultLoads) {
  const AgentConfig c = AgentConfig::from_file(EDGELB_SOURCE_DIR "/deploy/etc/agent.yaml");
  EXPECT_EQ(c.zk_connect, "127.0.0.1:2181");
  EXPECT_EQ(c.dataplane_socket, "/run/edgelb/dataplane.sock");
  EXPECT_EQ(c.state_dir, "/var/lib/edgelb-agent");
}

TEST(AgentConfig, ReadsEveryField) {
  auto c = AgentConfig::from_yaml(R"(
node: {name: lb-1, roles: [slave_public, "*"], attributes: {rack: r1}}
zookeeper: {connect: "127.0.0.1:2181", root: /lb, digest_file: /etc/d, session_timeout_ms: 4000}
apiserver: {address: "127.0.0.1:7443", certs_dir: /etc/certs}
secret_key_file: /etc/k
state_dir: /var/lib/x
haproxy: {binary: /usr/sbin/haproxy, min_reload_interval_ms: 250, hard_stop_after: 10m, drain_timeout_ms: 500,
          port_range: [20000, 20010], stop_on_exit: false, maxconn: 20000, frontend_maxconn: 5000, backlog: 1024,
          tls: {min_version: TLSv1.3, ciphers: "ECDHE-RSA-AES128-GCM-SHA256", ciphersuites: TLS_AES_128_GCM_SHA256,
                session_tickets: true},
          access_log: {target: file, file: "/var/log/edgelb/{pool}.log", max_size_mb: 10, keep: 3, facility: local3}}
metrics: {listen: "127.0.0.1:9102"}
)");
  EXPECT_EQ(c.hard_stop_after, "10m");
  EXPECT_EQ(c.haproxy_limits.maxconn, 20000u);
  EXPECT_EQ(c.haproxy_limits.frontend_maxconn, 5000u);
  EXPECT_EQ(c.haproxy_limits.backlog, 1024u);
  EXPECT_EQ(c.tls.min_version, "TLSv1.3");
  EXPECT_EQ(c.tls.ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(c.tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_TRUE(c.tls.session_tickets);
  EXPECT_EQ(c.access_log.kind, haproxy::AccessLogSettings::Kind::kFile);
  EXPECT_EQ(c.access_log.file, "/var/log/edgelb/{pool}.log");
  EXPECT_EQ(c.access_log.max_bytes, 10u << 20);
  EXPECT_EQ(c.access_log.keep, 3u);
  EXPECT_EQ(c.access_log.facility, "local3");
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
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {hard_stop_after: 5 minutes}\n"),
            "agent.yaml: haproxy.hard_stop_after: must be an HAProxy time (a number with us, ms, s, m, h or d), got "
            "\"5 minutes\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {tls: {min_version: TLSv1.1}}\n"),
            "agent.yaml: haproxy.tls.min_version: must be TLSv1.2 or TLSv1.3, got \"TLSv1.1\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {tls: {ciphers: \"A B\"}}\n"),
            "agent.yaml: haproxy.tls.ciphers: must be an OpenSSL cipher list (no spaces)");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {access_log: {target: kafka}}\n"),
            "agent.yaml: haproxy.access_log.target: must be one of file, syslog, stdout, none, got \"kafka\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {access_log: {file: /var/log/one.log}}\n"),
            "agent.yaml: haproxy.access_log.file: must be an absolute path with \"{pool}\" in it (each pool "
            "instance writes its own file), got \"/var/log/one.log\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {access_log: {target: syslog, facility: local9}}\n"),
            "agent.yaml: haproxy.access_log.facility: must be a syslog facility (local0 .. local7, daemon, ...), got "
            "\"local9\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {access_log: {target: syslog, address: \"log host\"}}\n"),
            "agent.yaml: haproxy.access_log.address: must be a unix socket path (/dev/log) or host:port (UDP), got "
            "\"log host\"");
  EXPECT_EQ(error("zookeeper: {connect: a}\nhaproxy: {tls: [x]}\n"), "agent.yaml: haproxy.tls: must be a mapping");
}

TEST(AgentConfig, DefaultsAreTheDocumentedOnes) {
  auto c = AgentConfig::from_yaml("zookeeper: {connect: a}\n");
  EXPECT_EQ(c.hard_stop_after, "30m");
  EXPECT_EQ(c.haproxy_limits.maxconn, 0u);  // derived when the agent starts
  EXPECT_EQ(c.tls, haproxy::TlsDefaults{});
  EXPECT_FALSE(c.tls.session_tickets);
  EXPECT_EQ(c.access_log.kind, haproxy::AccessLogSettings::Kind::kFile);
  EXPECT_EQ(c.access_log.file, "");
  EXPECT_EQ(c.access_log.max_bytes, 100u << 20);
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
