#include "haproxy/template_data.h"

#include <arpa/inet.h>

#include <stdexcept>

#include "haproxy/haproxy_words.h"

namespace edgelb::haproxy {

const char* const kGetConfigLua =
    R"lua(-- edgelb: serves the haproxy.cfg this instance runs (Edge-LB's /_haproxy_getconfig).
core.register_service("getconfig", "http", function(applet)
  local path = os.getenv("EDGELB_HAPROXY_CONFIG")
  local f = path and io.open(path, "rb")
  local body = ""
  if f then
    body = f:read("*a") or ""
    f:close()
  end
  applet:set_status(f and 200 or 404)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", tostring(string.len(body)))
  applet:start_response()
  applet:send(body)
end)
)lua";

RenderSettings RenderSettings::under(const std::string& dir) {
  RenderSettings s;
  s.config_path = dir + "/haproxy.cfg";
  s.stats_socket = dir + "/run/stats.sock";
  s.server_state_file = dir + "/run/server-state";
  s.getconfig_lua = dir + "/getconfig.lua";
  s.secrets_dir = dir + "/secrets";
  s.envfile_dir = dir + "/envfiles";
  s.autocert_path = dir + "/autocert.pem";
  return s;
}

namespace {

using cp::PoolProtocol;
using nlohmann::json;

bool ip_literal(const std::string& a) {
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

// Rethrows a word-writing problem with the pool field it came from.
template <typename F>
auto at(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string one_line(const std::string& text, const std::string& path) {
  require_one_line(text, path);
  return text;
}

// miscStrs: the operator's own HAProxy lines, one each.
json misc_lines(const std::vector<std::string>& misc, const std::string& path) {
  json out = json::array();
  for (size_t m = 0; m < misc.size(); ++m)
    out.push_back(one_line(misc[m], path + ".miscStrs[" + std::to_string(m) + "]"));
  return out;
}

uint32_t bind_port(uint32_t given, const std::string& path, const RenderSettings& s) {
  if (given != 0) return given;
  auto it = s.allocated_ports.find(path);
  if (it == s.allocated_ports.end() || it->second == 0)
    throw std::invalid_argument(path + ".bindPort: 0 asks for an allocated port and none was allocated");
  return it->second;
}

std::string certificate_path(const std::string& ref, const RenderSettings& s) {
  static const std::string kSecrets = "$SECRETS/", kEnv = "$ENVFILE/";
  if (ref == "$AUTOCERT") return s.autocert_path;
  if (ref.rfind(kSecrets, 0) == 0) return s.secrets_dir + "/" + ref.substr(kSecrets.size());
  if (ref.rfind(kEnv, 0) == 0) return s.envfile_dir + "/" + ref.substr(kEnv.size());
  throw std::invalid_argument("\"" + ref + "\": not $AUTOCERT, $SECRETS/<file> or $ENVFILE/<name>");
}

// Host, path and SNI fetches per frontend kind. HTTP frontends read the Host header (without
// its port for hostEq); TLS frontends terminate TLS and read the SNI; TCP frontends peek at
// the ClientHello's SNI without terminating.
struct Fetches {
  const char* host_eq;
  const char* host_reg;
};
Fetches fetches_for(PoolProtocol p) {
  switch (p) {
    case PoolProtocol::kHttp:
    case PoolProtocol::kHttps: return {"req.hdr(host),lower,field(1,:) -m str", "req.hdr(host),lower -m reg"};
    case PoolProtocol::kTls: return {"ssl_fc_sni,lower -m str", "ssl_fc_sni,lower -m reg"};
    case PoolProtocol::kTcp: break;
  }
  return {"req.ssl_sni,lower -m str", "req.ssl_sni,lower -m reg"};
}

std::string frontend_path(size_t index) { return "haproxy.frontends[" + std::to_string(index) + "]"; }
std::string frontend_address(const cp::Frontend& f) { return f.bind_address.empty() ? "0.0.0.0" : f.bind_address; }

// The access log line of a frontend: HAProxy's httplog/tcplog fields, plus the pool, the
// server's address (the server is named by its task, server_slots.h) and no empty captures.
std::string log_format(const std::string& pool, bool http) {
  const std::string where = log_format_literal(pool) + "/%ft %b/%s %si:%sp ";
  if (http)
    return "%ci:%cp [%tr] " + where + "%TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}r";
  return "%ci:%cp [%t] " + where + "%Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
}

json frontend_data(const cp::Frontend& f, size_t index, const std::string& pool, const RenderSettings& s) {
  const std::string p = frontend_path(index);
  json fe;
  fe["name"] = at(p + ".name", [&] { return word(f.name); });
  const std::string address = frontend_address(f);
  const uint32_t port = bind_port(f.bind_port, p, s);
  fe["bindAddress"] = at(p + ".bindAddress", [&] { return word(address); });
  fe["bindPort"] = port;
  const std::string bind = host_port(address, port);
  auto fd = s.inherited_fds.find(bind);
  fe["bind"] = fd == s.inherited_fds.end() ? bind : "fd@" + std::to_string(fd->second);
  fe["protocol"] = cp::pool_protocol_name(f.protocol);
  fe["mode"] = cp::haproxy_mode(f.protocol);
  const bool http = f.protocol == PoolProtocol::kHttp || f.protocol == PoolProtocol::kHttps;
  fe["http"] = http;
  fe["logFormat"] = log_format(pool, http);
  const bool ssl = f.protocol == PoolProtocol::kHttps || f.protocol == PoolProtocol::kTls;
  fe["ssl"] = ssl;
  json certs = json::array();
  std::string options;
  if (ssl) {
    options = "ssl";
    for (size_t c = 0; c < f.certificates.size(); ++c) {
      std::string path = at(p + ".certificates[" + std::to_string(c) + "]",
                            [&] { return word(certificate_path(f.certificates[c], s)); });
      certs.push_back(path);
      options += " crt " + path;
    }
    if (f.protocol == PoolProtocol::kHttps) options += " alpn h2,http/1.1";
  }
  fe["certificates"] = certs;
  if (!f.bind_modifier.empty()) {
    options += (options.empty() ? "" : " ") + one_line(f.bind_modifier, p + ".bindModifier");
  }
  fe["bindOptions"] = options.empty() ? json(false) : json(options);

  const Fetches fetch = fetches_for(f.protocol);
  json acls = json::array(), uses = json::array();
  bool sni = false;
  for (size_t r = 0; r < f.rules.size(); ++r) {
    const cp::LinkRule& rule = f.rules[r];
    const std::string rp = p + ".linkBackend.map[" + std::to_string(r) + "]";
    const std::string prefix = "r" + std::to_string(r) + "_";
    std::string condition;
    auto acl = [&](const char* suffix, const char* criterion, const std::optional<std::string>& value,
                   const char* field) {
      if (!value) return;
      std::string name = prefix + suffix;
      acls.push_back(
          {{"name", name}, {"criterion", criterion}, {"value", at(rp + "." + field, [&] { return word(*value); })}});
      condition += (condition.empty() ? "" : " ") + name;
    };
    acl("host", fetch.host_eq, rule.host_eq, "hostEq");
    acl("host_reg", fetch.host_reg, rule.host_reg, "hostReg");
    acl("path_beg", "path -m beg", rule.path_beg, "pathBeg");
    acl("path_end", "path -m end", rule.path_end, "pathEnd");
    acl("path_reg", "path -m reg", rule.path_reg, "pathReg");
    sni = sni || (f.protocol == PoolProtocol::kTcp && (rule.host_eq || rule.host_reg));
    uses.push_back({{"backend", at(rp + ".backend", [&] { return word(rule.backend); })}, {"condition", condition}});
  }
  // redirectToHttps: every plain-HTTP request, except where one `except` entry (its fields
  // ANDed) matches, is redirected to https.
  json redirect = false;
  if (f.redirect_to_https) {
    std::string condition = "unless { ssl_fc }";
    for (size_t e = 0; e < f.redirect_except.size(); ++e) {
      const cp::RedirectException& x = f.redirect_except[e];
      const std::string ep = p + ".redirectToHttps.except[" + std::to_string(e) + "]";
      const std::string prefix = "https_except" + std::to_string(e) + "_";
      std::string terms;
      if (x.host) {
        acls.push_back({{"name", prefix + "host"},
                        {"criterion", "req.hdr(host),lower,field(1,:) -i"},
                        {"value", at(ep + ".host", [&] { return word(*x.host); })}});
        terms += prefix + "host";
      }
      if (x.path_beg) {
        acls.push_back({{"name", prefix + "path_beg"}, {"criterion", "path -m beg"}, {"value", at(ep + ".pathBeg", [&] {
                                                                                        return word(*x.path_beg);
                                                                                      })}});
        terms += (terms.empty() ? "" : " ") + prefix + "path_beg";
      }
      condition += " || " + terms;
    }
    redirect = {{"condition", condition}};
  }
  fe["tcpInspect"] = sni;
  fe["acls"] = acls;
  fe["redirect"] = redirect;
  fe["miscStrs"] = misc_lines(f.misc, p);
  fe["useBackends"] = uses;
  fe["defaultBackend"] = f.default_backend.empty()
                             ? json(false)
                             : json(at(p + ".linkBackend.defaultBackend", [&] { return word(f.default_backend); }));
  return fe;
}

// rewriteHttp as HAProxy 2.6 directives. Edge-LB's request/response switches default to true
// when the block is given, and an HTTP backend without the block behaves as if it were `{}`.
std::vector<std::string> rewrite_directives(const cp::Backend& b, const std::string& p) {
  std::vector<std::string> out;
  const cp::RewriteHttp rw = b.rewrite_http.value_or(cp::RewriteHttp{});
  const std::string rp = p + ".rewriteHttp";
  if (rw.forwardfor.value_or(true)) out.push_back("option forwardfor");
  if (rw.x_forwarded_port.value_or(true)) out.push_back("http-request set-header X-Forwarded-Port %[dst_port]");
  if (rw.x_forwarded_proto_https_if_tls.value_or(true))
    out.push_back("http-request add-header X-Forwarded-Proto https if { ssl_fc }");
  if (rw.host && rw.set_host_header.value_or(true))
    out.push_back("http-request set-header Host " +
                  at(rp + ".host", [&] { return word(log_format_literal(*rw.host)); }));
  if (rw.from_path && rw.to_path) {
    // Edge-LB's documented table (path-based routing how-to): a path that begins with fromPath
    // keeps what follows it (`rest`). toPath "" and "/" give "/" + rest without a doubled
    // slash; any other toPath gives toPath + rest exactly (so "/subpath/" after "/nginx" gives
    // "/subpath//index.html", as the table shows). A path that does not begin with fromPath
    // ("/nginx" for fromPath "/nginx/") is left alone. The query string is never touched.
    const std::string& from = *rw.from_path;
    std::string to = *rw.to_path;
    const bool to_root = to.empty() || to == "/";
    if (!to_root && to.front() != '/') to = "/" + to;  // never a relative request target
    if (rw.rewrite_path.value_or(true)) {
      const std::string match = to_root ? "^" + regex_literal(from) + "/?(.*)" : "^" + regex_literal(from) + "(.*)";
      const std::string target = to_root ? "/\\1" : log_format_literal(to) + "\\1";
      out.push_back("http-request replace-path " + at(rp + ".path.fromPath", [&] { return word(match); }) + " " +
                    at(rp + ".path.toPath", [&] { return word(target); }));
    }
    if (rw.rewrite_location.value_or(true)) {
      // Redirects from the server back under fromPath, the inverse of the request rewrite:
      // "/" + rest (or toPath + rest) -> fromPath [+ "/"] + rest. Only redirects to the
      // request's own host: relative ones ("/x", not "//host/x") and absolute ones whose
      // authority is the request's Host (case-insensitive). Redirects to other hosts (single
      // sign-on, another site) pass unchanged.
      std::string from_base = from;
      while (!from_base.empty() && from_base.back() == '/') from_base.pop_back();
      const std::string back_to =
          to_root ? from_base + "/" : from + (to.back() == '/' && (from.empty() || from.back() != '/') ? "/" : "");
      const std::string match = "^(https?://[^/]*)?" + regex_literal(to_root ? "/" : to) + "(.*)";
      out.push_back("http-request set-var(txn.edgelb_host) req.hdr(host),lower");
      out.push_back("http-response set-var(txn.edgelb_location_host) res.hdr(location),lower,field(3,/)");
      out.push_back("http-response replace-header Location " + at(rp + ".path.toPath", [&] { return word(match); }) +
                    " " + at(rp + ".path.fromPath", [&] { return word("\\1" + log_format_literal(back_to) + "\\2"); }) +
                    " if { res.hdr(location) -m reg ^/($|[^/]) } || { "
                    "var(txn.edgelb_location_host),strcmp(txn.edgelb_host) eq 0 }");
    }
  }
  return out;
}

std::string server_line(const std::string& name, const std::optional<ServerEndpoint>& server, bool enabled,
                        const cp::Backend& b, const cp::ServiceSelectorSpec& spec, bool sticky, const std::string& sp) {
  std::string line = "server " + name + " ";
  if (server) {
    line += at(sp, [&] { return word(host_port(server->address, server->port)); });
    if (!ip_literal(server->address)) line += " init-addr last,libc,none";
  } else {
    line += "0.0.0.0:0";
  }
  if (!enabled) line += " disabled";
  const std::string options = server_options(b, spec, sticky ? name : "", sp);
  if (!options.empty()) line += " " + options;
  return line;
}

json backend_data(const cp::Backend& b, size_t index, const ServerSlots& slots) {
  const std::string p = "haproxy.backends[" + std::to_string(index) + "]";
  json be;
  be["name"] = at(p + ".name", [&] { return word(b.name); });
  be["protocol"] = cp::pool_protocol_name(b.protocol);
  be["mode"] = cp::haproxy_mode(b.protocol);
  be["balance"] = b.balance.empty() ? json(false) : json(one_line(b.balance, p + ".balance"));
  const bool http = std::string(cp::haproxy_mode(b.protocol)) == "http";
  std::vector<std::string> directives;
  if (http) {
    // The defaults retry connection failures, empty responses and response timeouts on another
    // server (retry-on). Only the first is safe for every request: nothing reached a server.
    // The others would replay a request a server may have acted on, so they apply to safe
    // methods only (GET, HEAD, OPTIONS); a POST reaches the servers at most once.
    directives.push_back("http-request disable-l7-retry unless METH_GET || METH_OPTIONS");
    auto rewrite = rewrite_directives(b, p);
    directives.insert(directives.end(), rewrite.begin(), rewrite.end());
  }
  const bool sticky = http && b.rewrite_http && b.rewrite_http->sticky;
  if (sticky)
    directives.push_back(b.rewrite_http->sticky_custom.empty()
                             ? "cookie EDGELB_" + b.name + " insert indirect nocache httponly"
                             : one_line(b.rewrite_http->sticky_custom, p + ".rewriteHttp.sticky.customStr"));
  if (b.custom_check) {
    const cp::CustomCheck& c = *b.custom_check;
    if (c.httpchk)
      directives.push_back(
          "option httpchk" +
          (c.httpchk_misc.empty() ? "" : " " + one_line(c.httpchk_misc, p + ".customCheck.httpchkMiscStr")));
    if (c.ssl_hello) directives.push_back("option ssl-hello-chk");
    if (!c.misc.empty()) directives.push_back(one_line(c.misc, p + ".customCheck.miscStr"));
  }
  be["directives"] = directives;
  be["miscStrs"] = misc_lines(b.misc, p);
  be["sticky"] = sticky;

  json servers = json::array();
  for (const SlotGroup& g : slots.groups()) {
    if (g.backend != index) continue;
    const cp::ServiceSelectorSpec& spec = b.services.at(g.service);
    const std::string sp = p + ".services[" + std::to_string(g.service) + "]";
    auto add = [&](const std::string& name, const std::optional<ServerEndpoint>& server, bool enabled, size_t slot) {
      json s = {{"name", name},
                {"service", g.service},
                {"slot", slot},
                {"enabled", enabled},
                {"address", server ? at(sp, [&] { return word(server->address); }) : "0.0.0.0"},
                {"port", server ? server->port : 0},
                {"taskId", server ? json(server->task_id) : json(false)},
                {"line", server_line(name, server, enabled, b, spec, sticky, sp)}};
      servers.push_back(std::move(s));
    };
    if (g.fixed) {
      add(slot_name(g, 0), ServerEndpoint{spec.address, spec.port.value_or(0), false, "", true}, true, 0);
      continue;
    }
    for (size_t k = 0; k < g.slots.size(); ++k) {
      const Slot& slot = g.slots[k];
      const bool live = slot.server && !slot.draining;
      if (g.dynamic && !live) continue;  // only live servers: a restart does not bring back the rest
      add(slot_name(g, k), live ? slot.server : std::nullopt, live && slot.server->ready, k);
    }
  }
  be["servers"] = servers;
  return be;
}

}  // namespace

std::string server_options(const cp::Backend& b, const cp::ServiceSelectorSpec& spec, const std::string& cookie,
                           const std::string& path) {
  std::string out;
  auto add = [&](const std::string& option) { out += (out.empty() ? "" : " ") + option; };
  if (spec.check_enabled.value_or(true)) {
    add("check");
    if (!spec.check_custom.empty()) add(one_line(spec.check_custom, path + ".endpoint.check.customStr"));
  }
  if (b.protocol == PoolProtocol::kHttps || b.protocol == PoolProtocol::kTls) add("ssl verify none");
  if (!cookie.empty()) add("cookie " + cookie);
  if (!spec.misc.empty()) add(one_line(spec.misc, path + ".endpoint.miscStr"));
  return out;
}

std::vector<std::string> frontend_binds(const cp::PoolModel& pool, const RenderSettings& settings) {
  std::vector<std::string> out;
  for (size_t i = 0; i < pool.frontends.size(); ++i) {
    const cp::Frontend& f = pool.frontends[i];
    out.push_back(host_port(frontend_address(f), bind_port(f.bind_port, frontend_path(i), settings)));
  }
  return out;
}

json template_data(const cp::PoolModel& pool, int64_t version, const ServerSlots& slots,
                   const RenderSettings& settings) {
  if (!slots.fits(pool)) throw std::invalid_argument("server slots were planned for another version of the pool");
  json d;
  d["pool"] = {{"name", pool.name}, {"version", version}};
  auto number_or_false = [](uint32_t v) { return v == 0 ? json(false) : json(v); };
  const TlsDefaults& tls = settings.tls;
  std::string tls_options = "ssl-min-ver " + word(tls.min_version);
  if (!tls.session_tickets) tls_options += " no-tls-tickets";
  d["global"] = {{"maxconn", number_or_false(settings.limits.maxconn)},
                 {"statsSocket", word(settings.stats_socket)},
                 {"serverStateFile", word(settings.server_state_file)},
                 {"hardStopAfter", word(settings.hard_stop_after)},
                 {"configPath", word(settings.config_path)},
                 {"getconfigLua", word(settings.getconfig_lua)},
                 {"log", settings.log_target.empty() ? json(false) : json(settings.log_target)},
                 {"tls",
                  {{"minVersion", word(tls.min_version)},
                   {"ciphers", word(tls.ciphers)},
                   {"ciphersuites", word(tls.ciphersuites)},
                   {"sessionTickets", tls.session_tickets},
                   {"bindOptions", tls_options}}}};
  d["defaults"] = {{"maxconn", number_or_false(settings.limits.frontend_maxconn)},
                   {"backlog", number_or_false(settings.limits.backlog)}};
  const std::string stats_address = pool.stats_address.empty() ? "0.0.0.0" : pool.stats_address;
  const uint32_t stats_port = bind_port(pool.stats_port.value_or(9090), "haproxy.stats", settings);
  d["stats"] = {{"address", at("haproxy.stats.bindAddress", [&] { return word(stats_address); })},
                {"port", stats_port},
                {"bind", host_port(stats_address, stats_port)}};
  json frontends = json::array(), backends = json::array();
  for (size_t i = 0; i < pool.frontends.size(); ++i)
    frontends.push_back(frontend_data(pool.frontends[i], i, pool.name, settings));
  for (size_t i = 0; i < pool.backends.size(); ++i) backends.push_back(backend_data(pool.backends[i], i, slots));
  d["frontends"] = frontends;
  d["backends"] = backends;
  return d;
}

}  // namespace edgelb::haproxy
