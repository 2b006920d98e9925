#include "store/pool_summary.h"

#include <nlohmann/json.hpp>

#include "pool/pool_model.h"

namespace edgelb::cp {

std::optional<PoolSummary> summarize_record(const std::string& name, const std::string& record_json, size_t instances) {
  const nlohmann::json j = nlohmann::json::parse(record_json, nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j.contains("config")) return std::nullopt;
  PoolSummary s;
  s.name = name;
  s.version = j.value("version", int64_t{0});
  s.updated_at_ms = j.value("updatedAt", int64_t{0});
  s.updated_by = j.value("updatedBy", "");
  s.instances = instances;
  try {
    const PoolModel pool = PoolModel::from_json(j["config"]);
    s.frontends = pool.frontends.size();
    s.backends = pool.backends.size();
    s.vips = pool.vips.size();
  } catch (const std::invalid_argument&) {
    // A record stored by an older schema still lists, by name and version.
  }
  return s;
}

}  // namespace edgelb::cp
