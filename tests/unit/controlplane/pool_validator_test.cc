// Pool configuration: every shared Edge-LB example is accepted, YAML reads like JSON, and
// malformed configs are rejected with the exact path and reason of every problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "pool/pool_document.h"
#include "pool/pool_schema.h"
#include "pool/pool_validator.h"

namespace edgelb {
void PrintTo(const FieldError& e, std::ostream* os) { *os << "{\"" << e.path << "\", \"" << e.reason << "\"}"; }
}  // namespace edgelb

namespace edgelb::cp {
namespace {

using nlohmann::json;

std::vector<std::string> fixture_files() { return test::fixture_files("edgelb-pools", ".json"); }

TEST(PoolFixtures, EverySharedExampleIsAccepted) {
  auto files = fixture_files();
  ASSERT_GE(files.size(), 8u);
  for (const auto& f : files) {
    FieldErrors errors;
    auto doc = load_document_file(f, errors);
    ASSERT_TRUE(doc) << f << ": " << join(errors);
    EXPECT_EQ(validate_pool(*doc), FieldErrors{}) << f << ": " << join(validate_pool(*doc));
  }
}

// A YAML rendering of each fixture parses to the same document.
std::string to_yaml(const json& j, int indent = 0) {
  std::string pad(indent, ' ');
  std::string out;
  if (j.is_object()) {
    if (j.empty()) return pad + "{}\n";
    for (auto it = j.begin(); it != j.end(); ++it) {
      const json& v = it.value();
      if ((v.is_object() && !v.empty()) || (v.is_array() && !v.empty()))
        out += pad + it.key() + ":\n" + to_yaml(v, indent + 2);
      else
        out += pad + it.key() + ": " + (v.is_object() ? "{}" : v.is_array() ? "[]" : v.dump()) + "\n";
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      std::string item = to_yaml(v, indent + 2);
      item.replace(indent, 2, "- ");
      out += item;
    }
  } else {
    out = pad + j.dump() + "\n";
  }
  return out;
}

TEST(PoolFixtures, YamlAndJsonReadTheSame) {
  for (const auto& f : fixture_files()) {
    FieldErrors errors;
    auto doc = load_document_file(f, errors);
    ASSERT_TRUE(doc);
    auto yaml = parse_document(to_yaml(*doc), DocumentFormat::kYaml, errors);
    ASSERT_TRUE(yaml) << f << ": " << join(errors) << "\n" << to_yaml(*doc);
    EXPECT_EQ(*yaml, *doc) << f;
  }
}

TEST(PoolDocument, YamlScalarsGetCoreSchemaTypes) {
  FieldErrors errors;
  auto doc =
      parse_document("a: 80\nb: \"80\"\nc: true\nd: ~\ne: 1.5\nf: web\ng: 'true'\n", DocumentFormat::kAuto, errors);
  ASSERT_TRUE(doc) << join(errors);
  EXPECT_EQ((*doc)["a"], 80);
  EXPECT_EQ((*doc)["b"], "80");
  EXPECT_EQ((*doc)["c"], true);
  EXPECT_TRUE((*doc)["d"].is_null());
  EXPECT_EQ((*doc)["e"], 1.5);
  EXPECT_EQ((*doc)["f"], "web");
  EXPECT_EQ((*doc)["g"], "true");
}

// Found by fuzz_pool_render: seven lines of YAML anchors and aliases expand to 10^7 nodes and
// took the parser (and an apiserver taking the pool) down. Aliases stay usable within reason.
TEST(PoolDocument, YamlAliasBombsAreRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'g'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [" + [&] {
      std::string refs;
      for (int i = 0; i < 10; ++i) refs += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
      return refs;
    }() + "]\n";
  FieldErrors errors;
  EXPECT_FALSE(parse_document(bomb, DocumentFormat::kYaml, errors));
  EXPECT_EQ(errors, (FieldErrors{{"d[0]", "YAML aliases expand the document beyond its size (line 4)"}}));
  errors.clear();
  auto doc = parse_document("base: &b {protocol: HTTP}\nx: *b\ny: *b\n", DocumentFormat::kYaml, errors);
  ASSERT_TRUE(doc) << join(errors);
  EXPECT_EQ((*doc)["y"]["protocol"], "HTTP");
  std::string deep(100, '[');
  EXPECT_FALSE(parse_document("a: " + deep + std::string(100, ']') + "\n", DocumentFormat::kYaml, errors));
}

// Also found by fuzz_pool_render: yaml-cpp 0.7's LoadAll never returns on `"a",`
// (jbeder/yaml-cpp#1040), and YAML text that is not UTF-8 reached the store, whose JSON
// serialisation throws on it. Both are refused with a reason now.
TEST(PoolDocument, YamlThatHungOrCrashedIsRefused) {
  for (const char* text : {"\"a\",", "[a],", ",", "'a' ,"}) {
    FieldErrors errors;
    EXPECT_FALSE(parse_document(text, DocumentFormat::kYaml, errors)) << text;
    EXPECT_FALSE(errors.empty()) << text;
  }
  FieldErrors errors;
  EXPECT_FALSE(parse_document("name: \"web\xff\"\n", DocumentFormat::kYaml, errors));
  EXPECT_EQ(errors, (FieldErrors{{"name", "text must be UTF-8 (line 1)"}}));
  errors.clear();
  auto doc = parse_document("k: &k name\nm: {*k : web, \"\u00e9t\u00e9\": x}\n", DocumentFormat::kYaml, errors);
  ASSERT_TRUE(doc) << join(errors);
  EXPECT_EQ((*doc)["m"]["name"], "web");
}

TEST(PoolDocument, DuplicateKeysAndSyntaxErrorsAreReported) {
  FieldErrors errors;
  EXPECT_FALSE(parse_document(R"({"name": "a", "haproxy": {"frontends": [{"bindPort": 1, "bindPort": 2}]}})",
                              DocumentFormat::kAuto, errors));
  EXPECT_EQ(errors, (FieldErrors{{"haproxy.frontends[0].bindPort", "duplicate key"}}));
  errors.clear();
  EXPECT_FALSE(parse_document("name: a\nname: b\n", DocumentFormat::kAuto, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "name");
  errors.clear();
  EXPECT_FALSE(parse_document("{\n\"name\": \"a\",\n}", DocumentFormat::kAuto, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("invalid JSON at line 3"), std::string::npos) << errors[0].reason;
  errors.clear();
  EXPECT_FALSE(parse_document("name: [a\n", DocumentFormat::kAuto, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("invalid YAML"), std::string::npos);
}

// ---- malformed configs --------------------------------------------------------------------

json base_pool() {
  return json::parse(R"({
    "apiVersion": "V2", "name": "web", "count": 1,
    "haproxy": {
      "frontends": [{"bindPort": 80, "protocol": "HTTP", "linkBackend": {"defaultBackend": "app",
                     "map": [{"hostEq": "a.example", "backend": "app"}]}}],
      "backends": [{"name": "app", "protocol": "HTTP",
                    "services": [{"marathon": {"serviceID": "/app"}, "endpoint": {"portName": "web"}}]},
                   {"name": "raw", "protocol": "TCP",
                    "services": [{"mesos": {"frameworkName": "kafka"}, "endpoint": {"port": 9092}}]}]
    }
  })");
}

struct Case {
  const char* name;
  const char* patch;  // JSON Patch (RFC 6902) applied to base_pool()
  FieldErrors expected;
};

const Case kCases[] = {
    {"wrong_api_version",
     R"([{"op":"replace","path":"/apiVersion","value":"V1"}])",
     {{"apiVersion", "must be one of V2, got \"V1\""}}},
    {"missing_name", R"([{"op":"remove","path":"/name"}])", {{"name", "required"}}},
    {"bad_pool_name",
     R"([{"op":"replace","path":"/name","value":"Web_1"}])",
     {{"name",
       "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 "
       "characters"}}},
    {"count_string", R"([{"op":"replace","path":"/count","value":"1"}])", {{"count", "must be integer, got string"}}},
    {"count_negative",
     R"([{"op":"replace","path":"/count","value":-1}])",
     {{"count", "must be between 0 and 2147483647, got -1"}}},
    {"count_float", R"([{"op":"replace","path":"/count","value":1.5}])", {{"count", "must be an integer, got 1.500"}}},
    {"mem_too_big",
     R"([{"op":"add","path":"/mem","value":4294967296}])",
     {{"mem", "must be between 0 and 2147483647, got 4294967296"}}},
    {"cpus_negative", R"([{"op":"add","path":"/cpus","value":-0.5}])", {{"cpus", "must be at least 0, got -0.500"}}},
    {"unknown_top_field", R"([{"op":"add","path":"/colour","value":"blue"}])", {{"colour", "unknown field"}}},
    {"unknown_field_hint",
     R"([{"op":"add","path":"/haproxy/frontends/0/bindport","value":81}])",
     {{"haproxy.frontends[0].bindport", "unknown field (did you mean bindPort?)"}}},
    {"autocert_not_bool",
     R"([{"op":"add","path":"/autoCertificate","value":"yes"}])",
     {{"autoCertificate", "must be boolean, got string"}}},
    {"env_value_not_string",
     R"([{"op":"add","path":"/environmentVariables","value":{"A":1}}])",
     {{"environmentVariables.A", "must be string, got number"}}},
    {"null_for_non_nullable", R"([{"op":"add","path":"/role","value":null}])", {{"role", "must be string, not null"}}},
    {"bind_port_range",
     R"([{"op":"replace","path":"/haproxy/frontends/0/bindPort","value":70000}])",
     {{"haproxy.frontends[0].bindPort", "must be between 0 and 65535, got 70000"}}},
    {"frontend_protocol",
     R"([{"op":"replace","path":"/haproxy/frontends/0/protocol","value":"http"}])",
     {{"haproxy.frontends[0].protocol", "must be one of HTTP, HTTPS, TCP, TLS, got \"http\""}}},
    {"missing_bind_port",
     R"([{"op":"remove","path":"/haproxy/frontends/0/bindPort"}])",
     {{"haproxy.frontends[0].bindPort", "required"}}},
    {"duplicate_bind",
     R"([{"op":"add","path":"/haproxy/frontends/-","value":{"bindPort":80,"bindAddress":"198.18.0.1","protocol":"HTTP","linkBackend":{"defaultBackend":"app"}}}])",
     {{"haproxy.frontends[1].bindPort", "bind 198.18.0.1:80 overlaps haproxy.frontends[0]"}}},
    {"duplicate_frontend_name",
     R"([{"op":"add","path":"/haproxy/frontends/0/name","value":"f"},{"op":"add","path":"/haproxy/frontends/-","value":{"name":"f","bindPort":81,"protocol":"HTTP","linkBackend":{"defaultBackend":"app"}}}])",
     {{"haproxy.frontends[1].name", "frontend name \"f\" is also used by haproxy.frontends[0]"}}},
    {"stats_port_clash",
     R"([{"op":"add","path":"/haproxy/stats","value":{"bindPort":80}}])",
     {{"haproxy.stats.bindPort", "port 80 is also bound by haproxy.frontends[0]"}}},
    {"bind_address_star",
     R"([{"op":"add","path":"/haproxy/frontends/0/bindAddress","value":"*"}])",
     {{"haproxy.frontends[0].bindAddress",
       "must be an IP address or a host name: no '*', '[', ']', spaces or other symbols (it becomes part of the "
       "frontend name)"}}},
    // Nothing from a pool may leave its line of haproxy.cfg.
    {"misc_str_newline",
     R"([{"op":"add","path":"/haproxy/backends/0/miscStrs","value":["timeout server 5s\nlisten evil"]}])",
     {{"haproxy.backends[0].miscStrs[0]", "must not contain control characters (newline, carriage return, tab, ...)"}}},
    {"host_carriage_return",
     R"([{"op":"replace","path":"/haproxy/frontends/0/linkBackend/map/0/hostEq","value":"a.example\r"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].hostEq",
       "must not contain control characters (newline, carriage return, tab, ...)"}}},
    // environmentVariables never become a line of haproxy.cfg: an ELB_FILE_ value is a file
    // (a PEM keeps its line breaks, see fixture 20), but no environment value holds a NUL and
    // no name a control character.
    {"env_value_nul",
     R"([{"op":"add","path":"/environmentVariables","value":{"ELB_FILE_X":"a\u0000b"}}])",
     {{"environmentVariables.ELB_FILE_X", "must not contain a NUL character"}}},
    {"env_name_newline",
     R"([{"op":"add","path":"/environmentVariables","value":{"A\nB":"x"}}])",
     {{"environmentVariables.A\nB", "key must not contain control characters"}}},
    {"path_single_quote",
     R"([{"op":"add","path":"/haproxy/frontends/0/linkBackend/map/0/pathBeg","value":"/a' if TRUE"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].pathBeg",
       "must not contain a single quote (the value is written single-quoted)"}}},
    {"backend_name_symbols",
     R"([{"op":"add","path":"/haproxy/backends/-","value":{"name":"b #x","protocol":"HTTP","services":[]}}])",
     {{"haproxy.backends[2].name", "HAProxy names may use only letters, digits, '_', '.', ':' and '-'"}}},
    {"path_rule_on_tcp_frontend",
     R"([{"op":"replace","path":"/haproxy/frontends/0/protocol","value":"TCP"},{"op":"add","path":"/haproxy/frontends/0/linkBackend/map/0/pathBeg","value":"/x"},{"op":"replace","path":"/haproxy/backends/0/protocol","value":"TCP"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].pathBeg",
       "needs an HTTP or HTTPS frontend (TCP carries no HTTP path)"}}},
    {"frontend_name_slash",
     R"([{"op":"add","path":"/haproxy/frontends/0/name","value":"a/b"}])",
     {{"haproxy.frontends[0].name", "HAProxy names may use only letters, digits, '_', '.', ':' and '-'"}}},
    {"link_missing_backend",
     R"([{"op":"replace","path":"/haproxy/frontends/0/linkBackend/defaultBackend","value":"nope"}])",
     {{"haproxy.frontends[0].linkBackend.defaultBackend", "no backend named \"nope\" in haproxy.backends"}}},
    {"map_missing_backend",
     R"([{"op":"replace","path":"/haproxy/frontends/0/linkBackend/map/0/backend","value":"gone"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].backend", "no backend named \"gone\" in haproxy.backends"}}},
    {"map_rule_without_condition",
     R"([{"op":"remove","path":"/haproxy/frontends/0/linkBackend/map/0/hostEq"}])",
     {{"haproxy.frontends[0].linkBackend.map[0]", "needs at least one of hostEq, hostReg, pathBeg, pathEnd, pathReg"}}},
    {"host_eq_uppercase",
     R"([{"op":"replace","path":"/haproxy/frontends/0/linkBackend/map/0/hostEq","value":"A.example"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].hostEq",
       "must be lowercase (HAProxy compares the lowercased Host header)"}}},
    {"bad_path_regex",
     R"([{"op":"add","path":"/haproxy/frontends/0/linkBackend/map/0/pathReg","value":"^/(api"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].pathReg",
       "invalid regular expression (PCRE2 offset 6: missing closing parenthesis)"}}},
    {"bad_host_regex",
     R"([{"op":"add","path":"/haproxy/frontends/0/linkBackend/map/0/hostReg","value":"*.example"}])",
     {{"haproxy.frontends[0].linkBackend.map[0].hostReg",
       "invalid regular expression (PCRE2 offset 0: quantifier does not follow a repeatable item)"}}},
    {"mode_mismatch",
     R"([{"op":"replace","path":"/haproxy/frontends/0/linkBackend/defaultBackend","value":"raw"}])",
     {{"haproxy.frontends[0].linkBackend.defaultBackend",
       "backend \"raw\" is mode tcp but this HTTP frontend is mode http (HAProxy refuses it)"}}},
    {"https_without_certificate",
     R"([{"op":"replace","path":"/haproxy/frontends/0/protocol","value":"HTTPS"}])",
     {{"haproxy.frontends[0].certificates", "HTTPS frontends need at least one certificate"}}},
    {"autocert_not_enabled",
     R"([{"op":"add","path":"/haproxy/frontends/0/certificates","value":["$AUTOCERT"]}])",
     {{"haproxy.frontends[0].certificates[0]", "$AUTOCERT needs autoCertificate: true"}}},
    {"secret_file_unknown",
     R"([{"op":"add","path":"/haproxy/frontends/0/certificates","value":["$SECRETS/web.pem"]}])",
     {{"haproxy.frontends[0].certificates[0]", "no secrets[] entry has file \"web.pem\""}}},
    {"envfile_unknown",
     R"([{"op":"add","path":"/haproxy/frontends/0/certificates","value":["$ENVFILE/ELB_FILE_X"]}])",
     {{"haproxy.frontends[0].certificates[0]",
       "no environmentVariables entry named \"ELB_FILE_X\" (must start with ELB_FILE_)"}}},
    {"certificate_garbage",
     R"([{"op":"add","path":"/haproxy/frontends/0/certificates","value":["/etc/ssl/x.pem"]}])",
     {{"haproxy.frontends[0].certificates[0]", "must be $AUTOCERT, $SECRETS/<file> or $ENVFILE/<ELB_FILE_name>"}}},
    {"redirect_except_empty",
     R"([{"op":"add","path":"/haproxy/frontends/0/redirectToHttps","value":{"except":[{}]}}])",
     {{"haproxy.frontends[0].redirectToHttps.except[0]", "needs host and/or pathBeg"}}},
    {"duplicate_backend",
     R"([{"op":"replace","path":"/haproxy/backends/1/name","value":"app"},{"op":"replace","path":"/haproxy/backends/1/protocol","value":"HTTP"}])",
     {{"haproxy.backends[1].name", "duplicate of haproxy.backends[0].name"}}},
    {"backend_protocol_missing",
     R"([{"op":"remove","path":"/haproxy/backends/1/protocol"}])",
     {{"haproxy.backends[1].protocol", "required"}}},
    {"balance_unknown",
     R"([{"op":"add","path":"/haproxy/backends/0/balance","value":"fastest"}])",
     {{"haproxy.backends[0].balance", "unknown HAProxy balance algorithm \"fastest\""}}},
    {"rewrite_path_half",
     R"([{"op":"add","path":"/haproxy/backends/0/rewriteHttp","value":{"path":{"fromPath":"/a"}}}])",
     {{"haproxy.backends[0].rewriteHttp.path", "needs both fromPath and toPath"}}},
    {"sticky_enabled_string",
     R"([{"op":"add","path":"/haproxy/backends/0/rewriteHttp","value":{"sticky":{"enabled":"yes"}}}])",
     {{"haproxy.backends[0].rewriteHttp.sticky.enabled", "must be boolean, got string"}}},
    {"selector_empty",
     R"([{"op":"remove","path":"/haproxy/backends/0/services/0/marathon"}])",
     {{"haproxy.backends[0].services[0]", "needs a marathon or mesos selector (or endpoint.type ADDRESS)"}}},
    {"address_without_selector_needs_port",
     R"([{"op":"replace","path":"/haproxy/backends/0/services/0","value":{"endpoint":{"type":"ADDRESS","address":"api.example.com","portName":"web"}}}])",
     {{"haproxy.backends[0].services[0].endpoint.port",
       "required with type ADDRESS and no selector (there is no task to name ports)"}}},
    // cloudProvider (Edge-LB cloud connector)
    {"cloud_unknown_frontend",
     R"([{"op":"add","path":"/cloudProvider","value":{"aws":{"elbs":[{"name":"web","type":"NLB","listeners":[{"port":80,"linkFrontend":"nope"}]}]}}}])",
     {{"cloudProvider.aws.elbs[0].listeners[0].linkFrontend", "no frontend named \"nope\" in haproxy.frontends"}}},
    {"cloud_type",
     R"([{"op":"add","path":"/cloudProvider","value":{"aws":{"elbs":[{"name":"web","type":"ALB","listeners":[{"port":80,"linkFrontend":"frontend_0.0.0.0_80"}]}]}}}])",
     {{"cloudProvider.aws.elbs[0].type", "must be one of NLB, got \"ALB\""}}},
    {"cloud_name_and_listeners",
     R"([{"op":"add","path":"/cloudProvider","value":{"aws":{"elbs":[{"name":"-web_1","type":"NLB","listeners":[]},{"type":"NLB","listeners":[{"port":80,"linkFrontend":"frontend_0.0.0.0_80"},{"port":80,"linkFrontend":"frontend_0.0.0.0_80"}]}]}}}])",
     {{"cloudProvider.aws.elbs[0].name",
       "must be at most 32 letters, digits and '-', not starting or ending with '-' (AWS)"},
      {"cloudProvider.aws.elbs[0].listeners", "needs at least one listener"},
      {"cloudProvider.aws.elbs[1].name", "required"},
      {"cloudProvider.aws.elbs[1].listeners[1].port", "duplicate of listeners[0].port"}}},
    {"cloud_unknown_field",
     R"([{"op":"add","path":"/cloudProvider","value":{"gcp":{}}}])",
     {{"cloudProvider.gcp", "unknown field"}}},
    {"endpoint_type",
     R"([{"op":"add","path":"/haproxy/backends/0/services/0/endpoint/type","value":"VIP"}])",
     {{"haproxy.backends[0].services[0].endpoint.type",
       "must be one of AUTO_IP, AGENT_IP, CONTAINER_IP, ADDRESS, got \"VIP\""}}},
    {"endpoint_two_ports",
     R"([{"op":"add","path":"/haproxy/backends/0/services/0/endpoint/port","value":80}])",
     {{"haproxy.backends[0].services[0].endpoint", "port, portName and allPorts exclude each other"}}},
    {"endpoint_no_port",
     R"([{"op":"remove","path":"/haproxy/backends/0/services/0/endpoint/portName"}])",
     {{"haproxy.backends[0].services[0].endpoint", "needs one of port, portName, allPorts"}}},
    {"endpoint_address_without_type",
     R"([{"op":"add","path":"/haproxy/backends/0/services/0/endpoint/address","value":"198.18.0.1"}])",
     {{"haproxy.backends[0].services[0].endpoint.address", "only allowed with type ADDRESS"}}},
    {"endpoint_port_zero",
     R"([{"op":"replace","path":"/haproxy/backends/1/services/0/endpoint/port","value":0}])",
     {{"haproxy.backends[1].services[0].endpoint.port", "must be between 1 and 65535, got 0"}}},
    {"weight_too_big",
     R"([{"op":"add","path":"/haproxy/backends/0/services/0/endpoint/miscStr","value":"check weight 300"}])",
     {{"haproxy.backends[0].services[0].endpoint.miscStr", "HAProxy server weight must be between 0 and 256"}}},
    {"task_name_pattern_bad",
     R"([{"op":"add","path":"/haproxy/backends/1/services/0/mesos/taskNamePattern","value":"broker-[0-9"}])",
     {{"haproxy.backends[1].services[0].mesos.taskNamePattern",
       "invalid regular expression (PCRE2 offset 11: missing terminating ] for character class)"}}},
    {"exact_and_pattern",
     R"([{"op":"add","path":"/haproxy/backends/0/services/0/marathon/serviceIDPattern","value":"^/app.*"}])",
     {{"haproxy.backends[0].services[0].marathon.serviceIDPattern", "given together with serviceID; use one"}}},
    {"secret_without_file",
     R"([{"op":"add","path":"/secrets","value":[{"secret":"tls"}]}])",
     {{"secrets[0].file", "required"}}},
    {"secret_duplicate_file",
     R"([{"op":"add","path":"/secrets","value":[{"secret":"a","file":"x"},{"secret":"b","file":"x"}]}])",
     {{"secrets[1].file", "duplicate of secrets[0].file"}}},
    {"ports_duplicate",
     R"([{"op":"add","path":"/ports","value":[80,443,80]}])",
     {{"ports[2]", "duplicate of ports[0]"}}},
    {"alias_and_canonical",
     R"([{"op":"add","path":"/poolhealthcheckTimeout","value":5},{"op":"add","path":"/poolHealthcheckTimeout","value":5}])",
     {{"poolHealthcheckTimeout", "given together with poolhealthcheckTimeout (the same field)"}}},
    {"many_problems_at_once",
     R"([{"op":"replace","path":"/count","value":"x"},{"op":"replace","path":"/haproxy/backends/0/protocol","value":7}])",
     {{"count", "must be integer, got string"}, {"haproxy.backends[0].protocol", "must be string, got number"}}},
    // fastPath
    {"vip_bad_address",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.300","port":80,"backend":"app"}]}}])",
     {{"fastPath.vips[0].address", "must be an IPv4 or IPv6 address, got \"198.18.0.300\""}}},
    {"vip_multicast",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"239.1.1.1","port":80,"backend":"app"}]}}])",
     {{"fastPath.vips[0].address", "must be a unicast, non-loopback address"}}},
    {"vip_forwarding",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app","forwarding":"SNAT"}]}}])",
     {{"fastPath.vips[0].forwarding", "must be one of DSR, IPIP, GUE, NAT, got \"SNAT\""}}},
    {"vip_backend_and_services",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app","services":[]}]}}])",
     {{"fastPath.vips[0]", "needs exactly one of backend, services"},
      {"fastPath.vips[0].services", "must not be empty"}}},
    {"vip_unknown_backend",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"2001:db8::10","port":443,"backend":"nope"}]}}])",
     {{"fastPath.vips[0].backend", "no backend named \"nope\" in haproxy.backends"}}},
    {"vip_duplicate",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app"},{"address":"198.18.0.10","port":80,"backend":"raw","protocol":"TCP"}]}}])",
     {{"fastPath.vips[1]", "same address, port and protocol as fastPath.vips[0]"}}},
    {"vip_mss_without_nat",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app","mssClamp":1400}]}}])",
     {{"fastPath.vips[0].mssClamp", "only with forwarding NAT, IPIP or GUE"}}},
    {"vip_health_timeout",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app","healthCheck":{"type":"HTTP","path":"health","intervalSeconds":2,"timeoutSeconds":2}}]}}])",
     {{"fastPath.vips[0].healthCheck.path", "must start with /"},
      {"fastPath.vips[0].healthCheck.timeoutSeconds", "must be less than intervalSeconds"}}},
    {"vip_clashes_with_frontend",
     R"([{"op":"add","path":"/haproxy/frontends/0/bindAddress","value":"198.18.0.10"},{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","port":80,"backend":"app"}]}}])",
     {{"fastPath.vips[0]", "haproxy.frontends[0] binds the same address and port"}}},
    {"vip_port_missing",
     R"([{"op":"add","path":"/fastPath","value":{"vips":[{"address":"198.18.0.10","backend":"app"}]}}])",
     {{"fastPath.vips[0].port", "required"}}},
};

class Malformed : public ::testing::TestWithParam<Case> {};

TEST_P(Malformed, RejectedWithExactPaths) {
  const Case& c = GetParam();
  json pool = base_pool().patch(json::parse(c.patch));
  EXPECT_EQ(validate_pool(pool), c.expected) << join(validate_pool(pool));
}

INSTANTIATE_TEST_SUITE_P(Pool, Malformed, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PoolValidator, BaseAndFullFeaturedPoolsAreValid) {
  EXPECT_EQ(validate_pool(base_pool()), FieldErrors{});
  json pool = base_pool().patch(json::parse(R"J([
    {"op":"add","path":"/autoCertificate","value":true},
    {"op":"add","path":"/poolHealthcheckTimeout","value":5},
    {"op":"add","path":"/secrets","value":[{"secret":"web-tls","file":"web.pem"}]},
    {"op":"add","path":"/environmentVariables","value":{"ELB_FILE_CERT":"-----BEGIN..."}},
    {"op":"add","path":"/virtualNetworks","value":[{"name":"dcos","labels":{"a":"b"}}]},
    {"op":"add","path":"/haproxy/frontends/-","value":{"bindPort":443,"protocol":"HTTPS",
       "certificates":["$AUTOCERT","$SECRETS/web.pem","$ENVFILE/ELB_FILE_CERT"],
       "redirectToHttps":{"except":[{"host":"a.example","pathBeg":"/health"}]},
       "linkBackend":{"defaultBackend":"app","map":[{"hostReg":"^(a|b)\\.example$","pathReg":"^/api/.*","backend":"app"}]}}},
    {"op":"add","path":"/haproxy/frontends/-","value":{"bindPort":9092,"protocol":"TCP","linkBackend":{"defaultBackend":"raw"}}},
    {"op":"add","path":"/haproxy/stats","value":{"bindPort":0}},
    {"op":"add","path":"/haproxy/backends/0/rewriteHttp","value":{"host":"x","path":{"fromPath":"/a","toPath":"/"},
       "request":{"forwardfor":true,"xForwardedPort":null},"sticky":{}}},
    {"op":"add","path":"/haproxy/backends/0/balance","value":"hdr(host)"},
    {"op":"add","path":"/fastPath","value":{"vips":[
       {"address":"198.18.0.10","port":80,"backend":"app","forwarding":"NAT","mssClamp":1400,
        "healthCheck":{"type":"HTTP","path":"/health","intervalSeconds":5,"timeoutSeconds":2}},
       {"address":"2001:db8::10","port":53,"protocol":"UDP","forwarding":"GUE","guePort":6080,
        "services":[{"mesos":{"taskNamePattern":"^dns-.*"},"endpoint":{"port":53}}]}]}}
  ])J"));
  EXPECT_EQ(validate_pool(pool), FieldErrors{}) << join(validate_pool(pool));
}

// Valid Edge-LB configurations that were refused (each found by trying Edge-LB's documentation).
TEST(PoolValidator, RealInputRegressionsAreAccepted) {
  // An ADDRESS endpoint with no selector: an external server or DNS name.
  json address = base_pool().patch(json::parse(R"J([
    {"op":"replace","path":"/haproxy/backends/0/services","value":[
       {"endpoint":{"type":"ADDRESS","address":"api.example.com","port":443}},
       {"endpoint":{"type":"ADDRESS","address":"2001:db8::10","port":8443}}]}])J"));
  EXPECT_EQ(validate_pool(address), FieldErrors{}) << join(validate_pool(address));
  // SNI routing: a TLS (tcp mode) frontend handing connections to an http backend.
  json sni = base_pool().patch(json::parse(R"J([
    {"op":"add","path":"/autoCertificate","value":true},
    {"op":"add","path":"/haproxy/frontends/-","value":{"bindPort":443,"protocol":"TLS","certificates":["$AUTOCERT"],
       "linkBackend":{"defaultBackend":"app"}}},
    {"op":"add","path":"/haproxy/frontends/-","value":{"bindPort":8080,"protocol":"TCP","linkBackend":{"defaultBackend":"app"}}}])J"));
  EXPECT_EQ(validate_pool(sni), FieldErrors{}) << join(validate_pool(sni));
  // Edge-LB 1.7's cloud connector block, as its documentation shows it.
  json cloud = base_pool().patch(json::parse(R"J([
    {"op":"add","path":"/haproxy/frontends/0/name","value":"echo"},
    {"op":"add","path":"/cloudProvider","value":{"aws":{"elbs":[{"name":"echo","type":"NLB","internal":false,
       "subnets":["subnet-0123"],"elasticIPs":["eipalloc-0123"],"listeners":[{"port":80,"linkFrontend":"echo"}],
       "tags":[{"key":"Protocol","value":"HTTP"}]}]}}}])J"));
  EXPECT_EQ(validate_pool(cloud), FieldErrors{}) << join(validate_pool(cloud));
}

TEST(PoolValidator, SecretNamesAreCheckedAgainstTheStore) {
  json pool = base_pool();
  pool["secrets"] = json::array({{{"secret", "present"}, {"file", "a"}}, {{"secret", "absent"}, {"file", "b"}}});
  PoolContext ctx;
  ctx.secret_exists = [](const std::string& n) { return n == "present"; };
  EXPECT_EQ(
      validate_pool(pool, ctx),
      (FieldErrors{{"secrets[1].secret", "no secret named \"absent\" in the secret store (edgelbctl secret put)"}}));
}

TEST(PoolSchema, ReferenceListsEveryField) {
  std::string ref = schema_reference();
  for (const char* path : {"poolhealthcheckTimeout", "haproxy.frontends[].linkBackend.map[].hostReg",
                           "haproxy.backends[].services[].endpoint.type", "fastPath.vips[].forwarding",
                           "haproxy.backends[].rewriteHttp.sticky.customStr", "virtualNetworks[].labels"})
    EXPECT_NE(ref.find(std::string(path) + "  ("), std::string::npos) << path;
}

}  // namespace
}  // namespace edgelb::cp
