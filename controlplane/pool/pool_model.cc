#include "pool/pool_model.h"

#include <stdexcept>

#include "common/json_access.h"
#include "pool/pool_validator.h"
#include "pool/server_weight.h"

namespace edgelb::cp {
namespace {

using json = nlohmann::json;

// Readers that name the field when the document is not what validation guarantees.
[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw std::invalid_argument(path.empty() ? why : path + ": " + why);
}

std::string child(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

std::optional<std::string> opt_string(const json& obj, const char* key, const std::string& path) {
  const json& v = member(obj, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) bad(child(path, key), "must be a string");
  return v.get<std::string>();
}

std::string str(const json& obj, const char* key, const std::string& path, const std::string& fallback = "") {
  return opt_string(obj, key, path).value_or(fallback);
}

std::optional<bool> opt_bool(const json& obj, const char* key, const std::string& path) {
  const json& v = member(obj, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_boolean()) bad(child(path, key), "must be a boolean");
  return v.get<bool>();
}

std::optional<int64_t> opt_int(const json& obj, const char* key, const std::string& path) {
  const json& v = member(obj, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer()) bad(child(path, key), "must be an integer");
  return v.get<int64_t>();
}

std::optional<uint32_t> opt_port(const json& obj, const char* key, const std::string& path) {
  auto v = opt_int(obj, key, path);
  if (!v) return std::nullopt;
  if (*v < 0 || *v > 65535) bad(child(path, key), "must be between 0 and 65535");
  return static_cast<uint32_t>(*v);
}

const json& array(const json& obj, const char* key, const std::string& path) {
  static const json kEmpty = json::array();
  const json& v = member(obj, key);
  if (v.is_null()) return kEmpty;
  if (!v.is_array()) bad(child(path, key), "must be an array");
  return v;
}

std::vector<std::string> strings(const json& obj, const char* key, const std::string& path) {
  std::vector<std::string> out;
  const json& a = array(obj, key, path);
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) bad(idx(child(path, key), i), "must be a string");
    out.push_back(a[i].get<std::string>());
  }
  return out;
}

PoolProtocol protocol(const json& obj, const std::string& path) {
  const std::string p = str(obj, "protocol", path);
  if (p == "HTTP") return PoolProtocol::kHttp;
  if (p == "HTTPS") return PoolProtocol::kHttps;
  if (p == "TCP") return PoolProtocol::kTcp;
  if (p == "TLS") return PoolProtocol::kTls;
  bad(path + ".protocol", "must be HTTP, HTTPS, TCP or TLS");
}

Match match(const json& obj, const char* exact, const char* pattern, const std::string& path) {
  return Match{opt_string(obj, exact, path), opt_string(obj, pattern, path)};
}

ServiceSelectorSpec selector(const json& s, const std::string& path) {
  if (!s.is_object()) bad(path, "must be an object");
  ServiceSelectorSpec sel;
  const json& marathon = member(s, "marathon");
  const json& mesos = member(s, "mesos");
  const std::string mp = child(path, "marathon"), sp = child(path, "mesos"), ep = child(path, "endpoint");
  sel.service_id = match(marathon, "serviceID", "serviceIDPattern", mp);
  if (sel.service_id.exact && (sel.service_id.exact->empty() || (*sel.service_id.exact)[0] != '/'))
    sel.service_id.exact = "/" + *sel.service_id.exact;
  sel.container_name = match(marathon, "containerName", "containerNamePattern", mp);
  sel.framework_name = match(mesos, "frameworkName", "frameworkNamePattern", sp);
  sel.framework_id = match(mesos, "frameworkID", "frameworkIDPattern", sp);
  sel.task_name = match(mesos, "taskName", "taskNamePattern", sp);
  sel.task_id = match(mesos, "taskID", "taskIDPattern", sp);
  const json& endpoint = member(s, "endpoint");
  const std::string type = str(endpoint, "type", ep, "AUTO_IP");
  if (type == "AUTO_IP")
    sel.type = EndpointType::kAutoIp;
  else if (type == "AGENT_IP")
    sel.type = EndpointType::kAgentIp;
  else if (type == "CONTAINER_IP")
    sel.type = EndpointType::kContainerIp;
  else if (type == "ADDRESS")
    sel.type = EndpointType::kAddress;
  else
    bad(child(ep, "type"), "unknown type \"" + type + "\"");
  sel.address = str(endpoint, "address", ep);
  if (sel.type == EndpointType::kAddress && sel.address.empty())
    bad(child(ep, "address"), "required with type ADDRESS");
  sel.port = opt_port(endpoint, "port", ep);
  sel.port_name = str(endpoint, "portName", ep);
  sel.all_ports = opt_bool(endpoint, "allPorts", ep).value_or(false);
  if (!sel.port && sel.port_name.empty() && !sel.all_ports) bad(ep, "needs one of port, portName, allPorts");
  if (!sel.selects_tasks()) {
    if (sel.type != EndpointType::kAddress) bad(path, "needs a marathon or mesos selector");
    if (!sel.port) bad(child(ep, "port"), "required with type ADDRESS and no selector");
  }
  sel.misc = str(endpoint, "miscStr", ep);
  const ServerWeight weight = parse_server_weight(sel.misc);
  if (!weight.error.empty()) bad(child(ep, "miscStr"), weight.error);
  sel.weight = weight.weight.value_or(kDefaultServerWeight);
  const json& check = member(endpoint, "check");
  sel.check_enabled = opt_bool(check, "enabled", child(ep, "check"));
  sel.check_custom = str(check, "customStr", child(ep, "check"));
  return sel;
}

std::vector<ServiceSelectorSpec> selectors(const json& obj, const std::string& path) {
  std::vector<ServiceSelectorSpec> out;
  const json& a = array(obj, "services", path);
  for (size_t i = 0; i < a.size(); ++i) out.push_back(selector(a[i], idx(child(path, "services"), i)));
  return out;
}

Frontend parse_frontend(const json& f, const std::string& path) {
  Frontend fe;
  fe.bind_address = str(f, "bindAddress", path);
  fe.bind_port = opt_port(f, "bindPort", path).value_or(0);
  fe.name = str(f, "name", path, default_frontend_name(f));
  fe.bind_modifier = str(f, "bindModifier", path);
  fe.certificates = strings(f, "certificates", path);
  fe.protocol = protocol(f, path);
  const json& redirect = member(f, "redirectToHttps");
  fe.redirect_to_https = redirect.is_object();
  const json& except = array(redirect, "except", path + ".redirectToHttps");
  for (size_t i = 0; i < except.size(); ++i) {
    const std::string ep = idx(path + ".redirectToHttps.except", i);
    fe.redirect_except.push_back({opt_string(except[i], "host", ep), opt_string(except[i], "pathBeg", ep)});
  }
  fe.misc = strings(f, "miscStrs", path);
  const json& link = member(f, "linkBackend");
  fe.default_backend = str(link, "defaultBackend", path + ".linkBackend");
  const json& map = array(link, "map", path + ".linkBackend");
  for (size_t i = 0; i < map.size(); ++i) {
    const std::string rp = idx(path + ".linkBackend.map", i);
    fe.rules.push_back({str(map[i], "backend", rp), opt_string(map[i], "hostEq", rp), opt_string(map[i], "hostReg", rp),
                        opt_string(map[i], "pathBeg", rp), opt_string(map[i], "pathEnd", rp),
                        opt_string(map[i], "pathReg", rp)});
  }
  return fe;
}

Backend parse_backend(const json& b, const std::string& path) {
  Backend be;
  be.name = str(b, "name", path);
  if (be.name.empty()) bad(path + ".name", "required");
  be.protocol = protocol(b, path);
  be.balance = str(b, "balance", path);
  const json& cc = member(b, "customCheck");
  if (cc.is_object()) {
    const std::string cp = path + ".customCheck";
    be.custom_check = CustomCheck{opt_bool(cc, "httpchk", cp).value_or(false), str(cc, "httpchkMiscStr", cp),
                                  opt_bool(cc, "sslHelloChk", cp).value_or(false), str(cc, "miscStr", cp)};
  }
  be.misc = strings(b, "miscStrs", path);
  const json& rw = member(b, "rewriteHttp");
  if (rw.is_object()) {
    const std::string rp = path + ".rewriteHttp";
    RewriteHttp r;
    r.host = opt_string(rw, "host", rp);
    const json& p = member(rw, "path");
    r.from_path = opt_string(p, "fromPath", rp + ".path");
    r.to_path = opt_string(p, "toPath", rp + ".path");
    const json& req = member(rw, "request");
    r.forwardfor = opt_bool(req, "forwardfor", rp + ".request");
    r.x_forwarded_port = opt_bool(req, "xForwardedPort", rp + ".request");
    r.x_forwarded_proto_https_if_tls = opt_bool(req, "xForwardedProtoHttpsIfTls", rp + ".request");
    r.set_host_header = opt_bool(req, "setHostHeader", rp + ".request");
    r.rewrite_path = opt_bool(req, "rewritePath", rp + ".request");
    r.rewrite_location = opt_bool(member(rw, "response"), "rewriteLocation", rp + ".response");
    const json& sticky = member(rw, "sticky");
    r.sticky = sticky.is_object() && opt_bool(sticky, "enabled", rp + ".sticky").value_or(true);
    r.sticky_custom = str(sticky, "customStr", rp + ".sticky");
    be.rewrite_http = std::move(r);
  }
  be.services = selectors(b, path);
  return be;
}

FastPathVip parse_vip(const json& v, const std::string& path, const std::string& pool_name) {
  FastPathVip x;
  x.address = str(v, "address", path);
  x.port = opt_port(v, "port", path).value_or(0);
  const std::string proto = str(v, "protocol", path, "TCP");
  if (proto != "TCP" && proto != "UDP") bad(path + ".protocol", "must be TCP or UDP");
  x.protocol = proto == "UDP" ? VipProtocol::kUdp : VipProtocol::kTcp;
  x.name = str(v, "name", path, default_vip_name(pool_name, x.address, x.port, proto));
  const std::string fwd = str(v, "forwarding", path, "DSR");
  if (fwd == "DSR")
    x.forwarding = Forwarding::kDsr;
  else if (fwd == "IPIP")
    x.forwarding = Forwarding::kIpip;
  else if (fwd == "GUE")
    x.forwarding = Forwarding::kGue;
  else if (fwd == "NAT")
    x.forwarding = Forwarding::kNat;
  else
    bad(path + ".forwarding", "must be DSR, IPIP, GUE or NAT");
  x.backend = str(v, "backend", path);
  x.services = selectors(v, path);
  x.gue_port = opt_port(v, "guePort", path).value_or(6080);
  x.mss_clamp = opt_port(v, "mssClamp", path);
  const json& hc = member(v, "healthCheck");
  if (hc.is_object()) {
    const std::string hp = path + ".healthCheck";
    VipHealthCheck h;
    const std::string type = str(hc, "type", hp, "TCP");
    h.type = type == "HTTP"   ? VipHealthCheck::Type::kHttp
             : type == "NONE" ? VipHealthCheck::Type::kNone
                              : VipHealthCheck::Type::kTcp;
    h.port = opt_port(hc, "port", hp);
    h.path = str(hc, "path", hp, "/");
    auto seconds = [&](const char* key, uint32_t fallback) {
      auto n = opt_int(hc, key, hp);
      if (n && (*n < 1 || *n > 3600)) bad(hp + "." + key, "must be between 1 and 3600");
      return n ? static_cast<uint32_t>(*n) : fallback;
    };
    h.interval_s = seconds("intervalSeconds", 5);
    h.timeout_s = seconds("timeoutSeconds", 2);
    h.healthy_threshold = seconds("healthyThreshold", 2);
    h.unhealthy_threshold = seconds("unhealthyThreshold", 3);
    x.health_check = h;
  }
  return x;
}

CloudLoadBalancer parse_cloud_lb(const json& e, const std::string& path) {
  CloudLoadBalancer lb;
  lb.name = str(e, "name", path);
  lb.type = str(e, "type", path);
  lb.internal = opt_bool(e, "internal", path).value_or(false);
  lb.subnets = strings(e, "subnets", path);
  lb.elastic_ips = strings(e, "elasticIPs", path);
  const json& listeners = array(e, "listeners", path);
  for (size_t i = 0; i < listeners.size(); ++i) {
    const std::string lp = idx(path + ".listeners", i);
    lb.listeners.emplace_back(opt_port(listeners[i], "port", lp).value_or(0), str(listeners[i], "linkFrontend", lp));
  }
  const json& tags = array(e, "tags", path);
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string tp = idx(path + ".tags", i);
    lb.tags.emplace_back(str(tags[i], "key", tp), str(tags[i], "value", tp));
  }
  return lb;
}

}  // namespace

const char* pool_protocol_name(PoolProtocol p) {
  switch (p) {
    case PoolProtocol::kHttp: return "HTTP";
    case PoolProtocol::kHttps: return "HTTPS";
    case PoolProtocol::kTcp: return "TCP";
    case PoolProtocol::kTls: return "TLS";
  }
  return "HTTP";
}

const char* haproxy_mode(PoolProtocol p) {
  return p == PoolProtocol::kHttp || p == PoolProtocol::kHttps ? "http" : "tcp";
}

const char* endpoint_type_name(EndpointType t) {
  switch (t) {
    case EndpointType::kAutoIp: return "AUTO_IP";
    case EndpointType::kAgentIp: return "AGENT_IP";
    case EndpointType::kContainerIp: return "CONTAINER_IP";
    case EndpointType::kAddress: return "ADDRESS";
  }
  return "AUTO_IP";
}

const char* forwarding_name(Forwarding f) {
  switch (f) {
    case Forwarding::kDsr: return "DSR";
    case Forwarding::kIpip: return "IPIP";
    case Forwarding::kGue: return "GUE";
    case Forwarding::kNat: return "NAT";
  }
  return "DSR";
}

ServiceSelectorSpec selector_from_json(const json& service) { return selector(service, ""); }

PoolModel PoolModel::from_json(const json& pool) {
  if (!pool.is_object()) bad("", "a pool must be an object");
  PoolModel m;
  m.name = str(pool, "name", "");
  m.role = str(pool, "role", "", "slave_public");
  m.count = opt_int(pool, "count", "");
  m.constraints = str(pool, "constraints", "");
  m.auto_certificate = opt_bool(pool, "autoCertificate", "").value_or(false);
  const json& secrets = array(pool, "secrets", "");
  for (size_t i = 0; i < secrets.size(); ++i)
    m.secrets.emplace_back(str(secrets[i], "secret", idx("secrets", i)), str(secrets[i], "file", idx("secrets", i)));
  const json& env = member(pool, "environmentVariables");
  if (!env.is_null() && !env.is_object()) bad("environmentVariables", "must be an object");
  if (env.is_object())
    for (auto it = env.begin(); it != env.end(); ++it) {
      if (!it.value().is_string()) bad("environmentVariables." + it.key(), "must be a string");
      m.environment[it.key()] = it.value().get<std::string>();
    }
  const json& hp = member(pool, "haproxy");
  if (hp.is_object()) {
    const json& stats = member(hp, "stats");
    m.stats_port = opt_port(stats, "bindPort", "haproxy.stats").value_or(9090);
    m.stats_address = str(stats, "bindAddress", "haproxy.stats");
    const json& frontends = array(hp, "frontends", "haproxy");
    for (size_t i = 0; i < frontends.size(); ++i)
      m.frontends.push_back(parse_frontend(frontends[i], idx("haproxy.frontends", i)));
    const json& backends = array(hp, "backends", "haproxy");
    for (size_t i = 0; i < backends.size(); ++i)
      m.backends.push_back(parse_backend(backends[i], idx("haproxy.backends", i)));
  }
  const json& vips = array(member(pool, "fastPath"), "vips", "fastPath");
  for (size_t i = 0; i < vips.size(); ++i) {
    m.vips.push_back(parse_vip(vips[i], idx("fastPath.vips", i), m.name));
    const FastPathVip& v = m.vips.back();
    if (!v.backend.empty() && !m.backend(v.backend))
      bad(idx("fastPath.vips", i) + ".backend", "no backend named \"" + v.backend + "\"");
  }
  const json& elbs = array(member(member(pool, "cloudProvider"), "aws"), "elbs", "cloudProvider.aws");
  for (size_t i = 0; i < elbs.size(); ++i)
    m.cloud_load_balancers.push_back(parse_cloud_lb(elbs[i], idx("cloudProvider.aws.elbs", i)));
  return m;
}

std::map<std::string, std::string> PoolModel::env_files() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : environment)
    if (name.rfind("ELB_FILE_", 0) == 0) out[name] = value;
  return out;
}

const Backend* PoolModel::backend(const std::string& name) const {
  for (const Backend& b : backends)
    if (b.name == name) return &b;
  return nullptr;
}

const std::vector<ServiceSelectorSpec>& PoolModel::vip_services(const FastPathVip& vip) const {
  if (!vip.backend.empty())
    if (const Backend* b = backend(vip.backend)) return b->services;
  return vip.services;
}

}  // namespace edgelb::cp
