#include "agent/pool_inputs.h"

#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::cp {

nlohmann::json PoolInputs::to_json() const {
  return {{"name", name},
          {"version", version},
          {"config", config},
          {"template", template_text},
          {"secretFiles", secret_files},
          {"envFiles", env_files},
          {"autocert", autocert_pem}};
}

PoolInputs PoolInputs::from_json(const nlohmann::json& j) {
  try {
    PoolInputs p;
    p.name = j.at("name").get<std::string>();
    p.version = j.at("version").get<int64_t>();
    p.config = j.at("config");
    p.template_text = j.at("template").get<std::string>();
    p.secret_files = j.at("secretFiles").get<std::map<std::string, std::string>>();
    p.env_files = j.at("envFiles").get<std::map<std::string, std::string>>();
    p.autocert_pem = j.at("autocert").get<std::string>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("cached pool inputs: ") + e.what());
  }
}

PoolInputsRead read_pool_inputs(PoolStore& store, const std::string& name) {
  PoolInputsRead out;
  PoolRecord rec;
  StoreResult r = store.get(name, &rec);
  if (r.code == StoreResult::kNotFound) {
    out.gone = true;
    return out;
  }
  if (!r.ok()) {
    out.error = r.message;
    return out;
  }
  PoolInputs in;
  in.name = name;
  in.version = rec.version;
  in.config = rec.config;
  r = store.get_template(name, &in.template_text);
  if (r.code == StoreResult::kNotFound) {
    in.template_text.clear();
  } else if (!r.ok()) {
    out.error = r.message;
    return out;
  }
  const nlohmann::json& secrets = member(in.config, "secrets");
  if (secrets.is_array())
    for (const auto& s : secrets) {
      const std::string secret = string_or(s, "secret"), file = string_or(s, "file");
      if (secret.empty() || file.empty()) continue;
      auto value = store.read_secret(secret);
      if (!value) {
        out.error = "secret " + secret + " (for $SECRETS/" + file + ") is missing or does not open with this key";
        return out;
      }
      in.secret_files[file] = *value;
    }
  const nlohmann::json& env = member(in.config, "environmentVariables");
  if (env.is_object())
    for (auto it = env.begin(); it != env.end(); ++it)
      if (it.key().rfind("ELB_FILE_", 0) == 0 && it.value().is_string()) in.env_files[it.key()] = it.value();
  if (member(in.config, "autoCertificate").is_boolean() && in.config["autoCertificate"].get<bool>()) {
    std::string cert, key;
    r = store.auto_certificate(name, &cert, &key);
    if (!r.ok()) {
      out.error = r.message;
      return out;
    }
    in.autocert_pem = cert + key;
  }
  out.inputs = std::move(in);
  return out;
}

}  // namespace edgelb::cp
