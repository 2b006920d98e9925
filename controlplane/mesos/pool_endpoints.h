// A pool's service selectors applied to the live model: for every haproxy.backends[].services[]
// entry, and every fastPath.vips[] entry (its own services, or those of the backend it names),
// the endpoints they select now. HAProxy backends take TCP ports; a fastPath VIP takes ports of
// its own protocol. Used by the Endpoints and WatchEndpoints RPCs.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mesos/service_selector.h"

namespace edgelb::mesos {

struct ServiceEndpoints {
  std::string path;     // "haproxy.backends[0].services[1]", "fastPath.vips[0].services[0]"
  std::string backend;  // the backend name (fastPath VIPs: the named backend, or "")
  std::vector<Endpoint> endpoints;
};

// One selection of a pool: a services[] entry, compiled, with where its endpoints go.
struct PoolService {
  std::string path;     // as ServiceEndpoints::path
  std::string backend;  // as ServiceEndpoints::backend
  ServiceSelector selector;
};
// Every selection of a pool, in the order pool_endpoints() answers. Throws
// std::invalid_argument("<path>: <reason>") for a selector it cannot use (the pool validator
// rejects those before they are stored).
std::vector<PoolService> pool_services(const cp::PoolModel& pool);

// Throws std::invalid_argument("<path>: <reason>") for a selector it cannot use (the pool
// validator rejects those before they are stored).
std::vector<ServiceEndpoints> pool_endpoints(const cp::PoolModel& pool, const ModelView& view,
                                             bool include_not_ready = false);
// The same for a pool's JSON (cp::PoolModel::from_json first).
std::vector<ServiceEndpoints> pool_endpoints(const nlohmann::json& pool, const ModelView& view,
                                             bool include_not_ready = false);

}  // namespace edgelb::mesos
