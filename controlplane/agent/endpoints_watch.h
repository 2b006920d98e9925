// The agent's view of the mesos-listener (edgelb.v1.MesosListener in edgelb-apiserver):
//  - a Watch stream, kept open on its own thread and reopened with backoff, used only as a
//    signal: every complete batch (or resync) reports the model revision it brings;
//  - Endpoints with the pool's config inline, called by the reconcile loop for each pool it
//    serves, so endpoint selection stays in the mesos-listener and always matches the pool
//    version the agent runs.
// When the apiserver is away, fetch() fails and the agent keeps the endpoints it has.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/collaborators.h"
#include "api/client.h"
#include "api/proto/mesos_listener.grpc.pb.h"
#include "haproxy/server_slots.h"

namespace edgelb::cp {

class EndpointsWatch final : public EndpointsSource {
 public:
  // `on_change(revision)` runs on the watch thread after each complete batch.
  EndpointsWatch(ApiConnection api, std::function<void(uint64_t revision)> on_change);
  ~EndpointsWatch() override;
  EndpointsWatch(const EndpointsWatch&) = delete;
  EndpointsWatch& operator=(const EndpointsWatch&) = delete;

  // The endpoints the listener selects for the pool's config now (ready or not; not-ready
  // ones come with ready=false). nullopt (and `error`) when the apiserver cannot answer.
  std::optional<PoolEndpoints> fetch(const PoolInputs& pool, std::string* error) override;

  bool connected() const override { return connected_; }
  uint64_t revision() const { return revision_; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  void run();
  ApiConnection api_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<edgelb::v1::MesosListener::Stub> stub_;
  std::function<void(uint64_t)> on_change_;
  std::atomic<bool> stop_{false}, connected_{false};
  std::atomic<uint64_t> revision_{0}, reconnects_{0};
  std::mutex ctx_mu_;
  grpc::ClientContext* stream_ctx_ = nullptr;  // the open stream, for TryCancel on shutdown
  std::thread thread_;
};

}  // namespace edgelb::cp
