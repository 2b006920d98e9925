#include "agent/pool_inputs.h"

#include <stdexcept>

namespace edgelb::cp {

bool PoolInputs::operator==(const PoolInputs& o) const {
  return name == o.name && version == o.version && config == o.config && template_text == o.template_text &&
         secret_files == o.secret_files && env_files == o.env_files && autocert_pem == o.autocert_pem;
}

PoolInputs PoolInputs::of(std::string name, int64_t version, nlohmann::json config) {
  PoolInputs in;
  in.model = std::make_shared<const PoolModel>(PoolModel::from_json(config));
  in.name = std::move(name);
  in.version = version;
  in.config = std::move(config);
  return in;
}

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
    PoolInputs p = of(j.at("name").get<std::string>(), j.at("version").get<int64_t>(), j.at("config"));
    p.template_text = j.at("template").get<std::string>();
    p.secret_files = j.at("secretFiles").get<std::map<std::string, std::string>>();
    p.env_files = j.at("envFiles").get<std::map<std::string, std::string>>();
    p.autocert_pem = j.at("autocert").get<std::string>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("cached pool inputs: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("cached pool inputs: config: ") + e.what());
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
  try {
    in = PoolInputs::of(name, rec.version, rec.config);
  } catch (const std::invalid_argument& e) {
    out.invalid = true;
    out.error = e.what();
    return out;
  }
  r = store.get_template(name, &in.template_text);
  if (r.code == StoreResult::kNotFound) {
    in.template_text.clear();
  } else if (!r.ok()) {
    out.error = r.message;
    return out;
  }
  for (const auto& [secret, file] : in.model->secrets) {
    if (secret.empty() || file.empty()) continue;
    auto value = store.read_secret(secret);
    if (!value) {
      out.error = "secret " + secret + " (for $SECRETS/" + file + ") is missing or does not open with this key";
      return out;
    }
    in.secret_files[file] = *value;
  }
  in.env_files = in.model->env_files();
  if (in.model->auto_certificate) {
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
