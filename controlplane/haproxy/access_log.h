// The access-log file of one pool instance (AccessLogSettings::Kind::kFile): HAProxy sends each
// log line as one datagram to a unix socket this writer owns (<run dir>/access-log.sock, mode
// 0600, `log <socket> format raw`), and the writer appends it to the log file, rotating by
// size: access.log -> access.log.1 -> ... -> access.log.<keep>, the oldest dropped. HAProxy
// never blocks on the log: a datagram that finds no reader (the agent is down) is dropped
// and counted by HAProxy (`show info`: DroppedLogs).
//
// One thread per writer; the destructor stops it and removes the socket. Not copyable. The
// counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace edgelb::haproxy {

struct AccessLogError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AccessLogWriter {
 public:
  // Binds `socket_path` (replacing a stale socket file) and opens `file` for appending.
  // Throws AccessLogError with the path and the reason.
  AccessLogWriter(std::string socket_path, std::string file, uint64_t max_bytes, uint32_t keep);
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  uint64_t lines() const { return lines_; }
  uint64_t rotations() const { return rotations_; }
  uint64_t write_errors() const { return write_errors_; }
  const std::string& file() const { return file_; }

 private:
  void run();
  void write_line(const char* data, size_t size);
  void rotate();
  bool open_file();

  const std::string socket_path_, file_;
  const uint64_t max_bytes_;
  const uint32_t keep_;
  int sock_ = -1, out_ = -1;
  uint64_t size_ = 0;
  std::atomic<uint64_t> lines_{0}, rotations_{0}, write_errors_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace edgelb::haproxy
