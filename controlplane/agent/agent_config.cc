#include "agent/agent_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/read_file.h"

namespace edgelb::cp {
namespace {

struct Reader {
  std::string origin;
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw std::runtime_error(origin + ": " + key + ": " + why);
  }
  void only(const YAML::Node& n, const std::string& at, std::set<std::string> keys) const {
    if (!n) return;
    if (!n.IsMap()) fail(at.empty() ? "(top level)" : at, "must be a mapping");
    for (const auto& kv : n) {
      auto k = kv.first.as<std::string>();
      if (!keys.count(k)) fail(at.empty() ? k : at + "." + k, "unknown key");
    }
  }
  template <typename T>
  void get(const YAML::Node& n, const char* key, const std::string& at, T* out) const {
    if (!n || !n[key]) return;
    try {
      *out = n[key].as<T>();
    } catch (const YAML::Exception&) {
      fail(at + "." + key, "has the wrong type");
    }
  }
  void millis(const YAML::Node& n, const char* key, const std::string& at, std::chrono::milliseconds* out) const {
    int64_t v = out->count();
    get(n, key, at, &v);
    if (v < 0) fail(at + "." + key, "must not be negative");
    *out = std::chrono::milliseconds(v);
  }
};

}  // namespace

AgentConfig AgentConfig::from_yaml(const std::string& text, const std::string& origin) {
  Reader r{origin};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(origin + ": " + e.what());
  }
  AgentConfig c;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  c.node_name = host;
  r.only(root, "",
         {"node", "zookeeper", "apiserver", "secret_key_file", "state_dir", "haproxy", "metrics", "dataplane"});
  const YAML::Node node = root["node"];
  r.only(node, "node", {"name", "address", "roles", "attributes"});
  r.get(node, "name", "node", &c.node_name);
  r.get(node, "address", "node", &c.node_address);
  r.get(node, "roles", "node", &c.roles);
  r.get(node, "attributes", "node", &c.attributes);
  if (c.node_name.empty()) r.fail("node.name", "must not be empty");
  if (c.node_address.empty()) c.node_address = c.node_name;
  if (c.roles.empty()) r.fail("node.roles", "must name at least one role");

  const YAML::Node zk = root["zookeeper"];
  r.only(zk, "zookeeper", {"connect", "root", "digest_file", "session_timeout_ms"});
  r.get(zk, "connect", "zookeeper", &c.zk_connect);
  r.get(zk, "root", "zookeeper", &c.zk_root);
  r.get(zk, "digest_file", "zookeeper", &c.zk_digest_file);
  r.millis(zk, "session_timeout_ms", "zookeeper", &c.zk_session_timeout);
  if (c.zk_connect.empty()) r.fail("zookeeper.connect", "required");

  const YAML::Node api = root["apiserver"];
  r.only(api, "apiserver", {"address", "certs_dir", "ca", "cert", "key", "token", "server_name", "insecure"});
  c.apiserver.as_role = "agent";
  r.get(api, "address", "apiserver", &c.apiserver.server);
  r.get(api, "certs_dir", "apiserver", &c.apiserver.certs_dir);
  r.get(api, "ca", "apiserver", &c.apiserver.ca);
  r.get(api, "cert", "apiserver", &c.apiserver.cert);
  r.get(api, "key", "apiserver", &c.apiserver.key);
  r.get(api, "token", "apiserver", &c.apiserver.token);
  r.get(api, "server_name", "apiserver", &c.apiserver.server_name);
  r.get(api, "insecure", "apiserver", &c.apiserver.insecure);
  c.apiserver.timeout_s = 10;

  r.get(root, "secret_key_file", "", &c.secret_key_file);
  r.get(root, "state_dir", "", &c.state_dir);
  if (c.state_dir.empty()) r.fail("state_dir", "must not be empty");

  const YAML::Node hp = root["haproxy"];
  r.only(hp, "haproxy",
         {"binary", "min_reload_interval_ms", "hard_stop_after", "drain_timeout_ms", "port_range", "stop_on_exit",
          "maxconn", "frontend_maxconn", "backlog", "tls", "access_log"});
  r.get(hp, "binary", "haproxy", &c.haproxy_binary);
  r.millis(hp, "min_reload_interval_ms", "haproxy", &c.min_reload_interval);
  r.get(hp, "hard_stop_after", "haproxy", &c.hard_stop_after);
  static const std::regex kTime("[0-9]+(us|ms|s|m|h|d)?");
  if (!std::regex_match(c.hard_stop_after, kTime))
    r.fail("haproxy.hard_stop_after",
           "must be an HAProxy time (a number with us, ms, s, m, h or d), got \"" + c.hard_stop_after + "\"");
  r.get(hp, "maxconn", "haproxy", &c.haproxy_limits.maxconn);
  r.get(hp, "frontend_maxconn", "haproxy", &c.haproxy_limits.frontend_maxconn);
  r.get(hp, "backlog", "haproxy", &c.haproxy_limits.backlog);
  const YAML::Node absent(YAML::NodeType::Undefined);
  const YAML::Node tls = hp && hp.IsMap() ? hp["tls"] : absent;
  r.only(tls, "haproxy.tls", {"min_version", "ciphers", "ciphersuites", "session_tickets"});
  r.get(tls, "min_version", "haproxy.tls", &c.tls.min_version);
  r.get(tls, "ciphers", "haproxy.tls", &c.tls.ciphers);
  r.get(tls, "ciphersuites", "haproxy.tls", &c.tls.ciphersuites);
  r.get(tls, "session_tickets", "haproxy.tls", &c.tls.session_tickets);
  if (c.tls.min_version != "TLSv1.2" && c.tls.min_version != "TLSv1.3")
    r.fail("haproxy.tls.min_version", "must be TLSv1.2 or TLSv1.3, got \"" + c.tls.min_version + "\"");
  static const std::regex kCipherList("[A-Za-z0-9_:+!@=.-]+");
  if (!std::regex_match(c.tls.ciphers, kCipherList))
    r.fail("haproxy.tls.ciphers", "must be an OpenSSL cipher list (no spaces)");
  if (!std::regex_match(c.tls.ciphersuites, kCipherList))
    r.fail("haproxy.tls.ciphersuites", "must be a TLS 1.3 suite list (no spaces)");
  const YAML::Node log = hp && hp.IsMap() ? hp["access_log"] : absent;
  r.only(log, "haproxy.access_log", {"target", "file", "max_size_mb", "keep", "address", "facility"});
  std::string target = haproxy::access_log_kind_name(c.access_log.kind);
  r.get(log, "target", "haproxy.access_log", &target);
  try {
    c.access_log.kind = haproxy::parse_access_log_kind(target);
  } catch (const std::invalid_argument& e) {
    r.fail("haproxy.access_log.target", e.what());
  }
  r.get(log, "file", "haproxy.access_log", &c.access_log.file);
  if (!c.access_log.file.empty() &&
      (c.access_log.file.front() != '/' || c.access_log.file.find("{pool}") == std::string::npos))
    r.fail("haproxy.access_log.file",
           "must be an absolute path with \"{pool}\" in it (each pool instance writes its own file), got \"" +
               c.access_log.file + "\"");
  uint64_t max_mb = c.access_log.max_bytes >> 20;
  r.get(log, "max_size_mb", "haproxy.access_log", &max_mb);
  if (max_mb == 0) r.fail("haproxy.access_log.max_size_mb", "must be at least 1");
  c.access_log.max_bytes = max_mb << 20;
  r.get(log, "keep", "haproxy.access_log", &c.access_log.keep);
  r.get(log, "address", "haproxy.access_log", &c.access_log.syslog_address);
  r.get(log, "facility", "haproxy.access_log", &c.access_log.facility);
  static const std::regex kFacility(
      "kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|auth2|ftp|ntp|audit|alert|"
      "cron2|local[0-7]");
  if (!std::regex_match(c.access_log.facility, kFacility))
    r.fail("haproxy.access_log.facility",
           "must be a syslog facility (local0 .. local7, daemon, ...), got \"" + c.access_log.facility + "\"");
  static const std::regex kAddress("/[^ ]*|[A-Za-z0-9.:\\[\\]-]+:[0-9]+");
  if (!std::regex_match(c.access_log.syslog_address, kAddress))
    r.fail("haproxy.access_log.address",
           "must be a unix socket path (/dev/log) or host:port (UDP), got \"" + c.access_log.syslog_address + "\"");
  r.millis(hp, "drain_timeout_ms", "haproxy", &c.drain_timeout);
  r.get(hp, "stop_on_exit", "haproxy", &c.stop_haproxy_on_exit);
  if (hp && hp["port_range"]) {
    std::vector<uint32_t> range;
    r.get(hp, "port_range", "haproxy", &range);
    if (range.size() != 2 || range[0] == 0 || range[0] > range[1] || range[1] > 65535)
      r.fail("haproxy.port_range", "must be [first, last] within 1..65535");
    c.port_range_first = range[0];
    c.port_range_last = range[1];
  }
  const YAML::Node metrics = root["metrics"];
  r.only(metrics, "metrics", {"listen"});
  r.get(metrics, "listen", "metrics", &c.metrics_listen);
  const YAML::Node dp = root["dataplane"];
  r.only(dp, "dataplane", {"control_socket", "health_checks"});
  r.get(dp, "control_socket", "dataplane", &c.dataplane_socket);
  r.get(dp, "health_checks", "dataplane", &c.health_checks);
  return c;
}

AgentConfig AgentConfig::from_file(const std::string& path) {
  return from_yaml(read_file(path, "agent configuration"), path);
}

}  // namespace edgelb::cp
