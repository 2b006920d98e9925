#include "mesos-sim/sim_master.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "mesos/master_locator.h"
#include "mesos/recordio.h"
#include "zk/zk_client.h"

namespace edgelb::mesos_sim {
namespace {

using Clock = std::chrono::steady_clock;

void reply_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, json{{"error", message}});
}

}  // namespace

struct SimMaster::Subscriber {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;  // framed records (or raw bytes for faults)
  bool drop = false;              // close the connection now
  bool close_after = false;       // close once the queue is written
  bool mute = false;              // no more heartbeats on this connection
  Clock::time_point next_heartbeat;

  void push(std::string bytes, bool then_close = false) {
    std::lock_guard lock(mu);
    queue.push_back(std::move(bytes));
    if (then_close) close_after = true;
    cv.notify_all();
  }
};

SimMaster::SimMaster(SimOptions options) : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  leading_ = options_.leading;
  leader_ = options_.leader;
}

SimMaster::~SimMaster() {
  stop();
  if (replay_thread_.joinable()) replay_thread_.join();
  if (scenario_thread_.joinable()) scenario_thread_.join();
}

void SimMaster::apply_op(const json& op) {
  std::lock_guard lock(mu_);
  broadcast(state_.op(op));
}

void SimMaster::apply_scenario(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read scenario " + file);
  json ops = json::parse(in, nullptr, false);
  if (ops.is_discarded() || !ops.is_array())
    throw std::runtime_error("scenario " + file + ": expected a JSON array of operations");
  size_t i = 0;
  for (; i < ops.size() && !(ops[i].is_object() && ops[i].value("after_ms", 0) > 0); ++i) {
    try {
      apply_op(ops[i]);
    } catch (const std::exception& e) {
      throw std::runtime_error("scenario " + file + " operation " + std::to_string(i) + ": " + e.what());
    }
  }
  if (i == ops.size()) return;
  scenario_thread_ = std::thread([this, ops, i, file] {
    for (size_t k = i; k < ops.size() && !stopping_; ++k) {
      const int wait = ops[k].is_object() ? ops[k].value("after_ms", 0) : 0;
      for (int slept = 0; slept < wait && !stopping_; slept += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      try {
        apply_op(ops[k]);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "edgelb-mesos-sim: scenario %s operation %zu: %s\n", file.c_str(), k, e.what());
      }
    }
  });
}

void SimMaster::broadcast(const std::vector<json>& events) {
  for (const json& e : events) {
    const std::string framed = mesos::recordio_frame(e.dump());
    for (auto& s : subscribers_) s->push(framed);
    events_streamed_ += subscribers_.size();
  }
}

void SimMaster::send_raw(const std::string& bytes, bool then_close) {
  std::lock_guard lock(mu_);
  for (auto& s : subscribers_) s->push(bytes, then_close);
}

void SimMaster::drop_all() {
  std::lock_guard lock(mu_);
  for (auto& s : subscribers_) {
    std::lock_guard sl(s->mu);
    s->drop = true;
    s->cv.notify_all();
  }
}

json SimMaster::status() const {
  std::lock_guard lock(mu_);
  return json{{"leading", leading_},
              {"leader", leading_ ? "" : leader_},
              {"subscribers", subscribers_.size()},
              {"subscribes", subscribes_.load()},
              {"events_streamed", events_streamed_.load()},
              {"tasks", state_.task_count()},
              {"agents", state_.agent_count()},
              {"frameworks", state_.framework_count()},
              {"replay_events", replay_.size()},
              {"replay_done", replay_done_.load()},
              {"zk_node", my_node_}};
}

std::string SimMaster::redirect_target() const {
  if (!zk_) {
    std::lock_guard lock(mu_);
    return leader_;
  }
  std::vector<std::string> kids;
  if (zk_->children(zk_path_, &kids) != ZOK) return {};
  const std::string child = mesos::leading_child(kids);
  cp::ZkNode node;
  if (child.empty() || zk_->get(zk_path_ + "/" + child, &node) != ZOK) return {};
  try {
    const std::string url = mesos::master_url_from_info(json::parse(node.data));
    return url.substr(url.find("://") + 3);
  } catch (const std::exception&) {
    return {};
  }
}

void SimMaster::on_group_change(const std::vector<std::string>& children) {
  const std::string leader = mesos::leading_child(children);
  std::lock_guard lock(mu_);
  const bool leading = !my_node_.empty() && leader == my_node_;
  if (leading_ && !leading) {
    // A master that loses leadership stops serving its streams (Mesos aborts).
    for (auto& s : subscribers_) {
      std::lock_guard sl(s->mu);
      s->drop = true;
      s->cv.notify_all();
    }
  }
  if (leading != leading_) std::fprintf(stderr, "edgelb-mesos-sim: %s\n", leading ? "elected leader" : "not leading");
  leading_ = leading;
}

void SimMaster::zk_register() {
  const std::string& spec = options_.zk;
  if (!zk_) {  // first registration: connect and follow the group
    const mesos::ZkGroupUrl group = mesos::parse_zk_url(spec);
    cp::ZkOptions o;
    o.hosts = group.hosts;
    o.session_timeout = std::chrono::milliseconds(4000);
    zk_path_ = group.path;
    zk_ = std::make_unique<cp::ZkClient>(o);
    zk_->ensure_path(zk_path_);
    zk_->watch_children(zk_path_, [this](const std::optional<std::vector<std::string>>& kids) {
      on_group_change(kids ? *kids : std::vector<std::string>());
    });
  }
  in_addr a{};
  inet_pton(AF_INET, options_.listen_host.c_str(), &a);
  const json info = {{"address", {{"hostname", options_.listen_host}, {"ip", options_.listen_host}, {"port", port_}}},
                     {"hostname", options_.listen_host},
                     {"id", options_.id},
                     {"ip", a.s_addr},
                     {"pid", "master@" + options_.listen_host + ":" + std::to_string(port_)},
                     {"port", port_},
                     {"version", "1.11.0"}};
  std::string created;
  const int rc = zk_->create(zk_path_ + "/json.info_", info.dump(), ZOO_EPHEMERAL | ZOO_SEQUENCE, &created);
  if (rc != ZOK) throw cp::ZkError(rc, "registering in " + spec);
  std::lock_guard lock(mu_);
  my_node_ = created.substr(created.rfind('/') + 1);  // the group watch decides leadership
  std::fprintf(stderr, "edgelb-mesos-sim: registered %s/%s\n", zk_path_.c_str(), my_node_.c_str());
}

void SimMaster::replay_loop() {
  while (!stopping_ && subscribes_.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (const json& e : replay_) {
    if (stopping_) return;
    {
      std::lock_guard lock(mu_);
      state_.apply(e);
      broadcast({e});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.replay_interval_ms));
  }
  replay_done_ = true;
}

void SimMaster::load_replay() {
  if (options_.replay_file.empty()) return;
  std::ifstream in(options_.replay_file);
  if (!in) throw std::runtime_error("cannot read replay file " + options_.replay_file);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded()) throw std::runtime_error(options_.replay_file + ":" + std::to_string(n) + ": invalid JSON");
    if (n == 1 && e.value("type", "") == "SUBSCRIBED")
      state_.apply(e);  // the initial state
    else
      replay_.push_back(std::move(e));
  }
}

// Mesos' operator API: SUBSCRIBE only; a follower redirects to the leader (307).
void SimMaster::handle_subscribe(const httplib::Request& req, httplib::Response& res) {
  json call = json::parse(req.body, nullptr, false);
  if (call.is_discarded() || !call.is_object()) return reply_error(res, 400, "Failed to parse body into Call");
  if (call.value("type", "") != "SUBSCRIBE") return reply_error(res, 400, "this simulator only serves SUBSCRIBE");
  const std::string accept = req.get_header_value("Accept");
  if (!accept.empty() && accept.find("application/json") == std::string::npos &&
      accept.find("*/*") == std::string::npos)
    return reply_error(res, 406, "only application/json is served");
  bool leading;
  {
    std::lock_guard lock(mu_);
    leading = leading_;
  }
  if (!leading) {
    const std::string target = redirect_target();
    if (target.empty()) return reply_error(res, 503, "no leading master");
    res.status = 307;
    res.set_header("Location", "//" + target + "/api/v1");
    return;
  }
  auto sub = std::make_shared<Subscriber>();
  sub->next_heartbeat = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options_.heartbeat_seconds));
  {
    std::lock_guard lock(mu_);
    sub->queue.push_back(mesos::recordio_frame(state_.subscribed(options_.heartbeat_seconds).dump()));
    subscribers_.push_back(sub);
    subscribes_++;
  }
  res.status = 200;
  res.set_chunked_content_provider(
      "application/json",
      [this, sub](size_t, httplib::DataSink& sink) {
        std::vector<std::string> out;
        {
          std::unique_lock lock(sub->mu);
          const auto until =
              options_.heartbeat_seconds > 0 ? sub->next_heartbeat : Clock::now() + std::chrono::seconds(1);
          sub->cv.wait_until(lock, until, [&] { return !sub->queue.empty() || sub->drop || stopping_; });
          if (sub->drop || stopping_) return false;
          if (sub->queue.empty() && options_.heartbeat_seconds > 0 && Clock::now() >= sub->next_heartbeat) {
            if (!sub->mute) sub->queue.push_back(mesos::recordio_frame(R"({"type":"HEARTBEAT"})"));
            sub->next_heartbeat = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(options_.heartbeat_seconds));
          }
          out.assign(sub->queue.begin(), sub->queue.end());
          sub->queue.clear();
        }
        for (const std::string& bytes : out) {
          const size_t step = options_.chunk_bytes ? options_.chunk_bytes : bytes.size();
          for (size_t i = 0; i < bytes.size(); i += step)
            if (!sink.write(bytes.data() + i, std::min(step, bytes.size() - i))) return false;
        }
        std::lock_guard lock(sub->mu);
        return !sub->close_after;
      },
      [this, sub](bool) {
        std::lock_guard lock(mu_);
        std::erase(subscribers_, sub);
      });
}

// The test's hand on the cluster: operations (sim_state.h), applied and streamed in order.
void SimMaster::handle_op(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return reply_error(res, 400, "body is not JSON");
  json ops = body.is_array() ? body : json::array({body});
  json streamed = json::array();
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < ops.size(); ++i) {
    std::vector<json> events;
    try {
      events = state_.op(ops[i]);
    } catch (const std::exception& e) {
      // Earlier operations of the batch stay applied (and streamed).
      return reply_json(res, 400, json{{"error", "op " + std::to_string(i) + ": " + e.what()}, {"events", streamed}});
    }
    broadcast(events);
    for (auto& e : events) streamed.push_back(std::move(e));
  }
  reply_json(res, 200, json{{"events", streamed}});
}

// Stream faults: drop every subscriber, mute heartbeats, garbage, a bad length, a truncation.
void SimMaster::handle_fault(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, false);
  const std::string kind = body.is_object() ? body.value("kind", "") : "";
  if (kind == "drop") {
    drop_all();
  } else if (kind == "mute_heartbeats") {
    std::lock_guard lock(mu_);
    for (auto& s : subscribers_) {
      std::lock_guard sl(s->mu);
      s->mute = true;
    }
  } else if (kind == "garbage") {
    send_raw(mesos::recordio_frame(body.value("data", "{this is not json")), false);
  } else if (kind == "bad_length") {
    send_raw("12x\n{}", false);
  } else if (kind == "truncate") {
    send_raw("100\n{\"type\":\"HEARTB", true);
  } else {
    return reply_error(res, 400, "kind must be drop, mute_heartbeats, garbage, bad_length or truncate");
  }
  reply_json(res, 200, json{{"ok", true}});
}

// Leadership without ZooKeeper.
void SimMaster::handle_leader(const httplib::Request& req, httplib::Response& res) {
  if (zk_) return reply_error(res, 409, "leadership comes from ZooKeeper; use /sim/v1/resign");
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("leading") || !body["leading"].is_boolean())
    return reply_error(res, 400, "{\"leading\": bool, \"leader\": \"host:port\"} expected");
  {
    std::lock_guard lock(mu_);
    leading_ = body["leading"].get<bool>();
    leader_ = body.value("leader", "");
  }
  if (!body["leading"].get<bool>()) drop_all();
  reply_json(res, 200, status());
}

// Leadership through ZooKeeper: give it up and stand again.
void SimMaster::handle_resign(const httplib::Request&, httplib::Response& res) {
  if (!zk_) return reply_error(res, 409, "not registered in ZooKeeper");
  std::string node;
  {
    std::lock_guard lock(mu_);
    node = my_node_;
    my_node_.clear();
  }
  zk_->remove(zk_path_ + "/" + node);
  zk_register();
  reply_json(res, 200, status());
}

void SimMaster::start() {
  load_replay();
  auto& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(64); };
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  s.Post("/api/v1", [this](Req req, Res res) { handle_subscribe(req, res); });
  s.Post("/sim/v1/op", [this](Req req, Res res) { handle_op(req, res); });
  s.Post("/sim/v1/fault", [this](Req req, Res res) { handle_fault(req, res); });
  s.Post("/sim/v1/leader", [this](Req req, Res res) { handle_leader(req, res); });
  s.Post("/sim/v1/resign", [this](Req req, Res res) { handle_resign(req, res); });
  s.Get("/sim/v1/status", [this](Req, Res res) { reply_json(res, 200, status()); });

  port_ = options_.port == 0 ? s.bind_to_any_port(options_.listen_host)
                             : (s.bind_to_port(options_.listen_host, options_.port) ? options_.port : -1);
  if (port_ <= 0)
    throw std::runtime_error("cannot listen on " + options_.listen_host + ":" + std::to_string(options_.port));
  if (!options_.zk.empty()) {
    {
      std::lock_guard lock(mu_);
      leading_ = false;  // until the group says so
    }
    zk_register();
  }
  if (!replay_.empty())
    replay_thread_ = std::thread([this] { replay_loop(); });
  else
    replay_done_ = true;
}

void SimMaster::run() { server_->listen_after_bind(); }

void SimMaster::stop() {
  stopping_ = true;
  drop_all();
  server_->stop();
}

}  // namespace edgelb::mesos_sim
