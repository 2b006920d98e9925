// edgelb.v1.MesosListener (api/proto/mesos_listener.proto): List, Watch and Endpoints over the
// mesos-listener's model. Hosted by edgelb-apiserver next to edgelb.v1.EdgeLB, same TLS and
// roles (viewer for every call).
//
// Watch: a stream of change batches from a revision. A client that falls behind the model's
// change log (or asks for revision 0) gets a resync: the whole state, split into messages of at
// most kMaxChangesPerMessage changes (all but the last marked `partial`).
// WatchEndpoints: the agents' endpoints (Envoy EDS-shaped). A client subscribes to (pool,
// version) pairs; the listener reads each pool version once from the store, selects its
// endpoints at every model revision and pushes a pool only when what it selects changed (and
// once on subscribing). A version the store does not show yet is read again every 500 ms.
// Each stream runs on a gRPC thread (plus a reader thread for WatchEndpoints); the service
// holds no per-client state beyond it.
// Thread-safe. The model, subscriber and store must outlive the service.
#pragma once

#include <atomic>
#include <memory>

#include "api/auth.h"
#include "api/proto/mesos_listener.grpc.pb.h"
#include "mesos/mesos_model.h"
#include "mesos/mesos_subscriber.h"
#include "store/pool_store.h"

namespace edgelb::cp {

class MesosListenerService final : public edgelb::v1::MesosListener::Service {
 public:
  static constexpr size_t kMaxChangesPerMessage = 2000;

  // `subscriber` may be null (status then reports what the model holds); `store` may be null
  // (then Endpoints only accepts inline pool configs).
  MesosListenerService(mesos::MesosModel& model, const mesos::MesosSubscriber* subscriber, PoolStore* store,
                       const Authorizer& auth, std::string master_description);

  grpc::Status List(grpc::ServerContext* ctx, const edgelb::v1::ListMesosRequest* req,
                    edgelb::v1::ListMesosResponse* out) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const edgelb::v1::WatchMesosRequest* req,
                     grpc::ServerWriter<edgelb::v1::WatchMesosResponse>* writer) override;
  grpc::Status Endpoints(grpc::ServerContext* ctx, const edgelb::v1::EndpointsRequest* req,
                         edgelb::v1::EndpointsResponse* out) override;
  grpc::Status WatchEndpoints(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<edgelb::v1::EndpointsUpdates, edgelb::v1::EndpointsSubscription>* stream) override;

  void shutdown();  // ends running Watch streams promptly

 private:
  void fill_status(edgelb::v1::ListenerStatus* s) const;

  mesos::MesosModel& model_;
  const mesos::MesosSubscriber* subscriber_;
  PoolStore* store_;
  const Authorizer& auth_;
  std::string master_;
  std::atomic<bool> stopping_{false};
};

}  // namespace edgelb::cp
