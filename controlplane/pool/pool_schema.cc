#include "pool/pool_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace edgelb::cp {
namespace {

using Kind = SchemaNode::Kind;
using NodePtr = std::shared_ptr<const SchemaNode>;

// Small builder so the schema below reads like the reference tables.
struct B {
  std::shared_ptr<SchemaNode> n = std::make_shared<SchemaNode>();
  B(Kind k, std::string desc) {
    n->kind = k;
    n->description = std::move(desc);
  }
  B& nullable() {
    n->nullable = true;
    return *this;
  }
  B& range(double lo, double hi) {
    n->min = lo;
    n->max = hi;
    return *this;
  }
  B& at_least(double lo) {
    n->min = lo;
    return *this;
  }
  B& values(std::vector<std::string> v) {
    n->one_of = std::move(v);
    return *this;
  }
  B& def(std::string d) {
    n->default_text = std::move(d);
    return *this;
  }
  B& field(std::string name, const B& child) {
    n->fields.emplace_back(std::move(name), child.n);
    return *this;
  }
  B& of(const B& element) {
    n->element = element.n;
    return *this;
  }
  operator NodePtr() const { return n; }  // NOLINT: builder conversion
};

B str(std::string d) { return B(Kind::kString, std::move(d)); }
B i32(std::string d) { return std::move(B(Kind::kInt32, std::move(d)).range(INT32_MIN, INT32_MAX)); }
B port(std::string d) { return std::move(B(Kind::kInt32, std::move(d)).range(0, 65535)); }
B num(std::string d) { return B(Kind::kNumber, std::move(d)); }
B boolean(std::string d) { return B(Kind::kBool, std::move(d)); }
B obj(std::string d) { return B(Kind::kObject, std::move(d)); }
B arr(std::string d, const B& element) { return std::move(B(Kind::kArray, std::move(d)).of(element)); }

// A backend's service selector: Marathon app/pod, Mesos framework/task, and how to reach it.
B service_selector() {
  return std::move(
      obj("Backend service selector")
          .field("marathon", obj("Marathon selector")
                                 .field("serviceID", str("Marathon app/pod ID"))
                                 .field("serviceIDPattern", str("serviceID regex"))
                                 .field("containerName", str("Pod container name (needed for pods)"))
                                 .field("containerNamePattern", str("containerName regex")))
          .field("mesos", obj("Mesos framework/task selector")
                              .field("frameworkName", str("Framework name, exact"))
                              .field("frameworkNamePattern", str("Framework name regex"))
                              .field("frameworkID", str("Framework ID, exact"))
                              .field("frameworkIDPattern", str("Framework ID regex"))
                              .field("taskName", str("Task name, exact"))
                              .field("taskNamePattern", str("Task name regex"))
                              .field("taskID", str("Task ID, exact"))
                              .field("taskIDPattern", str("Task ID regex")))
          .field(
              "endpoint",
              obj("How to reach the selected tasks")
                  .field(
                      "type",
                      str("Address source").values({"AUTO_IP", "AGENT_IP", "CONTAINER_IP", "ADDRESS"}).def("AUTO_IP"))
                  .field("address", str("Address override (e.g. a VIP); only with type ADDRESS"))
                  .field("port", std::move(i32("Port number").range(1, 65535)))
                  .field("portName", str("Named port of the task"))
                  .field("allPorts", boolean("Select all ports of the service when true"))
                  .field("miscStr", str("Appended to the server line, e.g. `weight 20`"))
                  .field("check", obj("Health checks")
                                      .field("enabled", boolean("Enable the check"))
                                      .field("customStr", str("Custom check text")))));
}

B haproxy_block() {
  B frontend = obj("Frontend");
  frontend.field("name", str("Frontend name").def("frontend_{{bindAddress}}_{{bindPort}}"))
      .field("bindAddress", str("Bind address (no `*`, `[`, `]`)"))
      .field("bindPort", port("Port to bind"))
      .field("bindModifier", str("Extra text appended to the bind line"))
      .field("certificates", arr("TLS certificates: $AUTOCERT, $SECRETS/<file>, $ENVFILE/<file>", str("certificate")))
      .field("redirectToHttps", obj("Redirect HTTP to HTTPS :443")
                                    .field("except", arr("Matches still allowed over HTTP",
                                                         obj("Match (fields ANDed)")
                                                             .field("host", str("Match host"))
                                                             .field("pathBeg", str("Match path prefix")))
                                                         .def("[]")))
      .field("miscStrs", arr("Extra lines inserted before use_backend", str("line")))
      .field("protocol", str("Client-to-HAProxy protocol").values({"HTTP", "HTTPS", "TCP", "TLS"}))
      .field("linkBackend", obj("Which backends get traffic")
                                .field("defaultBackend", str("Backend used when no map rule matches"))
                                .field("map", arr("Ordered rules: backend plus at least one condition (ANDed)",
                                                  obj("Rule")
                                                      .field("backend", str("Target backend name"))
                                                      .field("hostEq", str("Host equals; lowercase"))
                                                      .field("hostReg", str("Host regex (PCRE2); lowercase"))
                                                      .field("pathBeg", str("Path prefix"))
                                                      .field("pathEnd", str("Path suffix"))
                                                      .field("pathReg", str("Path regex (PCRE2)")))
                                                  .def("[]")));

  B backend = obj("Backend");
  backend.field("name", str("Name that frontends refer to"))
      .field("protocol", str("HAProxy-to-server protocol").values({"HTTP", "HTTPS", "TCP", "TLS"}))
      .field("balance", str("Load-balancing algorithm (roundrobin, leastconn, ...)"))
      .field("customCheck", obj("Alternative health checks")
                                .field("httpchk", boolean("HTTP check"))
                                .field("httpchkMiscStr", str("Extra httpchk text"))
                                .field("sslHelloChk", boolean("SSL hello check"))
                                .field("miscStr", str("Raw check text")))
      .field("miscStrs", arr("Extra lines inserted before server lines", str("line")))
      .field(
          "rewriteHttp",
          obj("HTTP header manipulation (HTTP/HTTPS backends)")
              .field("host", str("Set the Host header value"))
              .field("path", obj("Rewrite the URL path (both fields needed)")
                                 .field("fromPath", str("Prefix to replace"))
                                 .field("toPath", str("Replacement")))
              .field("request",
                     obj("Request rewrites")
                         .field("forwardfor", boolean("X-Forwarded-For").nullable())
                         .field("xForwardedPort", boolean("X-Forwarded-Port").nullable())
                         .field("xForwardedProtoHttpsIfTls", boolean("X-Forwarded-Proto https if TLS").nullable())
                         .field("setHostHeader", boolean("Set Host header").nullable())
                         .field("rewritePath", boolean("Apply path rewrite").nullable()))
              .field(
                  "response",
                  obj("Response rewrites").field("rewriteLocation", boolean("Rewrite the Location header").nullable()))
              .field("sticky", obj("Cookie-based sticky sessions")
                                   .field("enabled", boolean("Enable stickiness").nullable())
                                   .field("customStr", str("Custom cookie directive"))
                                   .def("{} for the recommended defaults")))
      .field("services", arr("Backend service selectors", service_selector()));

  return std::move(obj("HAProxy config: stats/frontends/backends")
                       .field("stats", obj("Stats/admin listener")
                                           .field("bindAddress", str("Stats bind address"))
                                           .field("bindPort", port("Stats port (0: allocated)").def("9090")))
                       .field("frontends", arr("Frontends", frontend))
                       .field("backends", arr("Backends", backend)));
}

// edgelb's own block: L4 VIPs served by the DPDK fast path (docs/apiserver.md, "Pool configuration").
B fast_path_block() {
  B health = obj("Backend health check for the fast path");
  health.field("type", str("Check kind").values({"TCP", "HTTP", "NONE"}).def("TCP"))
      .field("port", std::move(i32("Port to check").range(1, 65535)).def("the backend port"))
      .field("path", str("HTTP path (type HTTP), starts with /").def("/"))
      .field("intervalSeconds", std::move(i32("Seconds between checks").range(1, 3600)).def("5"))
      .field("timeoutSeconds", std::move(i32("Seconds before a check fails").range(1, 3600)).def("2"))
      .field("healthyThreshold", std::move(i32("Passes before a backend is up").range(1, 100)).def("2"))
      .field("unhealthyThreshold", std::move(i32("Failures before a backend is down").range(1, 100)).def("3"));
  B vip = obj("An L4 virtual IP");
  vip.field("name", str("VIP name").def("<pool>-<address>-<port>-<protocol>"))
      .field("address", str("VIP address, IPv4 or IPv6"))
      .field("port", std::move(i32("VIP port").range(1, 65535)))
      .field("protocol", str("L4 protocol").values({"TCP", "UDP"}).def("TCP"))
      .field("forwarding", str("Forwarding mode").values({"DSR", "IPIP", "GUE", "NAT"}).def("DSR"))
      .field("backend", str("An haproxy.backends[].name whose services are the backends"))
      .field("services", arr("Own service selectors (instead of backend)", service_selector()))
      .field("guePort", std::move(i32("GUE destination port (forwarding GUE)").range(1, 65535)).def("6080"))
      .field("mssClamp",
             std::move(i32("Clamp the TCP MSS of SYNs (NAT: both ways; IPIP, GUE: the client's)").range(536, 9000)))
      .field("healthCheck", health);
  return std::move(obj("edgelb L4 fast path").field("vips", arr("L4 VIPs", vip)));
}

// Edge-LB 1.5+ cloud connector: cloud load balancers the Edge-LB API server provisions in front
// of the pool. The appliance accepts and validates the block but drives no cloud API
// (docs/apiserver.md).
B cloud_provider_block() {
  B listener = obj("NLB listener");
  listener.field("port", std::move(i32("Listener port").range(1, 65535)))
      .field("linkFrontend", str("The haproxy.frontends[].name it forwards to"));
  B elb = obj("AWS load balancer");
  elb.field("name", str("Load balancer name (AWS: at most 32 letters, digits and '-')"))
      .field("type", str("Load balancer type").values({"NLB"}))
      .field("internal", boolean("Internal (true) or internet-facing (false)").def("false"))
      .field("subnets", arr("Subnet IDs", str("subnet ID")))
      .field("elasticIPs", arr("Elastic IP allocation IDs", str("allocation ID")))
      .field("listeners", arr("Listeners", listener))
      .field("tags", arr("Tags", obj("Tag").field("key", str("Tag key")).field("value", str("Tag value"))));
  return std::move(obj("Cloud load balancers in front of the pool (not driven by the appliance)")
                       .field("aws", obj("Amazon Web Services").field("elbs", arr("Elastic load balancers", elb))));
}

NodePtr build_pool_schema() {
  B pool = obj("Edge-LB V2 pool");
  pool.field("apiVersion", str("Schema version").values({"V2"}))
      .field("name", str("Pool name"))
      .field("namespace", str("DC/OS space (group)").nullable())
      .field("packageName", str("Package name"))
      .field("packageVersion", str("Package version"))
      .field("role", str("Mesos role for LBs").def("slave_public"))
      .field("cpus", std::move(num("CPUs").at_least(0)))
      .field("cpusAdminOverhead", std::move(num("CPUs (admin overhead)").at_least(0)))
      .field("mem", std::move(i32("Memory, MB").range(0, INT32_MAX)))
      .field("memAdminOverhead", std::move(i32("Memory, MB (admin overhead)").range(0, INT32_MAX)))
      .field("disk", std::move(i32("Disk, MB").range(0, INT32_MAX)))
      .field("count", std::move(i32("Number of LB instances").range(0, INT32_MAX)).nullable())
      .field("constraints", str("Marathon-style placement constraints").nullable())
      .field("ports", arr("Ports to pre-allocate", port("port")).def("every frontends[].bindPort + stats.bindPort"))
      .field("items", i32("Listed in the reference with no description"))
      .field("secrets",
             arr("Secrets to mount",
                 obj("Secret").field("secret", str("Secret name")).field("file", str("File name, at $SECRETS/<file>"))))
      .field("environmentVariables", B(Kind::kStringMap, "Task env vars; ELB_FILE_<X> values become $ENVFILE files"))
      .field("autoCertificate", boolean("Generate a self-signed certificate, available as $AUTOCERT").def("false"))
      .field("virtualNetworks", arr("Virtual networks to join",
                                    obj("Network")
                                        .field("name", str("Network name"))
                                        .field("labels", B(Kind::kStringOrMap, "Labels for the network plugin"))))
      .field("haproxy", haproxy_block())
      .field("poolHealthcheckGracePeriod",
             std::move(i32("Seconds failed checks are ignored after start").range(0, INT32_MAX)).def("180"))
      .field("poolHealthcheckInterval", std::move(i32("Healthcheck interval, seconds").range(1, INT32_MAX)).def("12"))
      .field("poolHealthcheckMaxFail",
             std::move(i32("Consecutive failures before Mesos kills the task").range(1, INT32_MAX)).def("5"))
      .field("poolhealthcheckTimeout", std::move(i32("Healthcheck timeout, seconds").range(1, INT32_MAX)))
      .field("cloudProvider", cloud_provider_block())
      .field("fastPath", fast_path_block());
  return pool;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kString: return "string";
    case Kind::kInt32: return "integer";
    case Kind::kNumber: return "number";
    case Kind::kBool: return "boolean";
    case Kind::kObject: return "object";
    case Kind::kArray: return "array";
    case Kind::kStringMap: return "object of strings";
    case Kind::kStringOrMap: return "string or object of strings";
  }
  return "?";
}

std::string number_text(double v) {
  std::ostringstream o;
  o << std::fixed;
  o.precision(v == std::floor(v) ? 0 : 3);
  o << v;
  return o.str();
}

void check_range(double v, const SchemaNode& s, const std::string& path, FieldErrors& errors) {
  if ((s.min && v < *s.min) || (s.max && v > *s.max)) {
    std::string r = s.max ? "must be between " + number_text(*s.min) + " and " + number_text(*s.max)
                          : "must be at least " + number_text(*s.min);
    errors.push_back({path, r + ", got " + number_text(v)});
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void check_object(const nlohmann::json& doc, const SchemaNode& s, const std::string& path, FieldErrors& errors) {
  auto child = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  auto find = [&](const std::string& k) -> const SchemaNode* {
    for (const auto& [name, node] : s.fields)
      if (name == k) return node.get();
    return nullptr;
  };
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const SchemaNode* f = find(key);
    if (!f) {
      if (std::string canon = canonical_alias(key); !canon.empty() && (f = find(canon))) {
        if (doc.contains(canon)) {
          errors.push_back({child(key), "given together with " + canon + " (the same field)"});
          continue;
        }
      }
    }
    if (!f) {
      std::string hint;
      for (const auto& [name, node] : s.fields)
        if (lower(name) == lower(key)) hint = " (did you mean " + name + "?)";
      errors.push_back({child(key), "unknown field" + hint});
      continue;
    }
    check_schema(it.value(), *f, child(key), errors);
  }
}

void reference_lines(const SchemaNode& s, const std::string& path, std::ostringstream& out) {
  for (const auto& [name, node] : s.fields) {
    std::string p = path.empty() ? name : path + "." + name;
    const SchemaNode* n = node.get();
    std::string type = kind_name(n->kind);
    if (n->kind == Kind::kArray && n->element) type = "array of " + std::string(kind_name(n->element->kind));
    if (n->nullable) type += ", nullable";
    out << p << "  (" << type << ")";
    if (!n->one_of.empty()) {
      out << "  one of:";
      for (const auto& v : n->one_of) out << " " << v;
    }
    if (n->min && n->kind != Kind::kString)
      out << "  range: " << number_text(*n->min) << ".." << (n->max ? number_text(*n->max) : "");
    if (!n->default_text.empty()) out << "  default: " << n->default_text;
    out << "\n    " << n->description << "\n";
    if (n->kind == Kind::kObject) reference_lines(*n, p, out);
    if (n->kind == Kind::kArray && n->element && n->element->kind == Kind::kObject)
      reference_lines(*n->element, p + "[]", out);
  }
}

}  // namespace

const SchemaNode& pool_schema() {
  static const NodePtr root = build_pool_schema();
  return *root;
}

std::string canonical_alias(const std::string& name) {
  return name == "poolHealthcheckTimeout" ? "poolhealthcheckTimeout" : "";
}

void check_schema(const nlohmann::json& doc, const SchemaNode& s, const std::string& path, FieldErrors& errors) {
  if (doc.is_null()) {
    if (!s.nullable) errors.push_back({path, std::string("must be ") + kind_name(s.kind) + ", not null"});
    return;
  }
  auto type_error = [&] {
    errors.push_back({path, std::string("must be ") + kind_name(s.kind) + ", got " + doc.type_name()});
  };
  switch (s.kind) {
    case Kind::kString:
      if (!doc.is_string()) return type_error();
      if (!s.one_of.empty() && std::find(s.one_of.begin(), s.one_of.end(), doc.get<std::string>()) == s.one_of.end()) {
        std::string allowed;
        for (const auto& v : s.one_of) allowed += (allowed.empty() ? "" : ", ") + v;
        errors.push_back({path, "must be one of " + allowed + ", got \"" + doc.get<std::string>() + "\""});
      }
      return;
    case Kind::kInt32:
      if (doc.is_number_float()) {
        errors.push_back({path, "must be an integer, got " + number_text(doc.get<double>())});
        return;
      }
      if (!doc.is_number_integer()) return type_error();
      if (doc.is_number_unsigned() && doc.get<uint64_t>() > uint64_t(INT64_MAX))
        return errors.push_back({path, "out of range"});
      check_range(static_cast<double>(doc.get<int64_t>()), s, path, errors);
      return;
    case Kind::kNumber:
      if (!doc.is_number()) return type_error();
      check_range(doc.get<double>(), s, path, errors);
      return;
    case Kind::kBool:
      if (!doc.is_boolean()) return type_error();
      return;
    case Kind::kObject:
      if (!doc.is_object()) return type_error();
      check_object(doc, s, path, errors);
      return;
    case Kind::kArray:
      if (!doc.is_array()) return type_error();
      for (size_t i = 0; i < doc.size(); ++i)
        check_schema(doc[i], *s.element, path + "[" + std::to_string(i) + "]", errors);
      return;
    case Kind::kStringMap:
    case Kind::kStringOrMap:
      if (s.kind == Kind::kStringOrMap && doc.is_string()) return;
      if (!doc.is_object()) return type_error();
      for (auto it = doc.begin(); it != doc.end(); ++it)
        if (!it.value().is_string())
          errors.push_back({path + "." + it.key(), std::string("must be string, got ") + it.value().type_name()});
      return;
  }
}

std::string schema_reference() {
  std::ostringstream out;
  out << "# edgelb pool configuration reference (Edge-LB V2 schema + fastPath)\n"
         "# <path>  (<type>)  [one of | range]  [default]\n";
  reference_lines(pool_schema(), "", out);
  return out.str();
}

}  // namespace edgelb::cp
