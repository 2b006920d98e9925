#include "config/yaml_reader.h"

#include <algorithm>
#include <cstring>

namespace edgelb {

namespace {
std::string join_errors(const std::string& file, const FieldErrors& errors) {
  std::string s = file + ": " + std::to_string(errors.size()) + " error(s)";
  for (const auto& e : errors) s += "\n  " + e.path + ": " + e.reason;
  return s;
}
std::string child(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }
}  // namespace

ConfigError::ConfigError(const std::string& file, FieldErrors errors)
    : std::runtime_error(join_errors(file, errors)), errors_(std::move(errors)) {}

YAML::Node load_yaml_file(const std::string& file) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file, {{"", "cannot read file"}});
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, {{"line " + std::to_string(e.mark.line + 1), e.msg}});
  }
}

bool YamlReader::check_map(const YAML::Node& node, const std::string& path,
                           std::initializer_list<const char*> allowed) {
  if (!node.IsMap()) {
    error(path.empty() ? "(root)" : path, "must be a mapping");
    return false;
  }
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }))
      error(child(path, k.c_str()), "unknown field");
  }
  return true;
}

std::optional<std::string> YamlReader::str(const YAML::Node& map, const char* key, const std::string& path,
                                           bool required) {
  const YAML::Node n = map[key];
  if (!n) {
    if (required) error(child(path, key), "is required");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(child(path, key), "must be a string");
    return std::nullopt;
  }
  return n.as<std::string>();
}

std::optional<uint64_t> YamlReader::uint(const YAML::Node& map, const char* key, const std::string& path, uint64_t min,
                                         uint64_t max, bool required) {
  auto s = str(map, key, path, required);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  const char* b = s->c_str();
  char* end = nullptr;
  errno = 0;
  v = std::strtoull(b, &end, 10);
  if (s->empty() || *end != '\0' || errno != 0 || (*b == '-')) {
    error(child(path, key), "must be an unsigned integer, got '" + *s + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(child(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + *s);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& map, const char* key, const std::string& path) {
  auto s = str(map, key, path);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  error(child(path, key), "must be true or false, got '" + *s + "'");
  return std::nullopt;
}

std::optional<IpAddress> YamlReader::ip(const YAML::Node& map, const char* key, const std::string& path,
                                        bool required) {
  auto s = str(map, key, path, required);
  if (!s) return std::nullopt;
  auto a = IpAddress::parse(*s);
  if (!a) error(child(path, key), "'" + *s + "' is not an IPv4 or IPv6 address");
  return a;
}

std::optional<IpPrefix> YamlReader::prefix(const YAML::Node& map, const char* key, const std::string& path) {
  auto s = str(map, key, path);
  if (!s) return std::nullopt;
  auto p = IpPrefix::parse(*s);
  if (!p) error(child(path, key), "'" + *s + "' is not an address/length prefix");
  return p;
}

std::optional<MacAddress> YamlReader::mac(const YAML::Node& map, const char* key, const std::string& path) {
  auto s = str(map, key, path);
  if (!s) return std::nullopt;
  auto m = MacAddress::parse(*s);
  if (!m) error(child(path, key), "'" + *s + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  return m;
}

std::vector<std::string> YamlReader::str_list(const YAML::Node& map, const char* key, const std::string& path) {
  std::vector<std::string> out;
  const YAML::Node n = map[key];
  if (!n) return out;
  if (!n.IsSequence()) {
    error(child(path, key), "must be a list");
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar())
      error(child(path, key) + "[" + std::to_string(i) + "]", "must be a string");
    else
      out.push_back(n[i].as<std::string>());
  }
  return out;
}

}  // namespace edgelb
