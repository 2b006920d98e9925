// Small helpers for strict YAML reading: every problem becomes a FieldError with the
// path of the offending node; unknown keys are errors. Control-side only.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/service_spec.h"

namespace edgelb {

// Thrown by loaders when a file cannot be used; what() lists every error, one per line.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, FieldErrors errors);
  const FieldErrors& errors() const { return errors_; }

 private:
  FieldErrors errors_;
};

class YamlReader {
 public:
  explicit YamlReader(FieldErrors& errors) : errors_(errors) {}

  void error(const std::string& path, const std::string& reason) { errors_.push_back({path, reason}); }
  // Reports keys of a map that are not in `allowed`; false if `node` is not a map.
  bool check_map(const YAML::Node& node, const std::string& path, std::initializer_list<const char*> allowed);
  std::optional<std::string> str(const YAML::Node& map, const char* key, const std::string& path,
                                 bool required = false);
  std::optional<uint64_t> uint(const YAML::Node& map, const char* key, const std::string& path, uint64_t min,
                               uint64_t max, bool required = false);
  std::optional<bool> boolean(const YAML::Node& map, const char* key, const std::string& path);
  std::optional<IpAddress> ip(const YAML::Node& map, const char* key, const std::string& path, bool required = false);
  std::optional<IpPrefix> prefix(const YAML::Node& map, const char* key, const std::string& path);
  std::optional<MacAddress> mac(const YAML::Node& map, const char* key, const std::string& path);
  std::vector<std::string> str_list(const YAML::Node& map, const char* key, const std::string& path);

 private:
  FieldErrors& errors_;
};

// Loads a YAML file, turning syntax errors into a ConfigError.
YAML::Node load_yaml_file(const std::string& file);

}  // namespace edgelb
