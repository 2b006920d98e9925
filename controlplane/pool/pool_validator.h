// Validates a whole pool configuration: the schema (pool_schema.h) and then everything a
// schema cannot say — required fields, names, duplicate binds, links between frontends and
// backends, HAProxy modes, PCRE2 regexes, certificate and secret references, and the
// fastPath VIPs. Returns every problem (empty: valid). Pure and thread-safe; the store is
// consulted only through PoolContext.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "dataplane/rpc/field_error.h"

namespace edgelb::cp {

struct PoolContext {
  // Whether a secret of that name is in the secret store; unset: secret names are not checked.
  std::function<bool(const std::string&)> secret_exists;
};

FieldErrors validate_pool(const nlohmann::json& pool, const PoolContext& ctx = {});

// The frontend name Edge-LB uses when none is given: frontend_<bindAddress>_<bindPort>.
std::string default_frontend_name(const nlohmann::json& frontend);
// A fastPath VIP's name when none is given: <pool>-<address>-<port>-<protocol>.
std::string default_vip_name(const std::string& pool, const std::string& address, int64_t port,
                             const std::string& protocol);

// Whether `name` is a valid pool name (a DNS label: lowercase letters, digits, '-', 1..63).
bool valid_pool_name(const std::string& name);

}  // namespace edgelb::cp
