#include "agent/endpoints_watch.h"

#include "dataplane/rpc/rpc_error.h"

namespace edgelb::cp {

namespace pb = edgelb::v1;

EndpointsWatch::EndpointsWatch(ApiConnection api, std::function<void(uint64_t)> on_change)
    : api_(std::move(api)),
      channel_(api_channel(api_)),
      stub_(pb::MesosListener::NewStub(channel_)),
      on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { run(); });
}

EndpointsWatch::~EndpointsWatch() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> g(ctx_mu_);
    if (stream_ctx_) stream_ctx_->TryCancel();
  }
  thread_.join();
}

void EndpointsWatch::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    auto ctx = api_stream_context(api_);
    {
      std::lock_guard<std::mutex> g(ctx_mu_);
      stream_ctx_ = ctx.get();
    }
    pb::WatchMesosRequest req;  // 0: start with a resync (the apiserver may have restarted)
    auto reader = stub_->Watch(ctx.get(), req);
    pb::WatchMesosResponse msg;
    while (!stop_ && reader->Read(&msg)) {
      connected_ = true;
      backoff = std::chrono::milliseconds(100);
      if (msg.partial()) continue;
      revision_ = msg.revision();
      on_change_(msg.revision());
    }
    reader->Finish();
    {
      std::lock_guard<std::mutex> g(ctx_mu_);
      stream_ctx_ = nullptr;
    }
    connected_ = false;
    if (stop_) break;
    reconnects_++;
    const auto until = std::chrono::steady_clock::now() + backoff;
    while (!stop_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

std::optional<PoolEndpoints> EndpointsWatch::fetch(const PoolInputs& pool, std::string* error) {
  pb::EndpointsRequest req;
  req.set_pool_config(pool.config.dump());
  req.set_include_not_ready(true);
  pb::EndpointsResponse resp;
  auto ctx = api_context(api_);
  grpc::Status s = stub_->Endpoints(ctx.get(), req, &resp);
  if (!s.ok()) {
    if (error) *error = "Endpoints: " + s.error_message();
    return std::nullopt;
  }
  PoolEndpoints out;
  out.revision = resp.revision();
  for (const auto& svc : resp.services()) {
    auto& v = out.backends[svc.path()];
    for (const auto& e : svc.endpoints()) v.push_back({e.address(), e.port(), e.ipv6(), e.task_id(), e.ready()});
  }
  return out;
}

}  // namespace edgelb::cp
