// Lenient reads of nlohmann::json documents (pool configs, Mesos events): a missing key, or a
// lookup on something that is not an object, reads as null instead of throwing.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace edgelb {

// j[key], or a null value when j is not an object or has no such key.
inline const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// j[key] when it is a string, else `fallback`.
inline std::string string_or(const nlohmann::json& j, const char* key, const std::string& fallback = "") {
  const nlohmann::json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : fallback;
}

// "path[i]": JSON paths in error messages.
inline std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace edgelb
