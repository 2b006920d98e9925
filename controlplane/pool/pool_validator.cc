#include "pool/pool_validator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "common/json_access.h"
#include "pool/haproxy_text_check.h"
#include "pool/pool_schema.h"
#include "pool/regex_check.h"
#include "pool/server_weight.h"

namespace edgelb::cp {
namespace {

using nlohmann::json;

bool has(const json& obj, const char* key) { return obj.is_object() && obj.contains(key) && !obj[key].is_null(); }

// HAProxy proxy mode implied by an Edge-LB protocol.
// "" for values the schema already rejected.
std::string mode_of(const std::string& protocol) {
  if (protocol == "HTTP" || protocol == "HTTPS") return "http";
  if (protocol == "TCP" || protocol == "TLS") return "tcp";
  return "";
}

class Validator {
 public:
  Validator(const json& pool, const PoolContext& ctx) : pool_(pool), ctx_(ctx) {}

  FieldErrors run() {
    check_schema(pool_, pool_schema(), "", errors_);
    if (!pool_.is_object()) return errors_;
    // Structural errors make the semantic pass talk about the same fields twice; the
    // semantic checks below only read fields of the right type.
    top_level();
    secrets_and_env();
    haproxy();
    cloud_provider();
    fast_path();
    check_haproxy_text(pool_, &errors_);
    return errors_;
  }

 private:
  void error(const std::string& path, const std::string& reason) { errors_.push_back({path, reason}); }
  void require(const json& obj, const char* key, const std::string& path) {
    if (!has(obj, key)) error(path.empty() ? key : path + "." + key, "required");
  }
  void regex(const json& obj, const char* key, const std::string& path) {
    if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string()) return;
    if (auto e = pcre2_error(obj[key].get<std::string>()))
      error(path + "." + key, "invalid regular expression (PCRE2 " + *e + ")");
  }

  void top_level() {
    require(pool_, "apiVersion", "");
    require(pool_, "name", "");
    if (pool_.contains("name") && pool_["name"].is_string() && !valid_pool_name(pool_["name"].get<std::string>()))
      error("name",
            "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at "
            "most 63 characters");
    if (!has(pool_, "haproxy") && !has(pool_, "fastPath")) error("haproxy", "required (or a fastPath block)");
    const json& ports = member(pool_, "ports");
    if (ports.is_array()) {
      std::map<int64_t, size_t> seen;
      for (size_t i = 0; i < ports.size(); ++i)
        if (ports[i].is_number_integer() && !seen.emplace(ports[i].get<int64_t>(), i).second)
          error(idx("ports", i), "duplicate of ports[" + std::to_string(seen[ports[i].get<int64_t>()]) + "]");
    }
    const json& nets = member(pool_, "virtualNetworks");
    if (nets.is_array())
      for (size_t i = 0; i < nets.size(); ++i) require(nets[i], "name", idx("virtualNetworks", i));
  }

  void secrets_and_env() {
    const json& secrets = member(pool_, "secrets");
    if (secrets.is_array()) {
      std::map<std::string, size_t> files;
      for (size_t i = 0; i < secrets.size(); ++i) {
        const std::string p = idx("secrets", i);
        const json& s = secrets[i];
        if (!s.is_object()) continue;
        require(s, "secret", p);
        require(s, "file", p);
        std::string file = string_or(s, "file");
        if (!file.empty()) {
          if (file.find('/') != std::string::npos || file == "." || file == "..")
            error(p + ".file", "must be a plain file name");
          else if (!files.emplace(file, i).second)
            error(p + ".file", "duplicate of secrets[" + std::to_string(files[file]) + "].file");
          secret_files_.insert(file);
        }
        std::string name = string_or(s, "secret");
        if (!name.empty() && ctx_.secret_exists && !ctx_.secret_exists(name))
          error(p + ".secret", "no secret named \"" + name + "\" in the secret store (edgelbctl secret put)");
      }
    }
    const json& env = member(pool_, "environmentVariables");
    if (env.is_object())
      for (auto it = env.begin(); it != env.end(); ++it)
        if (it.key().rfind("ELB_FILE_", 0) == 0) env_files_.insert(it.key());
  }

  void certificate_ref(const std::string& ref, const std::string& path) {
    static const std::string kSecrets = "$SECRETS/", kEnv = "$ENVFILE/";
    if (ref == "$AUTOCERT") {
      if (!(member(pool_, "autoCertificate").is_boolean() && pool_["autoCertificate"].get<bool>()))
        error(path, "$AUTOCERT needs autoCertificate: true");
    } else if (ref.rfind(kSecrets, 0) == 0) {
      std::string file = ref.substr(kSecrets.size());
      if (!secret_files_.count(file)) error(path, "no secrets[] entry has file \"" + file + "\"");
    } else if (ref.rfind(kEnv, 0) == 0) {
      std::string var = ref.substr(kEnv.size());
      if (!env_files_.count(var))
        error(path, "no environmentVariables entry named \"" + var + "\" (must start with ELB_FILE_)");
    } else {
      error(path, "must be $AUTOCERT, $SECRETS/<file> or $ENVFILE/<ELB_FILE_name>");
    }
  }

  void haproxy() {
    const json& hp = member(pool_, "haproxy");
    if (!hp.is_object()) return;
    const json& backends = member(hp, "backends");
    if (backends.is_array())
      for (size_t i = 0; i < backends.size(); ++i) backend(backends[i], idx("haproxy.backends", i), i);
    const json& frontends = member(hp, "frontends");
    std::map<std::pair<std::string, int64_t>, size_t> binds;
    std::map<std::string, size_t> names;
    if (frontends.is_array())
      for (size_t i = 0; i < frontends.size(); ++i)
        frontend(frontends[i], idx("haproxy.frontends", i), i, binds, names);
    const json& stats_port = member(member(hp, "stats"), "bindPort");
    if (stats_port.is_number_integer() && stats_port.get<int64_t>() != 0)
      for (const auto& [bind, i] : binds)
        if (bind.second == stats_port.get<int64_t>())
          error("haproxy.stats.bindPort", "port " + std::to_string(bind.second) +
                                              " is also bound by haproxy.frontends[" + std::to_string(i) + "]");
  }

  void frontend(const json& f, const std::string& p, size_t i, std::map<std::pair<std::string, int64_t>, size_t>& binds,
                std::map<std::string, size_t>& names) {
    if (!f.is_object()) return;
    require(f, "bindPort", p);
    require(f, "protocol", p);
    const std::string address = string_or(f, "bindAddress");
    std::string name = has(f, "name") ? string_or(f, "name") : default_frontend_name(f);
    if (!name.empty()) frontend_names_.insert(name);
    if (!name.empty() && !names.emplace(name, i).second)
      error(p + (has(f, "name") ? ".name" : ""),
            "frontend name \"" + name + "\" is also used by haproxy.frontends[" + std::to_string(names[name]) + "]");
    if (f.contains("bindPort") && f["bindPort"].is_number_integer() && f["bindPort"].get<int64_t>() != 0) {
      int64_t port = f["bindPort"].get<int64_t>();
      std::string a = address == "0.0.0.0" || address == "::" ? "" : address;
      for (const auto& [bind, j] : binds)
        if (bind.second == port && (bind.first == a || bind.first.empty() || a.empty())) {
          error(p + ".bindPort", "bind " + (a.empty() ? "*" : a) + ":" + std::to_string(port) +
                                     " overlaps haproxy.frontends[" + std::to_string(j) + "]");
          break;
        }
      binds.emplace(std::make_pair(a, port), i);
    }
    const std::string protocol = string_or(f, "protocol");
    const json& certs = member(f, "certificates");
    if (certs.is_array())
      for (size_t c = 0; c < certs.size(); ++c)
        if (certs[c].is_string()) certificate_ref(certs[c].get<std::string>(), idx(p + ".certificates", c));
    if ((protocol == "HTTPS" || protocol == "TLS") && !(certs.is_array() && !certs.empty()))
      error(p + ".certificates", protocol + " frontends need at least one certificate");
    const json& redirect = member(f, "redirectToHttps");
    if (redirect.is_object() && mode_of(protocol) == "tcp")
      error(p + ".redirectToHttps", "needs an HTTP or HTTPS frontend (" + protocol + " is not HTTP)");
    const json& except = member(redirect, "except");
    if (except.is_array())
      for (size_t e = 0; e < except.size(); ++e)
        if (except[e].is_object() && !has(except[e], "host") && !has(except[e], "pathBeg"))
          error(idx(p + ".redirectToHttps.except", e), "needs host and/or pathBeg");
    const json& link = member(f, "linkBackend");
    if (!link.is_object()) {
      error(p + ".linkBackend", "required");
      return;
    }
    const json& map = member(link, "map");
    if (!has(link, "defaultBackend") && !(map.is_array() && !map.empty()))
      error(p + ".linkBackend", "needs defaultBackend or at least one map rule");
    link_target(link, "defaultBackend", p + ".linkBackend", protocol);
    if (map.is_array())
      for (size_t r = 0; r < map.size(); ++r) {
        const std::string rp = idx(p + ".linkBackend.map", r);
        const json& rule = map[r];
        if (!rule.is_object()) continue;
        require(rule, "backend", rp);
        link_target(rule, "backend", rp, protocol);
        static const char* kConditions[] = {"hostEq", "hostReg", "pathBeg", "pathEnd", "pathReg"};
        if (std::none_of(std::begin(kConditions), std::end(kConditions), [&](const char* k) { return has(rule, k); }))
          error(rp, "needs at least one of hostEq, hostReg, pathBeg, pathEnd, pathReg");
        std::string host = string_or(rule, "hostEq");
        if (std::any_of(host.begin(), host.end(), [](unsigned char c) { return std::isupper(c); }))
          error(rp + ".hostEq", "must be lowercase (HAProxy compares the lowercased Host header)");
        for (const char* k : {"pathBeg", "pathEnd"})
          if (has(rule, k) && string_or(rule, k).empty()) error(rp + "." + k, "must not be empty");
        regex(rule, "hostReg", rp);
        regex(rule, "pathReg", rp);
        if (mode_of(protocol) == "tcp")
          for (const char* k : {"pathBeg", "pathEnd", "pathReg"})
            if (has(rule, k))
              error(rp + "." + k, "needs an HTTP or HTTPS frontend (" + protocol + " carries no HTTP path)");
      }
  }

  void link_target(const json& obj, const char* key, const std::string& p, const std::string& frontend_protocol) {
    if (!obj.contains(key) || !obj[key].is_string()) return;
    const std::string target = obj[key].get<std::string>();
    auto it = backend_modes_.find(target);
    if (it == backend_modes_.end()) {
      error(p + "." + key, "no backend named \"" + target + "\" in haproxy.backends");
      return;
    }
    // HAProxy refuses only an http frontend using a tcp backend; a tcp frontend (TCP, or TLS
    // terminated for SNI routing) may hand its connections to an http backend.
    if (mode_of(frontend_protocol) == "http" && it->second == "tcp")
      error(p + "." + key, "backend \"" + target + "\" is mode tcp but this " + frontend_protocol +
                               " frontend is mode http (HAProxy refuses it)");
  }

  void backend(const json& b, const std::string& p, size_t i) {
    if (!b.is_object()) return;
    require(b, "name", p);
    require(b, "protocol", p);
    std::string name = string_or(b, "name");
    if (!name.empty()) {
      if (backend_index_.count(name))
        error(p + ".name", "duplicate of haproxy.backends[" + std::to_string(backend_index_[name]) + "].name");
      backend_index_.emplace(name, i);
      backend_modes_.emplace(
          name, has(b, "protocol") && b["protocol"].is_string() ? mode_of(b["protocol"].get<std::string>()) : "");
    }
    if (has(b, "balance") && b["balance"].is_string()) {
      static const std::set<std::string> kAlgorithms = {"roundrobin", "static-rr",  "leastconn", "first",
                                                        "source",     "uri",        "url_param", "hdr",
                                                        "random",     "rdp-cookie", "hash"};
      std::string algo = b["balance"].get<std::string>();
      algo = algo.substr(0, algo.find_first_of(" ("));
      if (!kAlgorithms.count(algo)) error(p + ".balance", "unknown HAProxy balance algorithm \"" + algo + "\"");
    }
    const json& path = member(member(b, "rewriteHttp"), "path");
    if (path.is_object() && has(path, "fromPath") != has(path, "toPath"))
      error(p + ".rewriteHttp.path", "needs both fromPath and toPath");
    const json& services = member(b, "services");
    if (services.is_array())
      for (size_t s = 0; s < services.size(); ++s) selector(services[s], idx(p + ".services", s));
  }

  void selector(const json& s, const std::string& p) {
    if (!s.is_object()) return;
    const json& marathon = member(s, "marathon");
    const json& mesos = member(s, "mesos");
    const bool has_marathon = marathon.is_object() && !marathon.empty();
    const bool has_mesos = mesos.is_object() && !mesos.empty();
    const json& ep = member(s, "endpoint");
    const std::string type = string_or(ep, "type", "AUTO_IP");
    // An ADDRESS endpoint without a selector is one fixed server (an external host or a DNS
    // name); with a selector, every selected task is reached at that address.
    const bool fixed_address = type == "ADDRESS" && !has_marathon && !has_mesos;
    if (!has_marathon && !has_mesos && type != "ADDRESS")
      error(p, "needs a marathon or mesos selector (or endpoint.type ADDRESS)");
    for (const char* k : {"serviceIDPattern", "containerNamePattern"}) regex(marathon, k, p + ".marathon");
    for (const char* k : {"frameworkNamePattern", "frameworkIDPattern", "taskNamePattern", "taskIDPattern"})
      regex(mesos, k, p + ".mesos");
    for (auto [exact, pattern] :
         {std::pair{"serviceID", "serviceIDPattern"}, {"containerName", "containerNamePattern"}})
      if (has(marathon, exact) && has(marathon, pattern))
        error(p + ".marathon." + pattern, std::string("given together with ") + exact + "; use one");
    for (auto [exact, pattern] : {std::pair{"frameworkName", "frameworkNamePattern"},
                                  {"frameworkID", "frameworkIDPattern"},
                                  {"taskName", "taskNamePattern"},
                                  {"taskID", "taskIDPattern"}})
      if (has(mesos, exact) && has(mesos, pattern))
        error(p + ".mesos." + pattern, std::string("given together with ") + exact + "; use one");
    if (!ep.is_object()) {
      error(p + ".endpoint", "required (port, portName or allPorts)");
      return;
    }
    int ways =
        has(ep, "port") + has(ep, "portName") + (member(ep, "allPorts").is_boolean() && ep["allPorts"].get<bool>());
    if (ways == 0) error(p + ".endpoint", "needs one of port, portName, allPorts");
    if (ways > 1) error(p + ".endpoint", "port, portName and allPorts exclude each other");
    if (fixed_address && ways == 1 && !has(ep, "port"))
      error(p + ".endpoint.port", "required with type ADDRESS and no selector (there is no task to name ports)");
    if (type == "ADDRESS" && !has(ep, "address")) error(p + ".endpoint.address", "required with type ADDRESS");
    if (type != "ADDRESS" && has(ep, "address")) error(p + ".endpoint.address", "only allowed with type ADDRESS");
    const ServerWeight weight = parse_server_weight(string_or(ep, "miscStr"));
    if (!weight.error.empty()) error(p + ".endpoint.miscStr", weight.error);
  }

  // cloudProvider.aws.elbs[]: names AWS accepts, unique; listeners link existing frontends.
  void cloud_provider() {
    const json& elbs = member(member(member(pool_, "cloudProvider"), "aws"), "elbs");
    if (!elbs.is_array()) return;
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < elbs.size(); ++i) {
      const std::string p = idx("cloudProvider.aws.elbs", i);
      const json& elb = elbs[i];
      if (!elb.is_object()) continue;
      require(elb, "name", p);
      require(elb, "type", p);
      const std::string name = string_or(elb, "name");
      if (!name.empty()) {
        const bool charset =
            std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
        if (name.size() > 32 || !charset || name.front() == '-' || name.back() == '-')
          error(p + ".name", "must be at most 32 letters, digits and '-', not starting or ending with '-' (AWS)");
        else if (!names.emplace(name, i).second)
          error(p + ".name", "duplicate of cloudProvider.aws.elbs[" + std::to_string(names[name]) + "].name");
      }
      const json& listeners = member(elb, "listeners");
      if (!listeners.is_array() || listeners.empty()) {
        error(p + ".listeners", "needs at least one listener");
        continue;
      }
      std::map<int64_t, size_t> ports;
      for (size_t l = 0; l < listeners.size(); ++l) {
        const std::string lp = idx(p + ".listeners", l);
        const json& listener = listeners[l];
        if (!listener.is_object()) continue;
        require(listener, "port", lp);
        require(listener, "linkFrontend", lp);
        const json& port = member(listener, "port");
        if (port.is_number_integer() && !ports.emplace(port.get<int64_t>(), l).second)
          error(lp + ".port", "duplicate of listeners[" + std::to_string(ports[port.get<int64_t>()]) + "].port");
        const json& link = member(listener, "linkFrontend");
        if (link.is_string() && !frontend_names_.count(link.get<std::string>()))
          error(lp + ".linkFrontend", "no frontend named \"" + link.get<std::string>() + "\" in haproxy.frontends");
      }
    }
  }

  void fast_path() {
    const json& vips = member(member(pool_, "fastPath"), "vips");
    if (!vips.is_array()) return;
    std::map<std::string, size_t> keys, names;
    const std::string pool_name = string_or(pool_, "name");
    for (size_t i = 0; i < vips.size(); ++i) {
      const std::string p = idx("fastPath.vips", i);
      const json& v = vips[i];
      if (!v.is_object()) continue;
      require(v, "address", p);
      require(v, "port", p);
      std::string address = string_or(v, "address");
      unsigned char buf[16];
      bool v6 = address.find(':') != std::string::npos;
      if (!address.empty()) {
        if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buf) != 1)
          error(p + ".address", "must be an IPv4 or IPv6 address, got \"" + address + "\"");
        else if ((!v6 && (buf[0] == 0 || buf[0] >= 224 || buf[0] == 127)) ||
                 (v6 && (buf[0] == 0xff || std::all_of(buf, buf + 15, [](unsigned char c) { return c == 0; }))))
          error(p + ".address", "must be a unicast, non-loopback address");
      }
      const std::string protocol = string_or(v, "protocol", "TCP");
      const std::string forwarding = string_or(v, "forwarding", "DSR");
      int64_t port = member(v, "port").is_number_integer() ? v["port"].get<int64_t>() : 0;
      const std::string key = address + "|" + std::to_string(port) + "|" + protocol;
      if (!address.empty() && port && !keys.emplace(key, i).second)
        error(p, "same address, port and protocol as fastPath.vips[" + std::to_string(keys[key]) + "]");
      std::string name = has(v, "name") ? string_or(v, "name") : default_vip_name(pool_name, address, port, protocol);
      if (has(v, "name") && !names.emplace(name, i).second)
        error(p + ".name", "duplicate of fastPath.vips[" + std::to_string(names[name]) + "].name");
      const bool by_backend = has(v, "backend"), by_services = has(v, "services");
      if (by_backend == by_services) error(p, "needs exactly one of backend, services");
      if (by_backend && v["backend"].is_string() && !backend_index_.count(v["backend"].get<std::string>()))
        error(p + ".backend", "no backend named \"" + v["backend"].get<std::string>() + "\" in haproxy.backends");
      if (by_services && v["services"].is_array()) {
        if (v["services"].empty()) error(p + ".services", "must not be empty");
        for (size_t s = 0; s < v["services"].size(); ++s) selector(v["services"][s], idx(p + ".services", s));
      }
      if (has(v, "guePort") && forwarding != "GUE") error(p + ".guePort", "only with forwarding GUE");
      if (has(v, "mssClamp") && forwarding != "NAT" && forwarding != "IPIP" && forwarding != "GUE")
        error(p + ".mssClamp", "only with forwarding NAT, IPIP or GUE");
      const json& hc = member(v, "healthCheck");
      if (hc.is_object()) {
        const std::string type = string_or(hc, "type", "TCP");
        if (has(hc, "path") && type != "HTTP") error(p + ".healthCheck.path", "only with type HTTP");
        if (has(hc, "path") && string_or(hc, "path").rfind('/', 0) != 0)
          error(p + ".healthCheck.path", "must start with /");
        const json& interval = member(hc, "intervalSeconds");
        const json& timeout = member(hc, "timeoutSeconds");
        if (interval.is_number_integer() && timeout.is_number_integer() &&
            timeout.get<int64_t>() >= interval.get<int64_t>())
          error(p + ".healthCheck.timeoutSeconds", "must be less than intervalSeconds");
      }
      // A frontend bound to exactly this address and port would never see its traffic.
      const json& frontends = member(member(pool_, "haproxy"), "frontends");
      if (frontends.is_array() && protocol == "TCP")
        for (size_t f = 0; f < frontends.size(); ++f)
          if (frontends[f].is_object() && string_or(frontends[f], "bindAddress") == address &&
              member(frontends[f], "bindPort").is_number_integer() && frontends[f]["bindPort"].get<int64_t>() == port)
            error(p, "haproxy.frontends[" + std::to_string(f) + "] binds the same address and port");
    }
  }

  const json& pool_;
  const PoolContext& ctx_;
  FieldErrors errors_;
  std::set<std::string> secret_files_, env_files_, frontend_names_;
  std::map<std::string, size_t> backend_index_;
  std::map<std::string, std::string> backend_modes_;
};

}  // namespace

std::string default_frontend_name(const nlohmann::json& f) {
  std::string port = f.is_object() && f.contains("bindPort") && f["bindPort"].is_number_integer()
                         ? std::to_string(f["bindPort"].get<int64_t>())
                         : "";
  return "frontend_" + string_or(f, "bindAddress", "0.0.0.0") + "_" + port;
}

std::string default_vip_name(const std::string& pool, const std::string& address, int64_t port,
                             const std::string& protocol) {
  return pool + "-" + address + "-" + std::to_string(port) + "-" + protocol;
}

bool valid_pool_name(const std::string& name) {
  static const std::regex kLabel("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  return std::regex_match(name, kLabel);
}

FieldErrors validate_pool(const nlohmann::json& pool, const PoolContext& ctx) {
  Validator v(pool, ctx);
  return v.run();
}

}  // namespace edgelb::cp
