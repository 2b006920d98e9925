// The mesos-listener's client: keeps one SUBSCRIBE stream open to the leading Mesos master and
// feeds it into the model (event_stream.h).
//
//   POST <master>/api/v1  {"type":"SUBSCRIBE"}   Content-Type/Accept: application/json
//   200: chunked RecordIO stream;  307: not the leader, Location names it (often "//host:port/..."),
//   followed;  503: no leader yet / recovering: retried;  anything else: logged, retried.
// The stream is dropped and resubscribed (backoff with jitter) when: no event for
// heartbeat_factor x heartbeat_interval_seconds, a framing error, the connection ends, or the
// ZooKeeper group names a new leader. Each subscription starts from the SUBSCRIBED snapshot;
// the model records only what differs from before.
// One background thread; start()/stop() from the owner; status() from any thread.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mesos/event_stream.h"
#include "mesos/master_locator.h"
#include "mesos/mesos_model.h"

namespace edgelb::mesos {

struct SubscriberOptions {
  std::string master;         // zk://.../mesos or http://host:port[,...] (master_locator.h)
  std::string authorization;  // Authorization header value (e.g. "token=<JWT>"); empty: none
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{10000};
  double heartbeat_factor = 3.0;            // missed intervals before the stream counts as dead
  double default_heartbeat_seconds = 15.0;  // when SUBSCRIBED carries no interval
  std::chrono::milliseconds connect_timeout{5000};
  int zk_session_timeout_ms = 10000;
  std::function<void(const std::string&)> log;  // default: stderr
};

struct SubscriberStatus {
  bool subscribed = false;     // a stream is open and has delivered SUBSCRIBED
  std::string leader;          // base URL of the master streaming to us (or last tried)
  uint64_t subscriptions = 0;  // SUBSCRIBE requests that reached SUBSCRIBED
  uint64_t attempts = 0;       // SUBSCRIBE requests sent
  uint64_t redirects = 0;      // 307s followed
  uint64_t unavailable = 0;    // 503s
  uint64_t heartbeat_timeouts = 0;
  uint64_t leader_changes = 0;  // streams dropped because ZooKeeper named another leader
  std::string last_error;
  double heartbeat_interval_seconds = 0;
};

class MesosSubscriber {
 public:
  // Throws std::invalid_argument for a bad master spec.
  MesosSubscriber(SubscriberOptions options, MesosModel& model);
  ~MesosSubscriber();  // stop()
  MesosSubscriber(const MesosSubscriber&) = delete;
  MesosSubscriber& operator=(const MesosSubscriber&) = delete;

  void start();
  void stop();  // drops the stream, joins the thread

  SubscriberStatus status() const;
  const StreamCounters& counters() const { return counters_; }

 private:
  struct Transfer;
  static size_t on_body(char* data, size_t size, size_t n, void* transfer);
  static int on_progress(void* transfer, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
  void mark_subscribed(const EventStream& stream);
  void run();
  // One SUBSCRIBE exchange with `base`. Returns the redirect target for a 307, else "".
  std::string subscribe_once(const std::string& base);
  void sleep_backoff(unsigned attempt);
  void log(const std::string& msg) const;
  void set_error(const std::string& msg);

  SubscriberOptions options_;
  MesosModel& model_;
  std::unique_ptr<MasterLocator> locator_;
  StreamCounters counters_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  mutable std::mutex status_mu_;
  SubscriberStatus status_;
};

}  // namespace edgelb::mesos
