#include "haproxy/listeners.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgelb::haproxy {

ListenerSet::~ListenerSet() {
  for (const auto& [bind, fd] : fds_) close(fd);  // HAProxy keeps its own copies
}

std::optional<int> ListenerSet::hold(const std::string& bind, std::string* error) {
  auto it = fds_.find(bind);
  if (it != fds_.end()) return it->second;
  auto fail = [&](const std::string& why) -> std::optional<int> {
    if (error) *error = bind + ": " + why;
    return std::nullopt;
  };
  const auto colon = bind.rfind(':');
  if (colon == std::string::npos) return fail("not address:port");
  std::string host = bind.substr(0, colon);
  const int port = std::atoi(bind.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return fail("bad port");
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a->sin6_addr) != 1) return fail("bad address");
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    if (inet_pton(AF_INET, host.empty() ? "0.0.0.0" : host.c_str(), &a->sin_addr) != 1) return fail("bad address");
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*a);
  }
  int s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail(std::strerror(errno));
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(s, backlog_) != 0) {
    const std::string why = std::strerror(errno);
    close(s);
    return fail(why);
  }
  // Our copy lives above the numbers HAProxy gets, so spawning can dup2 without clobbering.
  int fd = fcntl(s, F_DUPFD_CLOEXEC, kFirstHeldFd);
  close(s);
  if (fd < 0) return fail(std::string("F_DUPFD: ") + std::strerror(errno));
  fds_[bind] = fd;
  return fd;
}

void ListenerSet::release(const std::string& bind) {
  auto it = fds_.find(bind);
  if (it == fds_.end()) return;
  shutdown(it->second, SHUT_RDWR);  // a listening socket stops listening in every process
  close(it->second);
  fds_.erase(it);
}

}  // namespace edgelb::haproxy
