#include "store/pool_summary.h"

#include <initializer_list>
#include <nlohmann/json.hpp>

namespace edgelb::cp {
namespace {

size_t array_size(const nlohmann::json& config, std::initializer_list<const char*> path) {
  const nlohmann::json* node = &config;
  for (const char* k : path) {
    if (!node->is_object() || !node->contains(k)) return 0;
    node = &(*node)[k];
  }
  return node->is_array() ? node->size() : 0;
}

}  // namespace

std::optional<PoolSummary> summarize_record(const std::string& name, const std::string& record_json, size_t instances) {
  const nlohmann::json j = nlohmann::json::parse(record_json, nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j.contains("config")) return std::nullopt;
  const nlohmann::json& config = j["config"];
  PoolSummary s;
  s.name = name;
  s.version = j.value("version", int64_t{0});
  s.updated_at_ms = j.value("updatedAt", int64_t{0});
  s.updated_by = j.value("updatedBy", "");
  s.frontends = array_size(config, {"haproxy", "frontends"});
  s.backends = array_size(config, {"haproxy", "backends"});
  s.vips = array_size(config, {"fastPath", "vips"});
  s.instances = instances;
  return s;
}

}  // namespace edgelb::cp
