#include "http_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace edgelb::test {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// Binds a throwaway socket to 127.0.0.1:`port` (0: any): the port it got, or 0 when it could not.
uint16_t bound_port(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 0;
  sockaddr_in a = loopback(port);
  socklen_t len = sizeof a;
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(s);
  return ok ? ntohs(a.sin_port) : 0;
}

// A listening socket on 127.0.0.1 (an ephemeral port); its port in `port`.
int listen_loopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("test backend: cannot listen on 127.0.0.1");
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// Reads from `fd` until `done(data)` or `wait` passes without data; false when the peer closed
// or the wait ran out first.
template <typename Done>
bool read_until(int fd, std::string* data, std::chrono::milliseconds wait, Done done) {
  char buf[4096];
  while (!done(*data)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// Accepts connections on `fd` until `stop`, handing each to `on_connection`.
template <typename F>
void accept_until(int fd, const std::atomic<bool>& stop, F on_connection) {
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) on_connection(c);
  }
}

// The kernel's ephemeral range: bind(port 0) and outgoing connections take their ports from it.
std::pair<int, int> ephemeral_range() {
  int low = 32768, high = 60999;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d %d", &low, &high) != 2) low = 32768, high = 60999;
    std::fclose(f);
  }
  return {low, high};
}

}  // namespace

HttpBackend::HttpBackend(std::string name) : name_(std::move(name)) {
  fd_ = listen_loopback(&port_);
  thread_ = std::thread([this] { serve(); });
}

HttpBackend::~HttpBackend() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

void HttpBackend::serve() {
  accept_until(fd_, stop_, [this](int c) {
    std::string req;
    if (read_until(c, &req, std::chrono::milliseconds(2000),
                   [](const std::string& d) { return d.find("\r\n\r\n") != std::string::npos; })) {
      requests_++;
      std::string body = name_ + "\n";
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    }
    close(c);
  });
}

ScriptedAnswer echo_request_line(const std::string& request_head) {
  const std::string body = request_head.substr(0, request_head.find("\r\n")) + "\n";
  return {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body,
          std::chrono::milliseconds(0)};
}

ScriptedBackend::ScriptedBackend(Script script) : script_(std::move(script)) {
  fd_ = listen_loopback(&port_);
  thread_ = std::thread([this] { serve(); });
}

ScriptedBackend::~ScriptedBackend() {
  stop_ = true;
  thread_.join();
  for (auto& w : workers_) w.join();
  close(fd_);
}

void ScriptedBackend::serve() {
  accept_until(fd_, stop_, [this](int c) { workers_.emplace_back([this, c] { handle(c); }); });
}

void ScriptedBackend::handle(int c) {
  std::string req;
  const auto end_of_head = [](const std::string& d) { return d.find("\r\n\r\n") != std::string::npos; };
  if (!read_until(c, &req, std::chrono::milliseconds(2000), end_of_head)) {
    close(c);
    return;
  }
  const std::string head = req.substr(0, req.find("\r\n\r\n") + 2);
  // The body too, so that closing does not reset the connection under an unread request.
  HttpReply parsed;
  parsed.head = head;
  const std::string length = parsed.header("Content-Length");
  const size_t want = req.find("\r\n\r\n") + 4 + (length.empty() ? 0 : std::stoul(length));
  read_until(c, &req, std::chrono::milliseconds(2000), [want](const std::string& d) { return d.size() >= want; });
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = heads_.size();
    heads_.push_back(head);
  }
  const ScriptedAnswer answer = script_(head, index);
  // Waits in small steps so that a stopping backend does not wait out a long stall.
  const auto until = std::chrono::steady_clock::now() + answer.delay;
  while (!stop_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (answer.response) (void)!send(c, answer.response->data(), answer.response->size(), MSG_NOSIGNAL);
  close(c);
}

std::vector<std::string> ScriptedBackend::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heads_;
}

size_t ScriptedBackend::count(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(heads_.begin(), heads_.end(), [&](const std::string& h) {
    return h.compare(0, method.size() + 1, method + " ") == 0;
  }));
}

std::string HttpReply::header(const std::string& name) const {
  auto lower = [](std::string v) {
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
  };
  const std::string want = lower(name) + ":";
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2, end = head.find("\r\n", start);
    const std::string line = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (lower(line.substr(0, want.size())) == want) {
      size_t v = want.size();
      while (v < line.size() && line[v] == ' ') ++v;
      return line.substr(v);
    }
    pos = end;
  }
  return "";
}

uint16_t free_loopback_port() {
  // Outside the ephemeral range, so that no socket bound to port 0 (a test backend, another
  // test's server) and no outgoing connection takes the port between this check and its use.
  // Where the candidates start differs per process and call, so parallel tests rarely meet.
  static std::atomic<uint32_t> calls{0};
  const auto [low, high] = ephemeral_range();
  int first = 10000, last = low - 1;
  if (last - first < 1000) first = high + 1, last = 65535;
  if (last - first >= 1000) {
    const uint32_t span = uint32_t(last - first + 1);
    const uint32_t start = uint32_t(getpid()) * 2654435761u + calls.fetch_add(1) * 7919u;
    for (uint32_t i = 0; i < 200; ++i) {
      const auto port = uint16_t(first + (start + i * 104729u) % span);
      if (bound_port(port)) return port;
    }
  }
  // No room outside the ephemeral range: any free port.
  if (const uint16_t port = bound_port(0)) return port;
  throw std::runtime_error("free_loopback_port: cannot bind 127.0.0.1");
}

HttpReply http_get(uint16_t port, const std::string& path, const std::string& host) {
  return http_request(port, "GET", path, host);
}

HttpReply http_request(uint16_t port, const std::string& method, const std::string& target, const std::string& host,
                       const std::string& body, std::chrono::milliseconds timeout) {
  HttpReply r;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = loopback(port);
  if (connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  (void)!send(s, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  read_until(s, &resp, timeout, [](const std::string&) { return false; });
  close(s);
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return r;
  r.status = std::stoi(resp.substr(9, 3));
  const auto end = resp.find("\r\n\r\n");
  r.head = resp.substr(0, end == std::string::npos ? resp.size() : end + 2);
  if (end != std::string::npos) r.body = resp.substr(end + 4);
  if (r.header("Transfer-Encoding").find("chunked") != std::string::npos) {
    std::string body;
    for (size_t at = 0;;) {
      const size_t eol = r.body.find("\r\n", at);
      if (eol == std::string::npos) break;
      const size_t size = std::stoul(r.body.substr(at, eol - at), nullptr, 16);
      if (size == 0 || eol + 2 + size > r.body.size()) break;
      body += r.body.substr(eol + 2, size);
      at = eol + 2 + size + 2;
    }
    r.body = std::move(body);
  }
  return r;
}

}  // namespace edgelb::test
