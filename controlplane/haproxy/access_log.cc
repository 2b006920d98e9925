#include "haproxy/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace edgelb::haproxy {

AccessLogWriter::AccessLogWriter(std::string socket_path, std::string file, uint64_t max_bytes, uint32_t keep)
    : socket_path_(std::move(socket_path)), file_(std::move(file)), max_bytes_(max_bytes), keep_(keep) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof a.sun_path)
    throw AccessLogError("access log socket " + socket_path_ + ": path too long for a unix socket");
  std::memcpy(a.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  sock_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock_ < 0) throw AccessLogError(std::string("access log socket: ") + std::strerror(errno));
  unlink(socket_path_.c_str());  // a stale one from an earlier agent
  // 0600: only HAProxy (the same user) may send (the run directory is 0700 as well).
  if (bind(sock_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || chmod(socket_path_.c_str(), 0600) != 0) {
    const std::string why = std::strerror(errno);
    close(sock_);
    throw AccessLogError("access log socket " + socket_path_ + ": " + why);
  }
  const int buf = 4 << 20;  // absorbs bursts while the file is rotated
  setsockopt(sock_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (!open_file()) {
    const std::string why = std::strerror(errno);
    close(sock_);
    unlink(socket_path_.c_str());
    throw AccessLogError("access log " + file_ + ": " + why);
  }
  thread_ = std::thread([this] { run(); });
}

AccessLogWriter::~AccessLogWriter() {
  stop_ = true;
  thread_.join();
  close(sock_);
  unlink(socket_path_.c_str());
  if (out_ >= 0) close(out_);
}

bool AccessLogWriter::open_file() {
  out_ = open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (out_ < 0) return false;
  struct stat st {};
  size_ = fstat(out_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

void AccessLogWriter::rotate() {
  close(out_);
  out_ = -1;
  if (keep_ == 0) {
    unlink(file_.c_str());
  } else {
    for (uint32_t k = keep_; k > 1; --k)
      std::rename((file_ + "." + std::to_string(k - 1)).c_str(), (file_ + "." + std::to_string(k)).c_str());
    std::rename(file_.c_str(), (file_ + ".1").c_str());
  }
  rotations_++;
  if (!open_file()) write_errors_++;
}

void AccessLogWriter::write_line(const char* data, size_t size) {
  while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\0')) --size;
  if (size == 0) return;
  if (out_ >= 0 && size_ > 0 && size_ + size + 1 > max_bytes_) rotate();
  if (out_ < 0 && !open_file()) {
    write_errors_++;
    return;
  }
  std::string line(data, size);
  line += '\n';
  if (write(out_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    write_errors_++;
    return;
  }
  size_ += line.size();
  lines_++;
}

void AccessLogWriter::run() {
  std::vector<char> buf(65536);
  while (!stop_) {
    pollfd p{sock_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (;;) {  // drain what is queued before polling again
      ssize_t n = recv(sock_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      write_line(buf.data(), static_cast<size_t>(n));
    }
  }
  // Lines sent before the stop are kept.
  for (;;) {
    ssize_t n = recv(sock_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    write_line(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace edgelb::haproxy
