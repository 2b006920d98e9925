#include "agent/health_checker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edgelb::cp {
namespace {

// A non-blocking connect to address:port; -1 when it failed at once.
int connect_nonblocking(const std::string& address, uint32_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

bool http_status_passes(const std::string& reply) {
  // "HTTP/1.x NNN ..."
  auto sp = reply.find(' ');
  if (reply.rfind("HTTP/", 0) != 0 || sp == std::string::npos || reply.size() < sp + 4) return false;
  const char c = reply[sp + 1];
  return (c == '2' || c == '3') && std::isdigit(static_cast<unsigned char>(reply[sp + 2])) &&
         std::isdigit(static_cast<unsigned char>(reply[sp + 3]));
}

}  // namespace

HealthChecker::HealthChecker(std::function<void()> on_change) : on_change_(std::move(on_change)) {
  if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("health checker: pipe2 failed");
  thread_ = std::thread([this] { run(); });
}

HealthChecker::~HealthChecker() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  for (auto& [k, p] : probes_) close_probe(p);
  close(wake_[0]);
  close(wake_[1]);
}

void HealthChecker::set_targets(const std::vector<HealthTarget>& targets) {
  {
    std::lock_guard<std::mutex> g(mu_);
    pending_ = targets;
  }
  (void)!write(wake_[1], "x", 1);
}

HealthVerdicts HealthChecker::verdicts() const {
  std::lock_guard<std::mutex> g(mu_);
  return verdicts_;
}

uint64_t HealthChecker::checks_run() const {
  std::lock_guard<std::mutex> g(mu_);
  return checks_;
}

void HealthChecker::close_probe(Probe& p) {
  if (p.fd >= 0) close(p.fd);
  p.fd = -1;
  p.sent = false;
  p.reply.clear();
}

void HealthChecker::start(Probe& p, Clock::time_point now) {
  p.fd = connect_nonblocking(p.target.address, p.target.port);
  p.deadline = now + std::chrono::seconds(p.target.check.timeout_s);
  p.due = now + std::chrono::seconds(p.target.check.interval_s);
  if (p.fd < 0) finish(p, false);
}

void HealthChecker::finish(Probe& p, bool passed) {
  close_probe(p);
  bool changed = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    checks_++;
    const std::string key = p.target.key();
    auto v = verdicts_.find(key);
    if (passed) {
      p.passes++;
      p.failures = 0;
    } else {
      p.failures++;
      p.passes = 0;
    }
    if (v == verdicts_.end()) {  // the first result decides
      verdicts_[key] = passed;
      changed = true;
    } else if (!v->second && passed && p.passes >= static_cast<int>(p.target.check.healthy_threshold)) {
      v->second = true;
      changed = true;
    } else if (v->second && !passed && p.failures >= static_cast<int>(p.target.check.unhealthy_threshold)) {
      v->second = false;
      changed = true;
    }
  }
  if (changed && on_change_) on_change_();
}

void HealthChecker::run() {
  std::vector<pollfd> fds;
  std::vector<std::string> keys;
  for (;;) {
    std::optional<std::vector<HealthTarget>> targets;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stop_) return;
      targets.swap(pending_);
    }
    auto now = Clock::now();
    if (targets) {
      std::map<std::string, Probe> next;
      for (const auto& t : *targets) {
        auto it = probes_.find(t.key());
        if (it != probes_.end() && it->second.target == t) {
          next.emplace(t.key(), std::move(it->second));
          probes_.erase(it);
        } else {
          Probe p;
          p.target = t;
          p.due = now;  // a new target is checked at once
          next.emplace(t.key(), std::move(p));
        }
      }
      for (auto& [k, p] : probes_) close_probe(p);
      probes_ = std::move(next);
      std::lock_guard<std::mutex> g(mu_);
      for (auto it = verdicts_.begin(); it != verdicts_.end();)
        it = probes_.count(it->first) ? std::next(it) : verdicts_.erase(it);
    }
    auto wake_at = now + std::chrono::seconds(1);
    fds.assign(1, pollfd{wake_[0], POLLIN, 0});
    keys.assign(1, "");
    for (auto& [k, p] : probes_) {
      if (p.fd < 0 && now >= p.due) start(p, now);
      if (p.fd >= 0 && now >= p.deadline) finish(p, false);
      if (p.fd >= 0) {
        fds.push_back(pollfd{p.fd, static_cast<short>(p.sent ? POLLIN : POLLOUT), 0});
        keys.push_back(k);
        wake_at = std::min(wake_at, p.deadline);
      } else {
        wake_at = std::min(wake_at, p.due);
      }
    }
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count();
    int n = poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait_ms) + 1));
    if (n <= 0) continue;
    if (fds[0].revents) {
      char buf[64];
      while (read(wake_[0], buf, sizeof(buf)) > 0) {
      }
    }
    now = Clock::now();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Probe& p = probes_[keys[i]];
      if (!p.sent) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (fds[i].revents & (POLLERR | POLLHUP))) {
          finish(p, false);
          continue;
        }
        if (p.target.check.type == VipHealthCheck::Type::kTcp) {
          finish(p, true);
          continue;
        }
        const std::string req = "GET " + p.target.check.path + " HTTP/1.0\r\nHost: " + p.target.address +
                                "\r\nUser-Agent: edgelb-agent-health\r\nConnection: close\r\n\r\n";
        if (send(p.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
          finish(p, false);
          continue;
        }
        p.sent = true;
        continue;
      }
      char buf[512];
      ssize_t r = recv(p.fd, buf, sizeof(buf), 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r > 0) p.reply.append(buf, static_cast<size_t>(r));
      if (p.reply.find("\r\n") != std::string::npos || p.reply.size() >= 64 || r <= 0)
        finish(p, http_status_passes(p.reply));
    }
  }
}

}  // namespace edgelb::cp
