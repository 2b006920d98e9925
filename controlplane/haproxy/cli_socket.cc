#include "haproxy/cli_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgelb::haproxy {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw CliSocketError(path + ": " + what); }

}  // namespace

std::string cli_exchange(const std::string& socket_path, const std::string& command_line,
                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) fail(socket_path, "socket path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) fail(socket_path, std::string("socket: ") + std::strerror(errno));
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    fail(socket_path, std::string("connect: ") + std::strerror(errno));
  std::string line = command_line + "\n";
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(socket_path, std::string("send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  shutdown(s.fd, SHUT_WR);
  std::string out;
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail(socket_path, "no complete answer in " + std::to_string(timeout.count()) + " ms");
    pollfd p{s.fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(socket_path, std::string("recv: ") + std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace edgelb::haproxy
