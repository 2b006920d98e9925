// What GetLbConfig and GetPoolEndpoints answer: the configuration a pool's instances render
// now and where they listen, worked out from the stored pool, its template, its instance
// registrations (allocated ports, instance directory, node address — as edgelb-agent writes
// them) and the mesos-listener's model. Rendering is the agent's (controlplane/haproxy), so
// the text is what an instance runs, server slots in their fresh-plan order. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mesos/mesos_model.h"
#include "pool/pool_model.h"
#include "store/pool_store.h"

namespace edgelb::cp {

struct LbConfigView {
  std::string config;
  uint64_t revision = 0;
  std::string instance;  // whose ports and paths were used ("" when none is registered)
};

// Throws haproxy::RenderError (or std::invalid_argument) with the reason.
LbConfigView render_lb_config(const PoolRecord& pool, const std::string& template_text,
                              const std::vector<InstanceRegistration>& instances, const mesos::ModelView* view);

struct LbEndpointRow {
  std::string instance, host, address, name, protocol;
  uint32_t port = 0;
};

std::vector<LbEndpointRow> lb_endpoints(const PoolModel& pool, const std::vector<InstanceRegistration>& instances);

}  // namespace edgelb::cp
