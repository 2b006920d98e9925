#include "zk/zk_client.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace edgelb::cp {
namespace {

using Clock = std::chrono::steady_clock;

std::string digest_id(const std::string& credentials) {
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(credentials.data()), credentials.size(), sha);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, sha, SHA_DIGEST_LENGTH);
  return credentials.substr(0, credentials.find(':')) + ":" + std::string(reinterpret_cast<char*>(b64), n);
}

ZkStat to_stat(const struct Stat& s) {
  return {s.version, s.cversion, s.numChildren, s.dataLength, s.mtime, s.ephemeralOwner};
}

// Each thread reuses one buffer of ZooKeeper's default znode limit (jute.maxbuffer).
constexpr int kMaxData = 0xfffff + 1;
std::vector<char>& data_buffer() {
  thread_local std::vector<char> buf(kMaxData);
  return buf;
}

}  // namespace

bool zk_outcome_unknown(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE ||
         rc == ZSESSIONMOVED || rc == ZCLOSING;
}

namespace {
// On a maintenance thread: the client it maintains.
thread_local const ZkClient* maintaining = nullptr;
}  // namespace

ZkClient::ZkClient(ZkOptions options) : options_(std::move(options)) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
  if (!options_.digest.empty()) {
    if (options_.digest.find(':') == std::string::npos)
      throw std::invalid_argument("zookeeper digest credentials must be user:password");
    acl_id_ = digest_id(options_.digest);
    // The C client only reads the ACL while serialising a request: one shared vector will do.
    acl_entry_.perms = ZOO_PERM_ALL;
    acl_entry_.id.scheme = const_cast<char*>("digest");
    acl_entry_.id.id = acl_id_.data();
    acl_vector_.count = 1;
    acl_vector_.data = &acl_entry_;
  }
  {
    std::unique_lock lock(handle_mu_);
    open_handle();
  }
  maintenance_ = std::thread([this] { maintenance_loop(); });
}

ZkClient::~ZkClient() {
  {
    std::lock_guard l(events_mu_);
    stop_ = true;
  }
  events_cv_.notify_all();
  maintenance_.join();
  std::unique_lock lock(handle_mu_);
  if (zh_) zookeeper_close(zh_);
  zh_ = nullptr;
}

void ZkClient::open_handle() {  // handle_mu_ held exclusively
  zh_ = zookeeper_init(options_.hosts.c_str(), &ZkClient::global_watcher,
                       static_cast<int>(options_.session_timeout.count()), nullptr, this, 0);
  if (!zh_) throw ZkError(ZSYSTEMERROR, "zookeeper_init(" + options_.hosts + ")");
  expired_ = false;
  if (!options_.digest.empty())
    zoo_add_auth(zh_, "digest", options_.digest.data(), static_cast<int>(options_.digest.size()), nullptr, nullptr);
  sessions_opened_++;
}

void ZkClient::global_watcher(zhandle_t*, int type, int state, const char* path, void* ctx) {
  auto* self = static_cast<ZkClient*>(ctx);
  Event ev;
  if (type == ZOO_SESSION_EVENT) {
    ev.kind = Event::kSession;
    ev.state = state;
    {
      std::lock_guard l(self->state_mu_);  // waiters check both under it
      self->connected_ = state == ZOO_CONNECTED_STATE;
      if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) self->expired_ = true;
    }
    self->state_cv_.notify_all();
  } else {
    ev.kind = Event::kWatch;
    ev.path = path ? path : "";
  }
  {
    std::lock_guard l(self->events_mu_);
    self->events_.push_back(std::move(ev));
  }
  self->events_cv_.notify_all();
}

void ZkClient::maintenance_loop() {
  maintaining = this;
  int64_t established = 0;  // the session whose watches and ephemerals are in place
  for (;;) {
    Event ev;
    {
      std::unique_lock l(events_mu_);
      events_cv_.wait(l, [&] { return stop_ || !events_.empty(); });
      if (stop_) return;
      ev = std::move(events_.front());
      events_.pop_front();
    }
    if (ev.kind == Event::kSession) {
      if (expired_.load()) {
        // The session is gone for good: a new handle, a new session (ZooKeeper programmer's guide).
        std::unique_lock lock(handle_mu_);
        if (expired_.load()) {
          zookeeper_close(zh_);
          zh_ = nullptr;
          open_handle();
        }
      }
      const bool up = connected_.load();
      if (up) {
        int64_t sid = session_id();
        if (sid != established) {
          established = sid;
          unarmed_.clear();  // every watch fires on the new session
          on_new_session();
        } else if (!unarmed_.empty()) {
          // The same session is back: watches whose read failed while it was away are not
          // armed on the server; read (and arm) them again.
          std::set<int> ids;
          ids.swap(unarmed_);
          for (int id : ids) fire(id);
        }
      }
      std::vector<std::function<void(bool)>> listeners;
      {
        std::lock_guard l(registry_mu_);
        listeners = listeners_;
      }
      for (auto& f : listeners) f(up);
    } else {
      std::vector<int> ids;
      {
        std::lock_guard l(registry_mu_);
        for (const auto& [id, w] : watches_)
          if (w.path == ev.path) ids.push_back(id);
      }
      for (int id : ids) fire(id);
    }
  }
}

void ZkClient::on_new_session() {
  std::map<std::string, std::string> ephemerals;
  std::vector<int> ids;
  {
    std::lock_guard l(registry_mu_);
    ephemerals = ephemerals_;
    for (const auto& [id, w] : watches_) ids.push_back(id);
  }
  for (const auto& [path, data] : ephemerals) {
    // After expiry the old session's node is gone (or going); ZNODEEXISTS here means it still
    // belongs to the dead session for a moment: delete it if so and create ours.
    int rc = create(path, data, ZOO_EPHEMERAL);
    if (rc == ZNODEEXISTS) {
      ZkStat st;
      if (exists(path, &st) == ZOK && st.ephemeral_owner != session_id()) {
        remove(path, -1);
        create(path, data, ZOO_EPHEMERAL);
      }
    }
  }
  for (int id : ids) fire(id);
}

void ZkClient::fire(int id) {
  Watch w;
  {
    std::lock_guard l(registry_mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    w = it->second;
  }
  if (w.children) {
    std::vector<std::string> kids;
    int rc = read([&](zhandle_t* zh) {
      struct String_vector sv {};
      int r = zoo_wget_children(zh, w.path.c_str(), &ZkClient::global_watcher, this, &sv);
      if (r == ZOK) {
        kids.clear();
        for (int i = 0; i < sv.count; ++i) kids.emplace_back(sv.data[i]);
        deallocate_String_vector(&sv);
      } else if (r == ZNONODE) {
        struct Stat st;
        r = zoo_wexists(zh, w.path.c_str(), &ZkClient::global_watcher, this, &st);
        if (r == ZOK) return int(ZCONNECTIONLOSS);  // created meanwhile: read again
      }
      return r;
    });
    if (rc == ZOK)
      w.on_children(kids);
    else if (rc == ZNONODE)
      w.on_children(std::nullopt);
    else if (zk_outcome_unknown(rc))
      unarmed_.insert(id);
  } else {
    ZkNode node;
    int rc = read([&](zhandle_t* zh) {
      auto& buf = data_buffer();
      int len = kMaxData;
      struct Stat st;
      int r = zoo_wget(zh, w.path.c_str(), &ZkClient::global_watcher, this, buf.data(), &len, &st);
      if (r == ZOK) {
        node.data.assign(buf.data(), len > 0 ? len : 0);
        node.stat = to_stat(st);
      } else if (r == ZNONODE) {
        r = zoo_wexists(zh, w.path.c_str(), &ZkClient::global_watcher, this, &st);
        if (r == ZOK) return int(ZCONNECTIONLOSS);  // created meanwhile: read again
      }
      return r;
    });
    if (rc == ZOK)
      w.on_data(node);
    else if (rc == ZNONODE)
      w.on_data(std::nullopt);
    else if (zk_outcome_unknown(rc))
      unarmed_.insert(id);
  }
}

template <typename F>
int ZkClient::read(F&& f) {
  const auto deadline = Clock::now() + options_.operation_timeout;
  for (;;) {
    int rc;
    {
      std::shared_lock lock(handle_mu_);
      rc = f(zh_);
    }
    if (!zk_outcome_unknown(rc)) return rc;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return rc;
    if (!wait_usable(left)) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

template <typename F>
int ZkClient::write(F&& f) {
  if (!wait_usable(options_.operation_timeout)) return ZCONNECTIONLOSS;
  std::shared_lock lock(handle_mu_);
  return f(zh_);
}

bool ZkClient::wait_usable(std::chrono::milliseconds timeout) {
  if (maintaining != this) return wait_connected(timeout);
  // Only this thread opens the new session after an expiry: waiting for one here would stall
  // every watch, ephemeral and listener for the whole timeout. What fails now is redone on the
  // new session, which fires every watch and recreates every ephemeral.
  std::unique_lock l(state_mu_);
  state_cv_.wait_for(l, timeout, [&] { return connected_.load() || expired_.load(); });
  return connected_.load();
}

bool ZkClient::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock l(state_mu_);
  return state_cv_.wait_for(l, timeout, [&] { return connected_.load(); });
}

int64_t ZkClient::session_id() const {
  std::shared_lock lock(handle_mu_);
  const clientid_t* id = zh_ ? zoo_client_id(zh_) : nullptr;
  return id ? id->client_id : 0;
}

clientid_t ZkClient::client_id() const {
  std::shared_lock lock(handle_mu_);
  return *zoo_client_id(zh_);
}

void ZkClient::on_connection_change(std::function<void(bool)> listener) {
  std::lock_guard l(registry_mu_);
  listeners_.push_back(std::move(listener));
}

struct ACL_vector* ZkClient::acl() {
  return acl_id_.empty() ? &ZOO_OPEN_ACL_UNSAFE : &acl_vector_;
}

int ZkClient::get(const std::string& path, ZkNode* out) {
  return read([&](zhandle_t* zh) {
    auto& buf = data_buffer();
    int len = kMaxData;
    struct Stat st;
    int rc = zoo_get(zh, path.c_str(), 0, buf.data(), &len, &st);
    if (rc == ZOK && out) {
      out->data.assign(buf.data(), len > 0 ? len : 0);
      out->stat = to_stat(st);
    }
    return rc;
  });
}

int ZkClient::children(const std::string& path, std::vector<std::string>* out, ZkStat* stat) {
  return read([&](zhandle_t* zh) {
    struct String_vector sv {};
    struct Stat st;
    int rc = zoo_get_children2(zh, path.c_str(), 0, &sv, &st);
    if (rc == ZOK) {
      if (out) {
        out->clear();
        for (int i = 0; i < sv.count; ++i) out->emplace_back(sv.data[i]);
      }
      if (stat) *stat = to_stat(st);
      deallocate_String_vector(&sv);
    }
    return rc;
  });
}

int ZkClient::exists(const std::string& path, ZkStat* stat) {
  return read([&](zhandle_t* zh) {
    struct Stat st;
    int rc = zoo_exists(zh, path.c_str(), 0, &st);
    if (rc == ZOK && stat) *stat = to_stat(st);
    return rc;
  });
}

int ZkClient::get_many(const std::vector<std::string>& paths, std::vector<std::optional<ZkNode>>* out) {
  struct Batch {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
    int worst = ZOK;
    std::vector<std::optional<ZkNode>>* out;
  };
  struct Slot {
    Batch* batch;
    size_t index;
  };
  return read([&](zhandle_t* zh) {
    Batch b;
    b.out = out;
    out->assign(paths.size(), std::nullopt);
    std::vector<Slot> slots(paths.size());
    auto done = [](int rc, const char* value, int len, const struct Stat* st, const void* data) {
      auto* s = static_cast<const Slot*>(data);
      Batch* batch = s->batch;
      std::lock_guard l(batch->mu);
      if (rc == ZOK)
        (*batch->out)[s->index] = ZkNode{std::string(value, len > 0 ? len : 0), to_stat(*st)};
      else if (rc != ZNONODE && batch->worst == ZOK)
        batch->worst = rc;
      if (--batch->pending == 0) batch->cv.notify_all();
    };
    for (size_t i = 0; i < paths.size(); ++i) {
      slots[i] = {&b, i};
      {
        std::lock_guard l(b.mu);
        b.pending++;
      }
      int rc = zoo_aget(zh, paths[i].c_str(), 0, done, &slots[i]);
      if (rc != ZOK) {
        std::lock_guard l(b.mu);
        b.pending--;
        if (b.worst == ZOK) b.worst = rc;
        break;
      }
    }
    std::unique_lock l(b.mu);
    b.cv.wait(l, [&] { return b.pending == 0; });
    return b.worst;
  });
}

int ZkClient::create(const std::string& path, const std::string& data, int flags, std::string* created) {
  return write([&](zhandle_t* zh) {
    char buf[1024];
    int rc = zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()), acl(), flags, buf, sizeof buf);
    if (rc == ZOK && created) *created = buf;
    return rc;
  });
}

int ZkClient::set(const std::string& path, const std::string& data, int version, ZkStat* stat) {
  return write([&](zhandle_t* zh) {
    struct Stat st;
    int rc = zoo_set2(zh, path.c_str(), data.data(), static_cast<int>(data.size()), version, &st);
    if (rc == ZOK && stat) *stat = to_stat(st);
    return rc;
  });
}

int ZkClient::remove(const std::string& path, int version) {
  return write([&](zhandle_t* zh) { return zoo_delete(zh, path.c_str(), version); });
}

int ZkClient::multi(const std::vector<ZkOp>& ops, int* failed_op) {
  if (failed_op) *failed_op = -1;
  if (ops.empty()) return ZOK;
  return write([&](zhandle_t* zh) {
    std::vector<zoo_op_t> zops(ops.size());
    std::vector<zoo_op_result_t> results(ops.size());
    std::vector<std::vector<char>> path_bufs(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      const ZkOp& op = ops[i];
      switch (op.type) {
        case ZkOp::Type::kCreate:
          path_bufs[i].resize(op.path.size() + 16);
          zoo_create_op_init(&zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()), acl(),
                             op.flags, path_bufs[i].data(), static_cast<int>(path_bufs[i].size()));
          break;
        case ZkOp::Type::kDelete: zoo_delete_op_init(&zops[i], op.path.c_str(), op.version); break;
        case ZkOp::Type::kSet:
          zoo_set_op_init(&zops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()), op.version,
                          nullptr);
          break;
        case ZkOp::Type::kCheck: zoo_check_op_init(&zops[i], op.path.c_str(), op.version); break;
      }
    }
    int rc = zoo_multi(zh, static_cast<int>(zops.size()), zops.data(), results.data());
    if (rc != ZOK && failed_op)
      for (size_t i = 0; i < results.size(); ++i)
        if (results[i].err != ZOK && results[i].err != ZRUNTIMEINCONSISTENCY) {
          *failed_op = static_cast<int>(i);
          break;
        }
    return rc;
  });
}

void ZkClient::ensure_path(const std::string& path) {
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    for (int attempt = 0;; ++attempt) {
      int rc = exists(prefix);
      if (rc == ZOK) break;
      if (rc == ZNONODE) {
        rc = create(prefix, "");
        if (rc == ZOK || rc == ZNODEEXISTS) break;
      }
      if (!zk_outcome_unknown(rc) || attempt >= 3) throw ZkError(rc, "creating " + prefix);
    }
  }
}

int ZkClient::create_ephemeral(const std::string& path, const std::string& data) {
  {
    std::lock_guard l(registry_mu_);
    ephemerals_[path] = data;
  }
  int rc = create(path, data, ZOO_EPHEMERAL);
  if (zk_outcome_unknown(rc)) {
    ZkStat st;
    if (exists(path, &st) == ZOK && st.ephemeral_owner == session_id()) rc = ZOK;
  }
  return rc;
}

void ZkClient::forget_ephemeral(const std::string& path) {
  {
    std::lock_guard l(registry_mu_);
    ephemerals_.erase(path);
  }
  remove(path, -1);
}

int ZkClient::add_watch(Watch w) {
  const std::string path = w.path;
  int id;
  {
    std::lock_guard l(registry_mu_);
    id = next_watch_++;
    watches_[id] = std::move(w);
  }
  std::lock_guard l(events_mu_);
  events_.push_back({Event::kWatch, 0, path});  // the first read arms it
  events_cv_.notify_all();
  return id;
}

int ZkClient::watch_data(const std::string& path, DataWatch on_change) {
  return add_watch(Watch{false, path, std::move(on_change), {}});
}

int ZkClient::watch_children(const std::string& path, ChildrenWatch on_change) {
  return add_watch(Watch{true, path, {}, std::move(on_change)});
}

void ZkClient::unwatch(int id) {
  std::lock_guard l(registry_mu_);
  watches_.erase(id);
}

}  // namespace edgelb::cp
