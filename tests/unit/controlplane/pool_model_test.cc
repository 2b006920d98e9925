// The typed pool model: every Edge-LB example reads, the schema's defaults are applied once,
// every field of the V2 schema (and fastPath, cloudProvider) lands where the agent will look
// for it, and a document that skipped validation is refused with the field's path.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "pool/pool_document.h"
#include "pool/pool_model.h"
#include "pool/pool_validator.h"
#include "pool/server_weight.h"

namespace edgelb::cp {
namespace {

using nlohmann::json;

PoolModel model_of(const std::string& fixture) {
  FieldErrors errors;
  auto doc = load_document_file(test::fixture_path("edgelb-pools/" + fixture), errors);
  if (!doc) throw std::runtime_error(fixture + ": " + join(errors));
  return PoolModel::from_json(*doc);
}

TEST(PoolModel, EveryEdgeLbExampleReads) {
  for (const std::string& path : test::fixture_files("edgelb-pools", ".json")) {
    FieldErrors errors;
    auto doc = load_document_file(path, errors);
    ASSERT_TRUE(doc) << path;
    ASSERT_EQ(validate_pool(*doc), FieldErrors{}) << path;
    EXPECT_NO_THROW(PoolModel::from_json(*doc)) << path;
  }
}

TEST(PoolModel, DefaultsAreAppliedOnce) {
  const PoolModel m = model_of("01-app-lb-simple-marathon.json");
  EXPECT_EQ(m.name, "app-lb");
  EXPECT_EQ(m.role, "slave_public");
  EXPECT_EQ(m.count, 1);
  EXPECT_EQ(m.stats_port, 9090u);
  ASSERT_EQ(m.frontends.size(), 1u);
  EXPECT_EQ(m.frontends[0].name, "frontend_0.0.0.0_80");
  EXPECT_EQ(m.frontends[0].bind_address, "");
  EXPECT_EQ(m.frontends[0].bind_port, 80u);
  EXPECT_EQ(m.frontends[0].protocol, PoolProtocol::kHttp);
  EXPECT_EQ(m.frontends[0].default_backend, "app-backend");
  ASSERT_EQ(m.backends.size(), 1u);
  ASSERT_EQ(m.backends[0].services.size(), 1u);
  const ServiceSelectorSpec& s = m.backends[0].services[0];
  EXPECT_EQ(s.service_id.exact, "/my-app");
  EXPECT_EQ(s.type, EndpointType::kAutoIp);
  EXPECT_EQ(s.port_name, "web");
  EXPECT_TRUE(s.marathon());
  EXPECT_FALSE(s.fixed_address());
  EXPECT_TRUE(m.vips.empty());
}

TEST(PoolModel, RoutingRulesRewritesAndMesosSelectors) {
  const PoolModel m = model_of("02-path-routing-rewrite.json");
  ASSERT_EQ(m.frontends[0].rules.size(), 1u);
  EXPECT_EQ(m.frontends[0].rules[0].backend, "nginx");
  EXPECT_EQ(m.frontends[0].rules[0].path_beg, "/nginx");
  EXPECT_FALSE(m.frontends[0].rules[0].host_eq);
  const Backend* nginx = m.backend("nginx");
  ASSERT_NE(nginx, nullptr);
  ASSERT_TRUE(nginx->rewrite_http);
  EXPECT_EQ(nginx->rewrite_http->from_path, "/nginx");
  EXPECT_EQ(nginx->rewrite_http->to_path, "/");
  EXPECT_EQ(nginx->services[0].framework_name.exact, "marathon");
  EXPECT_EQ(nginx->services[0].task_name.exact, "bridge-nginx");
  EXPECT_FALSE(nginx->services[0].marathon());
  EXPECT_TRUE(nginx->services[0].selects_tasks());
  EXPECT_EQ(m.backend("nope"), nullptr);
}

TEST(PoolModel, EveryFieldOfAFullPool) {
  const json pool = json::parse(R"J({
    "apiVersion": "V2", "name": "full", "role": "*", "constraints": "hostname:UNIQUE", "autoCertificate": true,
    "secrets": [{"secret": "web-tls", "file": "web.pem"}],
    "haproxy": {
      "stats": {"bindPort": 0, "bindAddress": "198.18.0.1"},
      "frontends": [
        {"name": "web", "bindAddress": "198.18.0.1", "bindPort": 443, "bindModifier": "alpn h2", "protocol": "HTTPS",
         "certificates": ["$AUTOCERT", "$SECRETS/web.pem"], "miscStrs": ["capture request header Host len 64"],
         "redirectToHttps": {"except": [{"host": "a.example", "pathBeg": "/health"}]},
         "linkBackend": {"defaultBackend": "app", "map": [
           {"hostEq": "a.example", "backend": "app"},
           {"hostReg": "^b\\.", "pathReg": "^/api/", "pathEnd": ".json", "backend": "app"}]}}],
      "backends": [
        {"name": "app", "protocol": "HTTP", "balance": "leastconn", "miscStrs": ["http-reuse safe"],
         "customCheck": {"httpchk": true, "httpchkMiscStr": "GET /health", "sslHelloChk": false, "miscStr": "x"},
         "rewriteHttp": {"host": "app.internal", "request": {"forwardfor": true, "xForwardedPort": false,
           "xForwardedProtoHttpsIfTls": true, "setHostHeader": true, "rewritePath": false},
           "response": {"rewriteLocation": true}, "sticky": {"customStr": "cookie SRV insert"}},
         "services": [
           {"marathon": {"serviceIDPattern": "^/prod/", "containerNamePattern": "web"},
            "endpoint": {"type": "CONTAINER_IP", "allPorts": true, "miscStr": "weight 20",
                         "check": {"enabled": true, "customStr": "inter 2s"}}},
           {"endpoint": {"type": "ADDRESS", "address": "api.example.com", "port": 443}}]}]},
    "fastPath": {"vips": [
      {"address": "198.18.0.10", "port": 80, "backend": "app", "forwarding": "NAT", "mssClamp": 1400,
       "healthCheck": {"type": "HTTP", "path": "/health", "intervalSeconds": 5, "timeoutSeconds": 2}},
      {"name": "dns", "address": "2001:db8::10", "port": 53, "protocol": "UDP", "forwarding": "GUE", "guePort": 6081,
       "services": [{"mesos": {"taskNamePattern": "^dns-"}, "endpoint": {"port": 53}}]}]},
    "cloudProvider": {"aws": {"elbs": [{"name": "web", "type": "NLB", "internal": true, "subnets": ["subnet-1"],
      "elasticIPs": ["eipalloc-1"], "listeners": [{"port": 443, "linkFrontend": "web"}],
      "tags": [{"key": "team", "value": "edge"}]}]}}
  })J");
  ASSERT_EQ(validate_pool(pool), FieldErrors{}) << join(validate_pool(pool));
  const PoolModel m = PoolModel::from_json(pool);
  EXPECT_EQ(m.role, "*");
  EXPECT_EQ(m.constraints, "hostname:UNIQUE");
  EXPECT_TRUE(m.auto_certificate);
  EXPECT_EQ(m.secrets, (std::vector<std::pair<std::string, std::string>>{{"web-tls", "web.pem"}}));
  EXPECT_EQ(m.stats_port, 0u);
  EXPECT_EQ(m.stats_address, "198.18.0.1");
  const Frontend& f = m.frontends.at(0);
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.bind_modifier, "alpn h2");
  EXPECT_EQ(f.protocol, PoolProtocol::kHttps);
  EXPECT_STREQ(haproxy_mode(f.protocol), "http");
  EXPECT_EQ(f.certificates, (std::vector<std::string>{"$AUTOCERT", "$SECRETS/web.pem"}));
  EXPECT_TRUE(f.redirect_to_https);
  ASSERT_EQ(f.redirect_except.size(), 1u);
  EXPECT_EQ(f.redirect_except[0].path_beg, "/health");
  ASSERT_EQ(f.rules.size(), 2u);
  EXPECT_EQ(f.rules[1].host_reg, "^b\\.");
  EXPECT_EQ(f.rules[1].path_end, ".json");
  EXPECT_EQ(f.misc.size(), 1u);
  const Backend& b = m.backends.at(0);
  EXPECT_EQ(b.balance, "leastconn");
  ASSERT_TRUE(b.custom_check);
  EXPECT_TRUE(b.custom_check->httpchk);
  EXPECT_EQ(b.custom_check->httpchk_misc, "GET /health");
  ASSERT_TRUE(b.rewrite_http);
  EXPECT_EQ(b.rewrite_http->host, "app.internal");
  EXPECT_EQ(b.rewrite_http->forwardfor, true);
  EXPECT_EQ(b.rewrite_http->x_forwarded_port, false);
  EXPECT_EQ(b.rewrite_http->rewrite_location, true);
  EXPECT_TRUE(b.rewrite_http->sticky);  // {} or without enabled: on, as Edge-LB documents
  EXPECT_EQ(b.rewrite_http->sticky_custom, "cookie SRV insert");
  ASSERT_EQ(b.services.size(), 2u);
  EXPECT_EQ(b.services[0].service_id.pattern, "^/prod/");
  EXPECT_EQ(b.services[0].type, EndpointType::kContainerIp);
  EXPECT_TRUE(b.services[0].all_ports);
  EXPECT_EQ(b.services[0].misc, "weight 20");
  EXPECT_EQ(b.services[0].check_enabled, true);
  EXPECT_TRUE(b.services[1].fixed_address());
  EXPECT_EQ(b.services[1].port, 443u);
  ASSERT_EQ(m.vips.size(), 2u);
  EXPECT_EQ(m.vips[0].name, "full-198.18.0.10-80-TCP");
  EXPECT_EQ(m.vips[0].forwarding, Forwarding::kNat);
  EXPECT_EQ(m.vips[0].mss_clamp, 1400u);
  EXPECT_EQ(m.vips[0].gue_port, 6080u);
  ASSERT_TRUE(m.vips[0].health_check);
  EXPECT_EQ(m.vips[0].health_check->type, VipHealthCheck::Type::kHttp);
  EXPECT_EQ(m.vips[0].health_check->unhealthy_threshold, 3u);
  EXPECT_EQ(&m.vip_services(m.vips[0]), &m.backends[0].services);
  EXPECT_EQ(m.vips[1].protocol, VipProtocol::kUdp);
  EXPECT_EQ(m.vips[1].gue_port, 6081u);
  EXPECT_EQ(m.vip_services(m.vips[1]).size(), 1u);
  ASSERT_EQ(m.cloud_load_balancers.size(), 1u);
  EXPECT_TRUE(m.cloud_load_balancers[0].internal);
  EXPECT_EQ(m.cloud_load_balancers[0].listeners, (std::vector<std::pair<uint32_t, std::string>>{{443, "web"}}));
}

TEST(PoolModel, UnvalidatedDocumentsAreRefusedWithThePath) {
  auto why = [](const char* text) {
    try {
      PoolModel::from_json(json::parse(text));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why(R"({"name":"p","haproxy":{"backends":[{"name":"b","services":[]}]}})"),
            "haproxy.backends[0].protocol: must be HTTP, HTTPS, TCP or TLS");
  EXPECT_EQ(why(R"({"name":"p","haproxy":{"backends":[{"name":"b","protocol":"TCP",
                "services":[{"endpoint":{"type":"ADDRESS","address":"a.example"}}]}]}})"),
            "haproxy.backends[0].services[0].endpoint: needs one of port, portName, allPorts");
  EXPECT_EQ(why(R"({"name":"p","fastPath":{"vips":[{"address":"198.18.0.1","port":1,"backend":"gone"}]}})"),
            "fastPath.vips[0].backend: no backend named \"gone\"");
  EXPECT_EQ(why(R"({"name":"p","haproxy":{"frontends":[{"bindPort":"80","protocol":"TCP"}]}})"),
            "haproxy.frontends[0].bindPort: must be an integer");
  EXPECT_EQ(why(R"([1,2])"), "a pool must be an object");
}

TEST(ServerWeight, OneReadingForTheValidatorTheModelAndThePlanner) {
  EXPECT_EQ(parse_server_weight("").weight, std::nullopt);
  EXPECT_EQ(parse_server_weight("maxconn 3").weight, std::nullopt);
  EXPECT_EQ(parse_server_weight("check weight 7").weight, 7u);
  EXPECT_EQ(parse_server_weight("weight 0").weight, 0u);
  EXPECT_EQ(parse_server_weight("weight 256 maxconn 9").weight, 256u);
  EXPECT_EQ(parse_server_weight("weight 3  weight\t9").weight, 9u);  // HAProxy: the last one counts
  EXPECT_EQ(parse_server_weight("check weight 7").error, "");
  // The validator and the planner once read "weight 10x" differently (10 and the default 1).
  EXPECT_EQ(parse_server_weight("weight 10x").error,
            "HAProxy server weight must be an integer from 0 to 256, not \"10x\"");
  EXPECT_EQ(parse_server_weight("weight -1").error,
            "HAProxy server weight must be an integer from 0 to 256, not \"-1\"");
  EXPECT_EQ(parse_server_weight("weight 257").error, "HAProxy server weight must be between 0 and 256");
  EXPECT_EQ(parse_server_weight("weight 99999999999").error, "HAProxy server weight must be between 0 and 256");
  EXPECT_EQ(parse_server_weight("check weight").error, "\"weight\" needs a value (an integer from 0 to 256)");
  EXPECT_EQ(parse_server_weight("weight 10x").weight, std::nullopt);
}

TEST(PoolModel, TypedWeightAndEnvironmentFiles) {
  json pool = json::parse(R"({"apiVersion":"V2","name":"p","environmentVariables":{"ELB_FILE_CERT":"pem","MODE":"x"},
    "haproxy":{"frontends":[{"bindPort":80,"protocol":"HTTP","linkBackend":{"defaultBackend":"b"}}],
    "backends":[{"name":"b","protocol":"HTTP","services":[
      {"marathon":{"serviceID":"/a"},"endpoint":{"portName":"web","miscStr":"check weight 12"}},
      {"marathon":{"serviceID":"/b"},"endpoint":{"portName":"web"}}]}]}})");
  ASSERT_EQ(validate_pool(pool), FieldErrors{});
  const PoolModel m = PoolModel::from_json(pool);
  EXPECT_EQ(m.backends[0].services[0].weight, 12u);
  EXPECT_EQ(m.backends[0].services[1].weight, kDefaultServerWeight);
  EXPECT_EQ(m.environment, (std::map<std::string, std::string>{{"ELB_FILE_CERT", "pem"}, {"MODE", "x"}}));
  EXPECT_EQ(m.env_files(), (std::map<std::string, std::string>{{"ELB_FILE_CERT", "pem"}}));
  pool["haproxy"]["backends"][0]["services"][0]["endpoint"]["miscStr"] = "weight 10x";
  EXPECT_EQ(validate_pool(pool),
            (FieldErrors{{"haproxy.backends[0].services[0].endpoint.miscStr",
                          "HAProxy server weight must be an integer from 0 to 256, not \"10x\""}}));
  try {
    PoolModel::from_json(pool);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "haproxy.backends[0].services[0].endpoint.miscStr: HAProxy server weight must be an integer from 0 to "
              "256, not \"10x\"");
  }
}

}  // namespace
}  // namespace edgelb::cp
