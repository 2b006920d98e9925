#include "mesos/mesos_subscriber.h"

#include <curl/curl.h>

#include <cstdio>
#include <random>

namespace edgelb::mesos {

struct MesosSubscriber::Transfer {
  MesosSubscriber* self = nullptr;
  CURL* curl = nullptr;
  std::unique_ptr<EventStream> stream;
  long code = 0;
  std::string body;  // non-200 replies (for the log)
  bool heartbeat_timeout = false;
  bool leader_changed = false;
  bool reset = false;
};

size_t MesosSubscriber::on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->code == 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->code);
  if (t->code != 200) {
    if (t->body.size() < 4096) t->body.append(data, std::min(len, 4096 - t->body.size()));
    return len;
  }
  if (t->stream->feed(std::string_view(data, len)) == EventStream::Result::kReset) {
    t->reset = true;
    return CURL_WRITEFUNC_ERROR;  // aborts the transfer
  }
  if (t->stream->subscribed()) t->self->mark_subscribed(*t->stream);
  return len;
}

void MesosSubscriber::mark_subscribed(const EventStream& stream) {
  std::lock_guard lock(status_mu_);
  if (status_.subscribed) return;
  status_.subscribed = true;
  status_.subscriptions++;
  status_.last_error.clear();
  status_.heartbeat_interval_seconds = stream.heartbeat_interval_seconds();
}

MesosSubscriber::MesosSubscriber(SubscriberOptions options, MesosModel& model)
    : options_(std::move(options)),
      model_(model),
      locator_(make_master_locator(options_.master, options_.zk_session_timeout_ms)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

MesosSubscriber::~MesosSubscriber() { stop(); }

void MesosSubscriber::log(const std::string& msg) const {
  if (options_.log)
    options_.log(msg);
  else
    std::fprintf(stderr, "mesos-listener: %s\n", msg.c_str());
}

void MesosSubscriber::set_error(const std::string& msg) {
  {
    std::lock_guard lock(status_mu_);
    status_.last_error = msg;
  }
  log(msg);
}

void MesosSubscriber::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void MesosSubscriber::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SubscriberStatus MesosSubscriber::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void MesosSubscriber::sleep_backoff(unsigned attempt) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto cap = options_.backoff_max.count();
  long long delay = options_.backoff_min.count();
  for (unsigned i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min<long long>(delay, cap);
  // Jitter: a random point in [delay/2, delay], so listeners do not reconnect in lockstep.
  std::uniform_int_distribution<long long> dist(delay / 2, delay);
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(dist(rng)), [this] { return stopping_.load(); });
}

void MesosSubscriber::run() {
  unsigned failures = 0;
  while (!stopping_) {
    std::vector<std::string> candidates;
    try {
      candidates = locator_->candidates();
      if (candidates.empty()) set_error("no leading Mesos master in " + locator_->describe() + " yet");
    } catch (const std::exception& e) {
      set_error(e.what());
    }
    bool reached = false;
    for (size_t i = 0; i < candidates.size() && !stopping_; ++i) {
      std::string base = candidates[i];
      // Follow at most 3 redirects from one starting point.
      for (int hop = 0; hop < 4 && !base.empty() && !stopping_; ++hop) {
        const uint64_t before = counters_.subscribed.load();
        std::string next = subscribe_once(base);
        if (counters_.subscribed.load() != before) reached = true;
        base = next;
      }
      if (reached) break;
    }
    if (reached)
      failures = 0;
    else
      ++failures;
    if (!stopping_) sleep_backoff(reached ? 0 : failures);
  }
}

std::string MesosSubscriber::subscribe_once(const std::string& base) {
  const std::string url = base + "/api/v1";
  CURL* curl = curl_easy_init();
  if (!curl) {
    set_error("curl_easy_init failed");
    return {};
  }
  Transfer t;
  t.self = this;
  t.curl = curl;
  t.stream = std::make_unique<EventStream>(model_, counters_, "mesos master " + base,
                                           [this](const std::string& m) { log(m); });
  static const char kBody[] = R"({"type":"SUBSCRIBE"})";
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!options_.authorization.empty())
    headers = curl_slist_append(headers, ("Authorization: " + options_.authorization).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, kBody);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(sizeof kBody - 1));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // 307s are followed here, to learn the leader
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  {
    std::lock_guard lock(status_mu_);
    status_.attempts++;
    status_.leader = base;
  }
  const CURLcode rc = curl_easy_perform(curl);
  if (t.code == 0) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.code);
  std::string redirect;
  if (t.code == 307 || t.code == 302 || t.code == 301 || t.code == 308) {
    char* location = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
    std::string loc = location ? location : "";
    if (loc.empty()) {
      set_error("mesos master " + base + " answered " + std::to_string(t.code) + " without a Location");
    } else {
      try {
        redirect = redirect_base(loc, base);
        std::lock_guard lock(status_mu_);
        status_.redirects++;
      } catch (const std::exception& e) {
        set_error("mesos master " + base + ": " + e.what());
      }
    }
  } else if (t.code == 503) {
    std::lock_guard lock(status_mu_);
    status_.unavailable++;
    status_.last_error = "mesos master " + base + ": 503 (no leader elected or recovering)";
  } else if (t.code == 200) {
    if (t.stream->subscribed()) locator_->leader_found(base);
    std::string why;
    if (t.reset)
      why = t.stream->reset_reason();
    else if (t.heartbeat_timeout)
      why = "no event within " + std::to_string(options_.heartbeat_factor) + " heartbeat intervals";
    else if (t.leader_changed)
      why = "ZooKeeper names a new leader";
    else if (stopping_)
      why = "stopping";
    else if (rc != CURLE_OK)
      why = curl_easy_strerror(rc);
    else
      why = "the master closed the stream";
    if (!stopping_) t.stream->finish();
    if (t.stream->subscribed() && !stopping_)
      log("subscription to " + base + " ended: " + why + "; resubscribing");
    else if (!stopping_)
      set_error("mesos master " + base + ": stream ended before SUBSCRIBED: " + why);
  } else if (rc != CURLE_OK && t.code == 0) {
    set_error("mesos master " + base + ": " + curl_easy_strerror(rc));
  } else {
    set_error("mesos master " + base + " answered HTTP " + std::to_string(t.code) + ": " + t.body.substr(0, 200));
  }
  {
    std::lock_guard lock(status_mu_);
    status_.subscribed = false;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return redirect;
}

// Called by libcurl about once a second even when idle: the liveness checks live here.
int MesosSubscriber::on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  MesosSubscriber* self = t->self;
  if (self->stopping_) return 1;
  if (t->code != 200 || !t->stream) return 0;
  if (self->locator_->changed()) {
    t->leader_changed = true;
    std::lock_guard lock(self->status_mu_);
    self->status_.leader_changes++;
    return 1;
  }
  double interval = t->stream->heartbeat_interval_seconds();
  if (interval <= 0) interval = self->options_.default_heartbeat_seconds;
  const auto silent = std::chrono::steady_clock::now() - t->stream->last_event();
  if (silent > std::chrono::duration<double>(interval * self->options_.heartbeat_factor)) {
    t->heartbeat_timeout = true;
    std::lock_guard lock(self->status_mu_);
    self->status_.heartbeat_timeouts++;
    return 1;
  }
  return 0;
}

}  // namespace edgelb::mesos
