#include "mesos/pool_endpoints.h"

#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::mesos {
namespace {

void add_services(const std::vector<cp::ServiceSelectorSpec>& services, const std::string& path,
                  const std::string& backend, const std::string& protocol, std::vector<PoolService>* out) {
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string p = idx(path + ".services", i);
    try {
      out->push_back({p, backend, ServiceSelector(services[i], protocol)});
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(p + ": " + e.what());
    }
  }
}

}  // namespace

std::vector<ServiceEndpoints> pool_endpoints(const nlohmann::json& pool, const ModelView& view,
                                             bool include_not_ready) {
  return pool_endpoints(cp::PoolModel::from_json(pool), view, include_not_ready);
}

std::vector<PoolService> pool_services(const cp::PoolModel& pool) {
  std::vector<PoolService> out;
  // HAProxy backends take TCP ports; a fastPath VIP takes ports of its own protocol.
  for (size_t b = 0; b < pool.backends.size(); ++b)
    add_services(pool.backends[b].services, idx("haproxy.backends", b), pool.backends[b].name, "tcp", &out);
  for (size_t v = 0; v < pool.vips.size(); ++v) {
    const cp::FastPathVip& vip = pool.vips[v];
    add_services(pool.vip_services(vip), idx("fastPath.vips", v), vip.backend,
                 vip.protocol == cp::VipProtocol::kUdp ? "udp" : "tcp", &out);
  }
  return out;
}

std::vector<ServiceEndpoints> pool_endpoints(const cp::PoolModel& pool, const ModelView& view, bool include_not_ready) {
  std::vector<ServiceEndpoints> out;
  for (const PoolService& s : pool_services(pool))
    out.push_back({s.path, s.backend, s.selector.endpoints(view, include_not_ready)});
  return out;
}

}  // namespace edgelb::mesos
