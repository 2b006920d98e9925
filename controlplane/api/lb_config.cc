#include "api/lb_config.h"

#include <algorithm>

#include "haproxy/config_renderer.h"
#include "mesos/pool_endpoints.h"

namespace edgelb::cp {
namespace {

// The first instance (lowest slot name) that registered allocated ports, if any.
const InstanceRegistration* first_instance(const std::vector<InstanceRegistration>& instances) {
  const InstanceRegistration* best = nullptr;
  for (const auto& i : instances)
    if (i.data.is_object() && (!best || i.id < best->id)) best = &i;
  return best;
}

std::map<std::string, uint32_t> allocated_ports(const InstanceRegistration* i) {
  std::map<std::string, uint32_t> out;
  if (!i || !i->data.contains("allocatedPorts") || !i->data["allocatedPorts"].is_object()) return out;
  for (auto it = i->data["allocatedPorts"].begin(); it != i->data["allocatedPorts"].end(); ++it)
    if (it.value().is_number_unsigned()) out[it.key()] = it.value().get<uint32_t>();
  return out;
}

}  // namespace

LbConfigView render_lb_config(const PoolRecord& pool, const std::string& template_text,
                              const std::vector<InstanceRegistration>& instances, const mesos::ModelView* view) {
  LbConfigView out;
  const PoolModel model = PoolModel::from_json(pool.config);
  haproxy::EndpointsByService endpoints;
  if (view) {
    out.revision = view->revision;
    for (const auto& s : mesos::pool_endpoints(model, *view, /*include_not_ready=*/true)) {
      if (s.path.rfind("haproxy.backends[", 0) != 0) continue;
      auto& v = endpoints[s.path];
      for (const auto& e : s.endpoints) v.push_back({e.address, e.port, e.ipv6, e.task_id, e.ready});
    }
  }
  const InstanceRegistration* inst = first_instance(instances);
  const std::string dir = inst && inst->data.contains("instanceDir") && inst->data["instanceDir"].is_string()
                              ? inst->data["instanceDir"].get<std::string>()
                              : "/var/lib/edgelb-agent/pools/" + pool.name;
  auto settings = haproxy::RenderSettings::under(dir);
  settings.allocated_ports = allocated_ports(inst);
  // Before any instance allocated them, ports asked as 0 show as the first of the agents'
  // default range, in order.
  uint32_t next = 10000;
  auto preview = [&](const std::string& key) {
    if (!settings.allocated_ports.count(key)) settings.allocated_ports[key] = next++;
  };
  if (model.stats_port && *model.stats_port == 0) preview("haproxy.stats");
  for (size_t i = 0; i < model.frontends.size(); ++i)
    if (model.frontends[i].bind_port == 0) preview("haproxy.frontends[" + std::to_string(i) + "]");
  out.instance = inst ? inst->id : "";
  out.config = haproxy::render_config(model, pool.version, haproxy::ServerSlots::plan(model, endpoints), settings,
                                      template_text);
  return out;
}

std::vector<LbEndpointRow> lb_endpoints(const PoolModel& pool, const std::vector<InstanceRegistration>& instances) {
  std::vector<LbEndpointRow> out;
  std::vector<const InstanceRegistration*> sorted;
  for (const auto& i : instances) sorted.push_back(&i);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const InstanceRegistration* i : sorted) {
    const auto ports = allocated_ports(i);
    const std::string host = i->data.is_object() ? i->data.value("host", "") : "";
    const std::string address = i->data.is_object() ? i->data.value("address", host) : host;
    auto port_of = [&](uint32_t given, const std::string& key) {
      if (given != 0) return given;
      auto it = ports.find(key);
      return it == ports.end() ? 0u : it->second;
    };
    for (size_t f = 0; f < pool.frontends.size(); ++f)
      out.push_back({i->id, host, address, pool.frontends[f].name, pool_protocol_name(pool.frontends[f].protocol),
                     port_of(pool.frontends[f].bind_port, "haproxy.frontends[" + std::to_string(f) + "]")});
    if (pool.stats_port)
      out.push_back({i->id, host, address, "stats", "HTTP", port_of(*pool.stats_port, "haproxy.stats")});
  }
  return out;
}

}  // namespace edgelb::cp
