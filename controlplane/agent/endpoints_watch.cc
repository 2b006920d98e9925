#include "agent/endpoints_watch.h"

namespace edgelb::cp {

namespace pb = edgelb::v1;

EndpointsWatch::EndpointsWatch(ApiConnection api, std::function<void()> on_change)
    : api_(std::move(api)),
      channel_(api_channel(api_)),
      stub_(pb::MesosListener::NewStub(channel_)),
      on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { run(); });
}

EndpointsWatch::~EndpointsWatch() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stream_ctx_) stream_ctx_->TryCancel();
  }
  thread_.join();
}

void EndpointsWatch::write_locked(const std::string& pool, int64_t version) {
  if (!stream_) return;  // sent when the stream opens
  pb::EndpointsSubscription m;
  auto* p = m.add_pools();
  p->set_pool(pool);
  p->set_version(version);
  stream_->Write(m);  // a broken stream ends the Read too; run() reopens it and sends all
}

void EndpointsWatch::subscribe(const std::string& pool, int64_t version) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = subscribed_.find(pool);
  if (it != subscribed_.end() && it->second == version) return;
  subscribed_[pool] = version;
  write_locked(pool, version);
}

void EndpointsWatch::unsubscribe(const std::string& pool) {
  std::lock_guard<std::mutex> g(mu_);
  if (!subscribed_.erase(pool)) return;
  pushed_.erase(pool);
  write_locked(pool, 0);
}

std::shared_ptr<const PoolEndpoints> EndpointsWatch::latest(const std::string& pool, int64_t version,
                                                            std::string* error) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = pushed_.find(pool);
  if (it == pushed_.end() || it->second.version != version) return nullptr;
  if (error) *error = it->second.error;
  return it->second.endpoints;
}

void EndpointsWatch::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    auto ctx = api_stream_context(api_);
    std::unique_ptr<Stream> stream = stub_->WatchEndpoints(ctx.get());
    {
      std::lock_guard<std::mutex> g(mu_);
      stream_ctx_ = ctx.get();
      stream_ = stream.get();
      if (stop_) ctx->TryCancel();  // the destructor looked before this stream was known
      pb::EndpointsSubscription all;
      for (const auto& [pool, version] : subscribed_) {
        auto* p = all.add_pools();
        p->set_pool(pool);
        p->set_version(version);
      }
      stream->Write(all);  // also when empty: the stream is open from here
    }
    pb::EndpointsUpdates msg;
    while (!stop_ && stream->Read(&msg)) {
      connected_ = true;
      backoff = std::chrono::milliseconds(100);
      bool stored = false;
      {
        std::lock_guard<std::mutex> g(mu_);
        for (const auto& u : msg.updates()) {
          if (!subscribed_.count(u.pool())) continue;  // unsubscribed meanwhile
          stored = true;
          Pushed& p = pushed_[u.pool()];
          p.version = u.version();
          p.error = u.error();
          p.endpoints = nullptr;
          if (!p.error.empty()) continue;
          auto e = std::make_shared<PoolEndpoints>();
          e->version = u.version();
          e->revision = u.revision();
          for (const auto& svc : u.services()) {
            auto& v = e->backends[svc.path()];
            for (const auto& ep : svc.endpoints())
              v.push_back({ep.address(), ep.port(), ep.ipv6(), ep.task_id(), ep.ready()});
          }
          p.endpoints = std::move(e);
        }
      }
      if (stored && on_change_) on_change_();
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      stream_ = nullptr;
      stream_ctx_ = nullptr;
    }
    stream->Finish();
    connected_ = false;
    if (stop_) break;
    reconnects_++;
    const auto until = std::chrono::steady_clock::now() + backoff;
    while (!stop_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace edgelb::cp
