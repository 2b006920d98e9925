#include "pool/haproxy_text_check.h"

#include <algorithm>

#include "common/json_access.h"

namespace edgelb::cp {
namespace {

using nlohmann::json;

bool control_char(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool has_control_char(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return control_char(c); });
}

void control_chars(const json& j, const std::string& path, FieldErrors* errors);

// environmentVariables: values never become a line of haproxy.cfg. An ELB_FILE_<X> value is
// the content of a file ($ENVFILE/ELB_FILE_<X>, a PEM with its line breaks as Edge-LB
// documents); the others are the environment of the pool's tasks. A value may hold any
// character an environment value can (all but NUL); names are checked like every key.
void environment(const json& env, const std::string& path, FieldErrors* errors) {
  if (!env.is_object()) return control_chars(env, path, errors);
  for (auto it = env.begin(); it != env.end(); ++it) {
    const std::string p = path + "." + it.key();
    if (has_control_char(it.key())) errors->push_back({p, "key must not contain control characters"});
    if (it.value().is_string()) {
      if (it.value().get_ref<const std::string&>().find('\0') != std::string::npos)
        errors->push_back({p, "must not contain a NUL character"});
    } else {
      control_chars(it.value(), p, errors);
    }
  }
}

void control_chars(const json& j, const std::string& path, FieldErrors* errors) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (has_control_char(s))
      errors->push_back({path, "must not contain control characters (newline, carriage return, tab, ...)"});
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) control_chars(j[i], idx(path, i), errors);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string p = path.empty() ? it.key() : path + "." + it.key();
      if (has_control_char(it.key())) errors->push_back({p, "key must not contain control characters"});
      if (p == "environmentVariables")
        environment(it.value(), p, errors);
      else
        control_chars(it.value(), p, errors);
    }
  }
}

void no_single_quote(const json& obj, const char* key, const std::string& path, FieldErrors* errors) {
  const json& v = member(obj, key);
  if (v.is_string() && v.get_ref<const std::string&>().find('\'') != std::string::npos)
    errors->push_back({path + "." + key, "must not contain a single quote (the value is written single-quoted)"});
}

void proxy_name(const json& obj, const std::string& path, FieldErrors* errors) {
  const json& v = member(obj, "name");
  if (v.is_string() && !v.get_ref<const std::string&>().empty() && !haproxy_name_ok(v.get<std::string>()))
    errors->push_back({path + ".name", "HAProxy names may use only letters, digits, '_', '.', ':' and '-'"});
}

void bind_address(const json& obj, const std::string& path, FieldErrors* errors) {
  const json& v = member(obj, "bindAddress");
  if (!v.is_string()) return;
  const std::string& a = v.get_ref<const std::string&>();
  if (!std::all_of(a.begin(), a.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '.' || c == ':' || c == '-'; }))
    errors->push_back({path + ".bindAddress",
                       "must be an IP address or a host name: no '*', '[', ']', spaces or other symbols (it becomes "
                       "part of the frontend name)"});
}

}  // namespace

bool haproxy_name_ok(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
  });
}

void check_haproxy_text(const json& pool, FieldErrors* errors) {
  control_chars(pool, "", errors);
  const json& hp = member(pool, "haproxy");
  bind_address(member(hp, "stats"), "haproxy.stats", errors);
  const json& frontends = member(hp, "frontends");
  if (frontends.is_array())
    for (size_t i = 0; i < frontends.size(); ++i) {
      const std::string p = idx("haproxy.frontends", i);
      const json& f = frontends[i];
      proxy_name(f, p, errors);
      bind_address(f, p, errors);
      const json& except = member(member(f, "redirectToHttps"), "except");
      if (except.is_array())
        for (size_t e = 0; e < except.size(); ++e)
          for (const char* k : {"host", "pathBeg"})
            no_single_quote(except[e], k, idx(p + ".redirectToHttps.except", e), errors);
      const json& map = member(member(f, "linkBackend"), "map");
      if (map.is_array())
        for (size_t r = 0; r < map.size(); ++r)
          for (const char* k : {"hostEq", "hostReg", "pathBeg", "pathEnd", "pathReg"})
            no_single_quote(map[r], k, idx(p + ".linkBackend.map", r), errors);
    }
  const json& backends = member(hp, "backends");
  if (backends.is_array())
    for (size_t i = 0; i < backends.size(); ++i) {
      const std::string p = idx("haproxy.backends", i);
      proxy_name(backends[i], p, errors);
      const json& rewrite = member(backends[i], "rewriteHttp");
      no_single_quote(rewrite, "host", p + ".rewriteHttp", errors);
      for (const char* k : {"fromPath", "toPath"})
        no_single_quote(member(rewrite, "path"), k, p + ".rewriteHttp.path", errors);
    }
}

}  // namespace edgelb::cp
