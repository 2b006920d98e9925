// The agent's endpoints from the mesos-listener (edgelb.v1.MesosListener.WatchEndpoints in
// edgelb-apiserver), one way: one stream, kept open on its own thread and reopened with
// backoff, on which the agent subscribes to each pool it serves by name and stored version;
// the listener selects against its own copy of that version and pushes a pool's endpoint sets
// when the stream opens and whenever they change. The agent never sends a pool config.
// When the apiserver is away the last endpoints pushed stay, and the agent keeps what it has.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/collaborators.h"
#include "api/client.h"
#include "api/proto/mesos_listener.grpc.pb.h"
#include "haproxy/server_slots.h"

namespace edgelb::cp {

class EndpointsWatch final : public EndpointsSource {
 public:
  // `on_change()` runs on the stream's thread after each message that brought endpoints of a
  // subscribed pool.
  EndpointsWatch(ApiConnection api, std::function<void()> on_change);
  ~EndpointsWatch() override;
  EndpointsWatch(const EndpointsWatch&) = delete;
  EndpointsWatch& operator=(const EndpointsWatch&) = delete;

  void subscribe(const std::string& pool, int64_t version) override;
  void unsubscribe(const std::string& pool) override;
  std::shared_ptr<const PoolEndpoints> latest(const std::string& pool, int64_t version, std::string* error) override;
  bool connected() const override { return connected_; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  using Stream = grpc::ClientReaderWriter<edgelb::v1::EndpointsSubscription, edgelb::v1::EndpointsUpdates>;
  struct Pushed {
    int64_t version = 0;                             // the pool version it was selected for
    std::shared_ptr<const PoolEndpoints> endpoints;  // null with an error
    std::string error;
  };
  void run();
  void write_locked(const std::string& pool, int64_t version);  // with mu_ held

  ApiConnection api_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<edgelb::v1::MesosListener::Stub> stub_;
  std::function<void()> on_change_;
  std::atomic<bool> stop_{false}, connected_{false};
  std::atomic<uint64_t> reconnects_{0};
  std::mutex mu_;  // guards the fields below; held around writes to the stream
  std::map<std::string, int64_t> subscribed_;
  std::map<std::string, Pushed> pushed_;
  Stream* stream_ = nullptr;                   // the open stream, for writes
  grpc::ClientContext* stream_ctx_ = nullptr;  // for TryCancel on shutdown
  std::thread thread_;
};

}  // namespace edgelb::cp
