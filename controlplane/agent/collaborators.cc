#include "agent/collaborators.h"

#include "agent/dataplane_sync.h"
#include "agent/endpoints_watch.h"
#include "agent/health_checker.h"
#include "agent/zk_pool_source.h"
#include "crypto/secret_box.h"

namespace edgelb::cp {

AgentCollaborators AgentCollaborators::production(const AgentConfig& config) {
  // A key that does not read fails now, not when the first pool is read.
  if (!config.secret_key_file.empty()) SecretBox::from_file(config.secret_key_file);
  AgentCollaborators c;
  c.pools = [config](PoolSource::Events events) { return std::make_unique<ZkPoolSource>(config, std::move(events)); };
  c.endpoints = [api = config.apiserver](Wake wake) { return std::make_unique<EndpointsWatch>(api, std::move(wake)); };
  if (!config.dataplane_socket.empty()) {
    c.dataplane = [socket = config.dataplane_socket](Wake wake) {
      return std::make_unique<DataplaneSync>(socket, std::move(wake));
    };
    if (config.health_checks) c.health = [](Wake wake) { return std::make_unique<HealthChecker>(std::move(wake)); };
  }
  return c;  // haproxy: empty, a haproxy::Supervisor per instance
}

}  // namespace edgelb::cp
