#include "http_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 128) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("HttpBackend: cannot listen on 127.0.0.1");
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpBackend::~HttpBackend() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

void HttpBackend::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      pollfd q{c, POLLIN, 0};
      if (poll(&q, 1, 2000) <= 0) break;
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    if (req.find("\r\n\r\n") != std::string::npos) {
      requests_++;
      std::string body = name_ + "\n";
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    }
    close(c);
  }
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
  HttpReply r;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = loopback(port);
  if (connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return r;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  (void)!send(s, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (;;) {
    pollfd p{s, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(s);
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return r;
  r.status = std::stoi(resp.substr(9, 3));
  auto body = resp.find("\r\n\r\n");
  if (body != std::string::npos) r.body = resp.substr(body + 4);
  return r;
}

}  // namespace edgelb::test
