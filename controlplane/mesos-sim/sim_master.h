// edgelb-mesos-sim's master: the Mesos v1 operator API SUBSCRIBE call over HTTP, exactly as a
// Mesos master streams it (200, chunked transfer encoding, RecordIO records, SUBSCRIBED first,
// HEARTBEAT every heartbeat_interval_seconds), leader election through ZooKeeper
// (json.info_<seq> with MasterInfo JSON, as Mesos registers itself) or a fixed role, a 307 to
// the leader when not leading (protocol-relative Location, as Mesos sends), 503 when no
// leader is known, and a control API for tests:
//   POST /sim/v1/op       one operation or a JSON array of them (sim_state.h); replies with
//                         the events streamed
//   POST /sim/v1/fault    {"kind": drop | mute_heartbeats | garbage | bad_length | truncate}
//   POST /sim/v1/leader   {"leading": bool, "leader": "host:port"}  (without ZooKeeper)
//   POST /sim/v1/resign   give up ZooKeeper leadership (re-registers at the back of the line)
//   GET  /sim/v1/status   {leading, leader, subscribers, events_streamed, tasks, replay_done, ...}
// Thread-safe: HTTP handlers run on the server's thread pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mesos-sim/sim_state.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib
namespace edgelb::cp {
class ZkClient;
}

namespace edgelb::mesos_sim {

struct SimOptions {
  std::string listen_host = "127.0.0.1";
  int port = 5050;                // 0: pick one
  double heartbeat_seconds = 15;  // 0: no heartbeats
  std::string zk;                 // zk://host:port[,..]/path: register and elect through it
  bool leading = true;            // without ZooKeeper: leading, or redirecting to `leader`
  std::string leader;             // host:port of the leader when not leading
  std::string replay_file;        // JSON lines: SUBSCRIBED first sets the state, the rest stream
  int replay_interval_ms = 10;
  size_t chunk_bytes = 0;  // >0: split every record into HTTP chunks of this size
  std::string id = "edgelb-mesos-sim";
};

class SimMaster {
 public:
  explicit SimMaster(SimOptions options);
  ~SimMaster();
  // Loads the replay's initial state, binds, registers in ZooKeeper. Throws on failure.
  void start();
  int port() const { return port_; }
  // A scenario file: a JSON array of operations (sim_state.h). An operation may carry
  // "after_ms": the scenario waits that long before it (on a background thread from the first
  // such operation on; those before it are applied before this returns).
  void apply_scenario(const std::string& file);
  void run();  // serves until stop()
  void stop();

 private:
  struct Subscriber;
  void broadcast(const std::vector<json>& events);
  void send_raw(const std::string& bytes, bool then_close);
  void drop_all();
  json status() const;
  void replay_loop();
  void load_replay();  // options_.replay_file: the initial state and the events to replay
  // The route handlers start() registers.
  void handle_subscribe(const httplib::Request& req, httplib::Response& res);
  void handle_op(const httplib::Request& req, httplib::Response& res);
  void handle_fault(const httplib::Request& req, httplib::Response& res);
  void handle_leader(const httplib::Request& req, httplib::Response& res);
  void handle_resign(const httplib::Request& req, httplib::Response& res);
  void apply_op(const json& op);
  void zk_register();
  void on_group_change(const std::vector<std::string>& children);
  std::string redirect_target() const;

  SimOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<cp::ZkClient> zk_;
  std::string zk_path_, my_node_;
  int port_ = 0;

  mutable std::mutex mu_;  // state_, subscribers_, leadership
  SimState state_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  bool leading_ = true;
  std::string leader_;  // host:port when not leading
  std::atomic<uint64_t> events_streamed_{0};
  std::atomic<uint64_t> subscribes_{0};
  std::vector<json> replay_;
  std::atomic<bool> replay_done_{false};
  std::thread replay_thread_, scenario_thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace edgelb::mesos_sim
