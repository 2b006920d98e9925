// Everything one pool instance renders from, besides the endpoints: the stored pool (config
// and version) and its model, parsed once per version, its custom template, and the files its
// certificates name — secrets[] opened with the secret key, ELB_FILE_* environment values, and
// the autoCertificate (certificate + key). A value: the agent caches it (state_cache.h) and
// compares it to see whether a change is structural. Copies share the immutable model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pool/pool_model.h"
#include "store/pool_store.h"

namespace edgelb::cp {

struct PoolInputs {
  std::string name;
  int64_t version = 0;
  nlohmann::json config;
  // `config` parsed (PoolModel::from_json): what every part of the agent reads the pool from.
  // Never null in inputs made by of(), read_pool_inputs() or from_json(); derived from
  // `config`, so == does not compare it.
  std::shared_ptr<const PoolModel> model;
  std::string template_text;                        // "" = the default template
  std::map<std::string, std::string> secret_files;  // secrets[].file -> content
  std::map<std::string, std::string> env_files;     // ELB_FILE_<X> -> content
  std::string autocert_pem;                         // certificate + key; "" when not asked for
  bool operator==(const PoolInputs& o) const;

  // Inputs of a stored pool version with no files yet. Throws std::invalid_argument naming the
  // field when `config` is not a valid pool.
  static PoolInputs of(std::string name, int64_t version, nlohmann::json config);
  nlohmann::json to_json() const;
  static PoolInputs from_json(const nlohmann::json& j);  // throws std::runtime_error
};

struct PoolInputsRead {
  std::optional<PoolInputs> inputs;  // nullopt: see `gone` / `error`
  bool gone = false;                 // the pool does not exist (deleted)
  bool invalid = false;              // the stored config is not a valid pool (`error` says where)
  std::string error;                 // ZooKeeper unavailable, a secret that does not open, ...
};

// Reads a pool's inputs through the store (which opens secrets with its SecretBox).
PoolInputsRead read_pool_inputs(PoolStore& store, const std::string& name);

}  // namespace edgelb::cp
