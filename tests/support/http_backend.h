// Loopback HTTP for tests: a backend that answers every request with 200 and its name (one
// request per connection), a one-shot GET client, and free ports for servers under test. 127.0.0.1 only; each backend's
// thread stops and joins in its destructor.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace edgelb::test {

class HttpBackend {
 public:
  explicit HttpBackend(std::string name);  // listens on 127.0.0.1, an ephemeral port
  ~HttpBackend();
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;
  uint16_t port() const { return port_; }
  uint64_t requests() const { return requests_; }

 private:
  void serve();
  std::string name_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, reset, timeout)
  std::string body;
};

// A TCP port free on 127.0.0.1 now (for servers that are told a port rather than pick one),
// taken from outside the kernel's ephemeral range so that nothing binding port 0 or connecting
// out takes it before the server binds it.
uint16_t free_loopback_port();

// GET http://127.0.0.1:<port><path> with Host: <host>; 2 s timeout.
HttpReply http_get(uint16_t port, const std::string& path = "/", const std::string& host = "test");

}  // namespace edgelb::test
