// A ZooKeeper session for the control plane, over the multi-threaded C client
// (libzookeeper-mt), that survives what ZooKeeper throws at it:
//  - connection loss: reads wait for the reconnect and retry until the operation deadline;
//    writes return the loss to the caller, which knows how to check whether its write landed
//    (see PoolStore) — a blind retry of a create or a multi is not idempotent;
//  - session expiry: the handle is closed and a new one opened (with the digest credentials
//    added again); watches are re-armed and ephemeral nodes recreated on the new session,
//    as ZooKeeper's programmer's guide requires.
// Every node this client creates gets the digest ACL of its credentials when credentials are
// configured (world-open otherwise).
//
// Thread-safety: all methods may be called from any thread. Watch callbacks and session
// listeners run on the client's own maintenance thread, never on ZooKeeper's completion thread
// (so they may call back into this client).
#pragma once

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace edgelb::cp {

struct ZkOptions {
  std::string hosts;  // "127.0.0.1:2181,..."
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds operation_timeout{10000};  // how long a call may wait for a connection
  std::string digest;                                  // "user:password"; empty: no ACL, no auth
};

struct ZkStat {
  int32_t version = 0;   // data version
  int32_t cversion = 0;  // children version
  int32_t num_children = 0;
  int32_t data_length = 0;
  int64_t mtime_ms = 0;
  int64_t ephemeral_owner = 0;
};

struct ZkNode {
  std::string data;
  ZkStat stat;
};

// One operation of an atomic multi.
struct ZkOp {
  enum class Type { kCreate, kDelete, kSet, kCheck } type;
  std::string path;
  std::string data;  // kCreate, kSet
  int version = -1;  // kDelete, kSet, kCheck: expected data version (-1: any)
  int flags = 0;     // kCreate: ZOO_EPHEMERAL, ZOO_SEQUENCE
  static ZkOp create(std::string p, std::string d, int flags = 0) {
    return {Type::kCreate, std::move(p), std::move(d), -1, flags};
  }
  static ZkOp remove(std::string p, int version = -1) { return {Type::kDelete, std::move(p), {}, version, 0}; }
  static ZkOp set(std::string p, std::string d, int version) {
    return {Type::kSet, std::move(p), std::move(d), version, 0};
  }
  static ZkOp check(std::string p, int version) { return {Type::kCheck, std::move(p), {}, version, 0}; }
};

// A ZooKeeper call that failed for a reason the caller cannot act on (ZNOAUTH, ZMARSHALLINGERROR, ...).
class ZkError : public std::runtime_error {
 public:
  ZkError(int rc, const std::string& what) : std::runtime_error(what + ": " + zerror(rc)), rc_(rc) {}
  int rc() const { return rc_; }

 private:
  int rc_;
};

// Whether `rc` means the outcome of a write is unknown (connection lost, session gone).
bool zk_outcome_unknown(int rc);

class ZkClient {
 public:
  // Connects; waits up to operation_timeout for the session. Throws ZkError when it cannot.
  explicit ZkClient(ZkOptions options);
  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Reads (retried across connection loss and session expiry until the deadline).
  // Return ZOK, ZNONODE, ZNOAUTH, or the last connection error.
  int get(const std::string& path, ZkNode* out);
  int children(const std::string& path, std::vector<std::string>* out, ZkStat* stat = nullptr);
  int exists(const std::string& path, ZkStat* stat = nullptr);
  // Reads many nodes at once (pipelined); out[i] is nullopt when paths[i] does not exist.
  int get_many(const std::vector<std::string>& paths, std::vector<std::optional<ZkNode>>* out);

  // Writes: one attempt after the connection is up. A zk_outcome_unknown() result means the
  // write may or may not have happened; read back before retrying.
  int create(const std::string& path, const std::string& data, int flags = 0, std::string* created = nullptr);
  int set(const std::string& path, const std::string& data, int version, ZkStat* stat = nullptr);
  int remove(const std::string& path, int version = -1);
  // Atomic: all ops or none. `failed_op` receives the index of the op that failed (or -1).
  int multi(const std::vector<ZkOp>& ops, int* failed_op = nullptr);

  // Creates `path` and missing parents as persistent empty nodes (idempotent, retried).
  void ensure_path(const std::string& path);

  // An ephemeral node kept alive across session expiry (recreated on each new session).
  // Returns the create result (ZOK or ZNODEEXISTS when another session holds it).
  int create_ephemeral(const std::string& path, const std::string& data);
  void forget_ephemeral(const std::string& path);  // stops recreating; deletes it

  // Persistent watches: `on_change` runs on the maintenance thread with the current value
  // (nullopt when the node is gone) now and after every change, re-armed automatically,
  // including after a new session and after a reconnect when a read failed meanwhile. Returns
  // an id for unwatch().
  using DataWatch = std::function<void(const std::optional<ZkNode>&)>;
  using ChildrenWatch = std::function<void(const std::optional<std::vector<std::string>>&)>;
  int watch_data(const std::string& path, DataWatch on_change);
  int watch_children(const std::string& path, ChildrenWatch on_change);
  void unwatch(int id);

  bool connected() const { return connected_.load(); }
  // Blocks until connected or `timeout`; false on timeout.
  bool wait_connected(std::chrono::milliseconds timeout);
  int64_t session_id() const;
  uint64_t sessions_opened() const { return sessions_opened_.load(); }
  // Called (maintenance thread) with true when connected, false when disconnected or expired.
  void on_connection_change(std::function<void(bool)> listener);

  // For tests: the (id, password) of the current session, to expire it from a second handle.
  clientid_t client_id() const;
  const ZkOptions& options() const { return options_; }

 private:
  struct Watch {
    bool children;
    std::string path;
    DataWatch on_data;
    ChildrenWatch on_children;
  };
  struct Event {
    enum Kind { kSession, kWatch } kind;
    int state = 0;
    std::string path;
  };
  static void global_watcher(zhandle_t*, int type, int state, const char* path, void* ctx);
  void open_handle();
  void maintenance_loop();
  void on_new_session();
  void fire(int id);
  // wait_connected(), except on the maintenance thread, which gives up at once on an expired
  // session (it is the thread that opens the next one).
  bool wait_usable(std::chrono::milliseconds timeout);
  template <typename F>
  int read(F&& f);
  template <typename F>
  int write(F&& f);
  struct ACL_vector* acl();
  int add_watch(Watch w);

  ZkOptions options_;
  std::string acl_id_;  // "user:base64(sha1(user:password))"
  struct ACL acl_entry_ {};
  struct ACL_vector acl_vector_ {};
  mutable std::shared_mutex handle_mu_;
  zhandle_t* zh_ = nullptr;
  std::atomic<bool> connected_{false};
  std::atomic<bool> expired_{false};
  std::atomic<uint64_t> sessions_opened_{0};
  std::mutex state_mu_;
  std::condition_variable state_cv_;

  std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::deque<Event> events_;
  bool stop_ = false;

  std::mutex registry_mu_;  // watches, ephemerals, listeners
  std::map<int, Watch> watches_;
  int next_watch_ = 1;
  // Watches whose (re-)arming read failed on a lost connection: fired again on reconnect
  // (a new session fires every watch anyway). Maintenance thread only.
  std::set<int> unarmed_;
  std::map<std::string, std::string> ephemerals_;
  std::vector<std::function<void(bool)>> listeners_;

  std::thread maintenance_;
};

}  // namespace edgelb::cp
