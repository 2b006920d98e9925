// Loopback HTTP for tests: a backend that answers every request with 200 and its name (one
// request per connection), a scripted backend that records what reaches it and answers, closes
// or stalls as a test tells it, one-shot clients, and free ports for servers under test.
// 127.0.0.1 only; each backend's threads stop and join in its destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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
  int status = 0;    // 0: no answer (connection refused, reset, timeout)
  std::string head;  // status line and headers, as received
  std::string body;
  // The first header `name` (case-insensitive), or "" when absent.
  std::string header(const std::string& name) const;
};

// What a ScriptedBackend does with one request: after `delay`, send `response` (a whole HTTP
// response, raw) or, when it is nullopt, close the connection without answering.
struct ScriptedAnswer {
  std::optional<std::string> response;
  std::chrono::milliseconds delay{0};
};

// A 200 response whose body is the request line ("GET /x?y HTTP/1.1") and a newline.
ScriptedAnswer echo_request_line(const std::string& request_head);

// A backend whose answers a test decides: `script` sees each request's head (request line and
// headers) and its 0-based number among the requests this backend received. Every request is
// recorded before it is answered. One thread per connection, one request per connection.
class ScriptedBackend {
 public:
  using Script = std::function<ScriptedAnswer(const std::string& request_head, size_t index)>;
  explicit ScriptedBackend(Script script);  // listens on 127.0.0.1, an ephemeral port
  ~ScriptedBackend();
  ScriptedBackend(const ScriptedBackend&) = delete;
  ScriptedBackend& operator=(const ScriptedBackend&) = delete;
  uint16_t port() const { return port_; }
  std::vector<std::string> requests() const;      // the heads received, in order
  size_t count(const std::string& method) const;  // requests whose method is `method`

 private:
  void serve();
  void handle(int fd);
  Script script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> heads_;
  std::vector<std::thread> workers_;
  std::thread thread_;
};

// A TCP port free on 127.0.0.1 now (for servers that are told a port rather than pick one),
// taken from outside the kernel's ephemeral range so that nothing binding port 0 or connecting
// out takes it before the server binds it.
uint16_t free_loopback_port();

// GET http://127.0.0.1:<port><path> with Host: <host>; 2 s timeout.
HttpReply http_get(uint16_t port, const std::string& path = "/", const std::string& host = "test");

// Sends `method target` with Host: <host>, Connection: close and `body` (with its
// Content-Length when not empty) to 127.0.0.1:<port>, and reads the reply until the server
// closes or `timeout` passes without data. A chunked body is decoded.
HttpReply http_request(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& host = "test", const std::string& body = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace edgelb::test
