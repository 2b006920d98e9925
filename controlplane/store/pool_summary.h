// One line of ListPools: a pool's name, version, who changed it last and how big it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace edgelb::cp {

struct PoolSummary {
  std::string name;
  int64_t version = 0;
  int64_t updated_at_ms = 0;
  std::string updated_by;
  size_t frontends = 0, backends = 0, vips = 0;
  size_t instances = 0;
  bool operator==(const PoolSummary&) const = default;
};

// The summary of a stored pool record (PoolRecord JSON, as under <root>/pools/<name>) with
// `instances` registrations; nullopt when the record is unreadable. Pure; thread-safe.
std::optional<PoolSummary> summarize_record(const std::string& name, const std::string& record_json, size_t instances);

}  // namespace edgelb::cp
