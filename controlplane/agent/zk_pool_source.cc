#include "agent/zk_pool_source.h"

#include <cstdio>

#include "agent/claims.h"
#include "common/read_file.h"

namespace edgelb::cp {
namespace {

void log(const std::string& line) { std::fprintf(stderr, "edgelb-agent: %s\n", line.c_str()); }

}  // namespace

ZkPoolSource::ZkPoolSource(const AgentConfig& config, Events events)
    : connect_string_(config.zk_connect),
      root_(config.zk_root),
      digest_(config.zk_digest_file.empty() ? "" : read_trimmed_file(config.zk_digest_file, "ZooKeeper digest file")),
      session_timeout_(config.zk_session_timeout),
      node_{config.node_name, config.roles, config.attributes},
      events_(std::move(events)) {
  if (!config.secret_key_file.empty()) secrets_.emplace(SecretBox::from_file(config.secret_key_file));
  connector_ = std::thread([this] { connect(); });
}

ZkPoolSource::~ZkPoolSource() { close(); }

void ZkPoolSource::close() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (connector_.joinable()) connector_.join();
  watch_.reset();
  store_.reset();
  zk_.reset();
  pending_.reset();
}

void ZkPoolSource::connect() {
  ZkOptions o;
  o.hosts = connect_string_;
  o.session_timeout = session_timeout_;
  o.operation_timeout = std::chrono::milliseconds(3000);
  o.digest = digest_;
  std::string last;
  for (;;) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_) return;
    }
    try {
      auto zk = std::make_unique<ZkClient>(o);
      {
        std::lock_guard<std::mutex> g(mu_);
        pending_ = std::move(zk);
      }
      events_.connection_changed();
      return;
    } catch (const std::exception& e) {
      if (last != e.what()) log(std::string("ZooKeeper not reachable yet (serving what is cached): ") + e.what());
      last = e.what();
    }
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait_for(lk, std::chrono::seconds(1), [&] { return stop_; });
  }
}

void ZkPoolSource::adopt() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!pending_) return;
    zk_ = std::move(pending_);
  }
  StoreOptions so;
  so.root = root_;
  store_ = std::make_unique<PoolStore>(*zk_, so, secrets_ ? &*secrets_ : nullptr);
  zk_->on_connection_change([this](bool) { events_.connection_changed(); });
  watch_ = std::make_unique<PoolWatch>(*zk_, root_, events_.pool_changed, events_.list_changed);
  log("connected to ZooKeeper " + connect_string_);
}

std::optional<std::set<std::string>> ZkPoolSource::pools() {
  adopt();
  if (!watch_) return std::nullopt;
  return watch_->pools();
}

PoolInputsRead ZkPoolSource::read(const std::string& pool) { return read_pool_inputs(*store_, pool); }

void ZkPoolSource::track(const std::string& pool, const std::vector<std::string>& secret_names) {
  watch_->track(pool, secret_names);
}

void ZkPoolSource::untrack(const std::string& pool) { watch_->untrack(pool); }

std::unique_ptr<PoolClaim> ZkPoolSource::claim(const std::string& pool) {
  return std::make_unique<InstanceClaim>(*zk_, root_ + "/pools/" + pool, node_);
}

}  // namespace edgelb::cp
