// edgelb-apiserver's gRPC server: the edgelb.v1.EdgeLB service over TCP with TLS (server
// certificate) or mutual TLS (client CA: every client must present a certificate signed by
// it), plus grpc.health.v1 (SERVING while ZooKeeper is connected) and server reflection
// (grpc.reflection.v1 and v1alpha, describing every service, Health included). An optional
// plaintext probe port serves grpc.health.v1 alone, for load balancers and orchestrators that
// probe without a client certificate.
//
// Each call: authorize (auth.h) -> parse and validate the pool config (pool_validator.h) ->
// store (pool_store.h) -> audit (audit_log.h). Nothing is stored when validation fails.
// The server owns its gRPC threads; all handlers are safe to run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/audit_log.h"
#include "api/auth.h"
#include "mesos/mesos_model.h"
#include "store/pool_store.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace edgelb::cp {

struct ApiServerOptions {
  std::string listen = "127.0.0.1:7443";    // host:port (port 0: pick one, see port())
  std::string tls_cert_file, tls_key_file;  // empty: plaintext (only with allow_insecure)
  std::string client_ca_file;               // set: mutual TLS, client certificates required
  bool allow_insecure = false;
  // Set: a second, plaintext listener (host:port, port 0: pick one) with grpc.health.v1 only.
  std::string health_listen;
  // More services on the same port, credentials and health status (e.g. the mesos-listener's
  // edgelb.v1.MesosListener). Not owned; must outlive the server.
  std::vector<grpc::Service*> extra_services;
  // The mesos-listener's model, for GetLbConfig's servers (null: rendered without servers).
  const mesos::MesosModel* mesos_model = nullptr;
};

class ApiServer {
 public:
  // Starts listening. Throws std::runtime_error (with the file or address) when it cannot.
  ApiServer(const ApiServerOptions& options, PoolStore& store, const Authorizer& auth, AuditLog& audit);
  ~ApiServer();  // stops accepting and waits for running calls (2 s grace)
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  int port() const { return port_; }
  int health_port() const { return health_port_; }  // 0 without a probe listener
  void set_serving(bool serving);                   // grpc.health.v1 status
  void wait();                                      // until shutdown()
  void shutdown();

  class Service;

 private:
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  int port_ = 0;
  int health_port_ = 0;
  std::vector<grpc::Service*> extra_;
};

}  // namespace edgelb::cp
