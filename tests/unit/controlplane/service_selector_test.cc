// Edge-LB service selection on the model: readiness, health, port mappings, unusable selectors,
// pools' backends and fastPath VIPs, and the regressions found with real cluster inputs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mesos/pool_endpoints.h"
#include "mesos/service_selector.h"
#include "mesos_test_support.h"

namespace edgelb::mesos {
namespace {

using namespace edgelb::mesos::testing;
using nlohmann::json;

ModelView one_task(const Task& t, const Agent& a) {
  ModelView v;
  v.tasks.push_back(std::make_shared<const Task>(t));
  v.agents.push_back(std::make_shared<const Agent>(a));
  auto f = std::make_shared<Framework>();
  f->id = t.framework_id;
  f->name = "marathon";
  v.frameworks.push_back(f);
  return v;
}

TEST(ServiceSelector, ReadinessHealthAndPortMappings) {
  Task t;
  t.framework_id = "fw";
  t.task_id = "web.instance-00000000-0000-4000-8000-000000000001._app.1";
  t.app_id = "/web";
  t.agent_id = "a";
  t.state = TaskState::kRunning;
  t.network = NetworkMode::kContainer;
  t.ip_addresses = {"198.19.0.5", "2001:db8::5"};
  t.ports = {{8080, "http", "tcp", true, "dcos"}, {9090, "admin", "tcp", true, "dcos"}};
  t.port_mappings = {{31001, 8080, "tcp"}};
  Agent a{"a", "agent-1.example", "198.18.0.1", 5051};
  const json sel = R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"http"}})"_json;
  auto render = [](const std::vector<Endpoint>& eps) {
    std::string s;
    for (const auto& e : eps) s += e.address + ":" + std::to_string(e.port) + (e.ready ? "" : "(not ready)") + " ";
    return s;
  };
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "198.19.0.5:8080 2001:db8::5:8080 ");
  // AGENT_IP on a container port: through the port mapping to the host port.
  EXPECT_EQ(render(ServiceSelector(
                       R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"http","type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, a))),
            "198.18.0.1:31001 ");
  // ... and none for a container port without a mapping.
  EXPECT_EQ(render(ServiceSelector(
                       R"({"marathon":{"serviceID":"/web"},"endpoint":{"portName":"admin","type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, a))),
            "");
  EXPECT_EQ(ServiceSelector(R"({"marathon":{"serviceID":"/web"},"endpoint":{"allPorts":true}})"_json)
                .endpoints(one_task(t, a))
                .size(),
            4u);
  // A health check without a report yet: not ready. Unhealthy: not ready. Healthy: ready.
  t.has_health_check = true;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a), true)),
            "198.19.0.5:8080(not ready) 2001:db8::5:8080(not ready) ");
  t.healthy = false;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  t.healthy = true;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "198.19.0.5:8080 2001:db8::5:8080 ");
  t.state = TaskState::kKilling;
  EXPECT_EQ(render(ServiceSelector(sel).endpoints(one_task(t, a))), "");
  // An agent without a known IP: its host name.
  t.state = TaskState::kRunning;
  Agent named{"a", "agent-1.example", "", 5051};
  EXPECT_EQ(render(ServiceSelector(R"({"marathon":{"serviceID":"/web"},"endpoint":{"port":80,"type":"AGENT_IP"}})"_json)
                       .endpoints(one_task(t, named))),
            "agent-1.example:80 ");
  // Patterns are unanchored; frameworkNamePattern looks the name up.
  EXPECT_TRUE(ServiceSelector(R"({"mesos":{"frameworkNamePattern":"ratho"},"endpoint":{"port":1}})"_json)
                  .selects(t, one_task(t, a)));
  EXPECT_FALSE(ServiceSelector(R"({"mesos":{"frameworkNamePattern":"^ratho"},"endpoint":{"port":1}})"_json)
                   .selects(t, one_task(t, a)));
}

TEST(ServiceSelector, UnusableSelectorsSayWhy) {
  auto why = [](const char* s) {
    try {
      ServiceSelector(json::parse(s));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why(R"({"endpoint":{"port":1}})"), "needs a marathon or mesos selector");
  EXPECT_EQ(why(R"({"marathon":{"serviceID":"/a"},"endpoint":{}})"), "endpoint: needs one of port, portName, allPorts");
  EXPECT_EQ(why(R"({"marathon":{"serviceID":"/a"},"endpoint":{"port":1,"type":"SOMEWHERE"}})"),
            "endpoint.type: unknown type \"SOMEWHERE\"");
  EXPECT_NE(why(R"({"marathon":{"serviceIDPattern":"("},"endpoint":{"port":1}})")
                .find("marathon.serviceIDPattern: invalid pattern"),
            std::string::npos);
}

TEST(PoolEndpoints, BackendsAndFastPathVips) {
  Fed f;
  ASSERT_EQ(f.feed(framed(stream_lines())), EventStream::Result::kOk);
  const json pool = R"({"name":"p","haproxy":{"backends":[
      {"name":"web","protocol":"TCP","services":[{"marathon":{"serviceID":"/docker-on-host"},"endpoint":{"portName":"http"}}]},
      {"name":"api","protocol":"TCP","services":[{"marathon":{"serviceID":"/ucr-on-host"},"endpoint":{"portName":"http"}},
                                {"marathon":{"serviceID":"/nothing"},"endpoint":{"portName":"http"}}]}]},
    "fastPath":{"vips":[{"address":"198.18.0.10","port":80,"backend":"web"},
                        {"address":"198.18.0.11","port":8080,"protocol":"TCP","services":[{"mesos":{"taskNamePattern":"^docker-on-dcos$"},"endpoint":{"portName":"http"}}]}]}})"_json;
  auto r = pool_endpoints(pool, f.model.snapshot());
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].path, "haproxy.backends[0].services[0]");
  EXPECT_EQ(r[0].backend, "web");
  ASSERT_EQ(r[0].endpoints.size(), 1u);
  EXPECT_EQ(r[0].endpoints[0].address + ":" + std::to_string(r[0].endpoints[0].port), "172.17.0.4:31168");
  EXPECT_EQ(r[1].endpoints[0].address, "172.17.0.3");
  EXPECT_TRUE(r[2].endpoints.empty());
  EXPECT_EQ(r[3].path, "fastPath.vips[0].services[0]");
  EXPECT_EQ(r[3].endpoints, r[0].endpoints);
  EXPECT_EQ(r[4].path, "fastPath.vips[1].services[0]");
  ASSERT_EQ(r[4].endpoints.size(), 1u);
  EXPECT_EQ(r[4].endpoints[0].address, "9.0.2.130");
  EXPECT_THROW(
      pool_endpoints(
          R"({"haproxy":{"backends":[{"name":"x","protocol":"TCP","services":[{"endpoint":{"port":1}}]}]}})"_json,
          f.model.snapshot()),
      std::invalid_argument);
}

TEST(RealInputRegression, AutoIpUsesTheVirtualNetworkNamedOnlyInTheStatus) {
  Fed f;
  const json http = json::array({{{"number", 8080}, {"name", "http"}, {"protocol", "tcp"}}});
  ASSERT_EQ(f.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           task_added("fw-sdk", "hello-0-server__4f3c1a2e-0000-4000-8000-000000000001",
                                      "hello-0-server", http, "dcos", "198.19.7.5")})),
            EventStream::Result::kOk);
  ModelView v = f.model.snapshot();
  ASSERT_EQ(v.tasks.size(), 1u);
  EXPECT_EQ(v.tasks[0]->network, NetworkMode::kContainer);
  EXPECT_EQ(v.tasks[0]->network_name, "dcos");
  const json sel =
      R"({"mesos":{"frameworkName":"hello-world","taskNamePattern":"^hello-.*-server$"},"endpoint":{"portName":"http"}})"_json;
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(v)), "198.19.7.5:8080/tcp CONTAINER_IP\n");
  // The same when the network arrives with a later TASK_UPDATED (TASK_ADDED is staged, no status).
  Fed g;
  json staged = json::parse(task_added("fw-sdk", "hello-1-server__0", "hello-1-server", http));
  staged["task_added"]["task"]["state"] = "TASK_STAGING";
  const std::string update =
      R"({"type":"TASK_UPDATED","task_updated":{"framework_id":{"value":"fw-sdk"},"state":"TASK_RUNNING",
      "status":{"task_id":{"value":"hello-1-server__0"},"state":"TASK_RUNNING","agent_id":{"value":"a1"},
      "container_status":{"network_infos":[{"name":"dcos","ip_addresses":[{"protocol":"IPv4","ip_address":"198.19.7.6"}]}]}}}})";
  ASSERT_EQ(g.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           staged.dump(), update})),
            EventStream::Result::kOk);
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(g.model.snapshot())), "198.19.7.6:8080/tcp CONTAINER_IP\n");
  // A host-network task reports its agent's IP with no network name: AUTO_IP stays AGENT_IP.
  Fed h;
  ASSERT_EQ(h.feed(framed({kEmptySubscribed, framework_added("fw-sdk", "hello-world"), agent_added("a1", "198.18.1.1"),
                           task_added("fw-sdk", "hello-2-server__0", "hello-2-server", http, "", "")})),
            EventStream::Result::kOk);
  EXPECT_EQ(endpoints_text(ServiceSelector(sel).endpoints(h.model.snapshot())), "198.18.1.1:8080/tcp AGENT_IP\n");
}

TEST(RealInputRegression, OnlyMarathonFrameworkTasksHaveMarathonAppIds) {
  Fed f;
  const json http = json::array({{{"number", 31000}, {"name", "http"}, {"protocol", "tcp"}}});
  ASSERT_EQ(f.feed(framed(
                {kEmptySubscribed, agent_added("a1", "198.18.1.1"),
                 // Tasks before their framework: ids appear once the framework is known.
                 task_added("fw-m", "web.instance-00000000-0000-4000-8000-000000000001._app.1", "web", http),
                 framework_added("fw-m", "marathon"), framework_added("fw-sdk", "kafka"),
                 task_added("fw-sdk", "kafka-0-broker__4f3c1a2e-0000-4000-8000-000000000001", "kafka-0-broker", http),
                 framework_added("fw-mom", "marathon-user"),
                 task_added("fw-mom", "team_api.instance-00000000-0000-4000-8000-000000000002._app.1", "api", http)})),
            EventStream::Result::kOk);
  ModelView v = f.model.snapshot();
  std::map<std::string, std::string> app;
  for (const auto& t : v.tasks) app[t->name] = t->app_id;
  EXPECT_EQ(app["web"], "/web");
  EXPECT_EQ(app["kafka-0-broker"], "");  // would parse as "/kafka-0-broker/" if read as Marathon's
  EXPECT_EQ(app["api"], "/team/api");
  const json broad = R"({"marathon":{"serviceIDPattern":".*"},"endpoint":{"portName":"http"}})"_json;
  std::set<std::string> selected;
  for (const auto& e : ServiceSelector(broad).endpoints(v)) selected.insert(e.task_name);
  EXPECT_EQ(selected, (std::set<std::string>{"web", "api"}));
}

TEST(RealInputRegression, ProtocolsAreKeptApartAndEndpointsAreNotDuplicated) {
  Fed f;
  const json ports = json::array({{{"number", 53}, {"name", "dns"}, {"protocol", "tcp"}},
                                  {{"number", 53}, {"name", "dns"}, {"protocol", "udp"}},
                                  {{"number", 8125}, {"name", "statsd"}, {"protocol", "udp"}},
                                  {{"number", 5353}, {"name", "mdns"}, {"protocol", "udp,tcp"}}});
  ASSERT_EQ(
      f.feed(framed({kEmptySubscribed, framework_added("fw-m", "marathon"), agent_added("a1", "198.18.1.1"),
                     task_added("fw-m", "dns.instance-00000000-0000-4000-8000-000000000001._app.1", "dns", ports)})),
      EventStream::Result::kOk);
  const json pool = R"({"name":"p","haproxy":{"backends":[
      {"name":"dns-tcp","protocol":"TCP","services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"portName":"dns"}}]},
      {"name":"all","protocol":"TCP","services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"allPorts":true}}]}]},
    "fastPath":{"vips":[{"address":"198.18.0.10","port":53,"protocol":"UDP","backend":"dns-tcp"},
                        {"address":"198.18.0.10","port":8125,"protocol":"UDP",
                         "services":[{"marathon":{"serviceID":"/dns"},"endpoint":{"portName":"statsd"}}]}]}})"_json;
  auto r = pool_endpoints(pool, f.model.snapshot());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(endpoints_text(r[0].endpoints), "198.18.1.1:53/tcp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[1].endpoints), "198.18.1.1:53/tcp AGENT_IP\n198.18.1.1:5353/tcp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[2].endpoints), "198.18.1.1:53/udp AGENT_IP\n");
  EXPECT_EQ(endpoints_text(r[3].endpoints), "198.18.1.1:8125/udp AGENT_IP\n");
}

TEST(RealInputRegression, AddressEndpointWithoutSelectorIsOneFixedServer) {
  const json pool = R"({"name":"p","haproxy":{"backends":[{"name":"ext","protocol":"TCP","services":[
      {"endpoint":{"type":"ADDRESS","address":"api.example.com","port":443}},
      {"endpoint":{"type":"ADDRESS","address":"2001:db8::10","port":8443}}]}]}})"_json;
  auto r = pool_endpoints(pool, ModelView{});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(endpoints_text(r[0].endpoints), "api.example.com:443/tcp ADDRESS\n");
  ASSERT_EQ(r[1].endpoints.size(), 1u);
  EXPECT_TRUE(r[1].endpoints[0].ipv6);
  EXPECT_TRUE(r[1].endpoints[0].ready);
  EXPECT_THROW(ServiceSelector(R"({"endpoint":{"type":"ADDRESS","address":"a.example","portName":"http"}})"_json),
               std::invalid_argument);
}

}  // namespace
}  // namespace edgelb::mesos
