#include "mesos/pool_endpoints.h"

#include <stdexcept>

#include "common/json_access.h"

namespace edgelb::mesos {
namespace {

using json = nlohmann::json;

void add_services(const json& services, const std::string& path, const std::string& backend,
                  const std::string& protocol, const ModelView& view, bool include_not_ready,
                  std::vector<ServiceEndpoints>* out) {
  if (!services.is_array()) return;
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string p = idx(path + ".services", i);
    try {
      ServiceSelector sel(services[i], protocol);
      out->push_back({p, backend, sel.endpoints(view, include_not_ready)});
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(p + ": " + e.what());
    }
  }
}

}  // namespace

std::vector<ServiceEndpoints> pool_endpoints(const json& pool, const ModelView& view, bool include_not_ready) {
  std::vector<ServiceEndpoints> out;
  const json& backends = member(member(pool, "haproxy"), "backends");
  if (backends.is_array())
    for (size_t b = 0; b < backends.size(); ++b)
      add_services(member(backends[b], "services"), idx("haproxy.backends", b),
                   member(backends[b], "name").is_string() ? backends[b]["name"].get<std::string>() : "", "tcp", view,
                   include_not_ready, &out);
  const json& vips = member(member(pool, "fastPath"), "vips");
  if (vips.is_array())
    for (size_t v = 0; v < vips.size(); ++v) {
      const std::string path = idx("fastPath.vips", v);
      const json& backend = member(vips[v], "backend");
      const std::string protocol = string_or(vips[v], "protocol", "TCP") == "UDP" ? "udp" : "tcp";
      if (backend.is_string() && backends.is_array()) {
        for (const json& b : backends)
          if (member(b, "name") == backend)
            add_services(member(b, "services"), path, backend.get<std::string>(), protocol, view, include_not_ready,
                         &out);
      } else {
        add_services(member(vips[v], "services"), path, "", protocol, view, include_not_ready, &out);
      }
    }
  return out;
}

}  // namespace edgelb::mesos
