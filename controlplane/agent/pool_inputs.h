// Everything one pool instance renders from, besides the endpoints: the stored pool (config
// and version), its custom template, and the files its certificates name — secrets[] opened
// with the secret key, ELB_FILE_* environment values, and the autoCertificate (certificate +
// key). A plain value: the agent caches it (state_cache.h) and compares it to see whether a
// change is structural.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/pool_store.h"

namespace edgelb::cp {

struct PoolInputs {
  std::string name;
  int64_t version = 0;
  nlohmann::json config;
  std::string template_text;                        // "" = the default template
  std::map<std::string, std::string> secret_files;  // secrets[].file -> content
  std::map<std::string, std::string> env_files;     // ELB_FILE_<X> -> content
  std::string autocert_pem;                         // certificate + key; "" when not asked for
  bool operator==(const PoolInputs&) const = default;

  nlohmann::json to_json() const;
  static PoolInputs from_json(const nlohmann::json& j);  // throws std::runtime_error
};

struct PoolInputsRead {
  std::optional<PoolInputs> inputs;  // nullopt: see `gone` / `error`
  bool gone = false;                 // the pool does not exist (deleted)
  std::string error;                 // ZooKeeper unavailable, a secret that does not open, ...
};

// Reads a pool's inputs through the store (which opens secrets with its SecretBox).
PoolInputsRead read_pool_inputs(PoolStore& store, const std::string& name);

}  // namespace edgelb::cp
