// What an operator sets for every HAProxy the agent runs (the agent config's `haproxy:` block,
// docs/agent.md), with the defaults edgelb renders into the global and defaults sections:
// connection limits sized to the file descriptors HAProxy may open, TLS defaults for the
// frontends that terminate TLS, where the access log goes, and how long old workers live
// after a reload. Plain values and pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace edgelb::haproxy {

// TLS for frontends that terminate it (HTTPS, TLS), as HAProxy's ssl-default-bind-* settings:
// Mozilla's "intermediate" profile without the DHE suites (TLS 1.2+, ECDHE key exchange and
// AEAD ciphers only; TLS 1.3's three suites). A pool changes them per frontend with
// `bindModifier` ("ciphers ...", "ssl-min-ver TLSv1.3", "tls-tickets"), which HAProxy applies
// over these defaults.
struct TlsDefaults {
  static constexpr const char* kCiphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  static constexpr const char* kCiphersuites =
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  std::string min_version = "TLSv1.2";       // TLSv1.2 or TLSv1.3
  std::string ciphers = kCiphers;            // TLS 1.2 and below (OpenSSL cipher list)
  std::string ciphersuites = kCiphersuites;  // TLS 1.3
  // Stateless session tickets: off. Their key lives as long as the worker and never rotates
  // here, so a stolen key would decrypt every recorded session (no forward secrecy); session
  // IDs (HAProxy's cache) still resume sessions.
  bool session_tickets = false;
  bool operator==(const TlsDefaults&) const = default;
};

// Where HAProxy's access log goes: one line per request (HTTP) or connection (TCP).
struct AccessLogSettings {
  enum class Kind {
    kFile,    // the agent receives them and writes <file> with size-based rotation (default)
    kSyslog,  // a syslog server: a unix socket path (/dev/log, journald's) or host:port (UDP)
    kStdout,  // HAProxy's standard output, the agent's own (under systemd: the journal)
    kNone,
  };
  Kind kind = Kind::kFile;
  std::string file;                        // kFile: "{pool}" -> the pool; "" = <instance dir>/access.log
  uint64_t max_bytes = 100 * 1024 * 1024;  // kFile: rotate past this size
  uint32_t keep = 5;                       // kFile: rotated files kept (access.log.1 .. .<keep>)
  std::string syslog_address = "/dev/log";
  std::string facility = "local0";
  bool operator==(const AccessLogSettings&) const = default;
};
// "file", "syslog", "stdout", "none"; parse throws std::invalid_argument for anything else.
const char* access_log_kind_name(AccessLogSettings::Kind kind);
AccessLogSettings::Kind parse_access_log_kind(const std::string& name);

// The `log` target line for an instance whose run directory is `run_dir` ("" = no log line):
// kFile sends to the agent's unix socket <run_dir>/access-log.sock.
std::string log_target(const AccessLogSettings& log, const std::string& run_dir);
std::string access_log_socket(const std::string& run_dir);  // <run_dir>/access-log.sock

// Connection limits. HAProxy needs two descriptors per proxied connection (client and
// server) plus some for listeners, checks, logs and its sockets; it raises its soft
// RLIMIT_NOFILE to what `maxconn` needs but not past the hard limit it inherits, and refuses to
// start when that is too low (strict-limits, on by default in 2.6).
struct ConnectionLimits {
  uint32_t maxconn = 0;           // global
  uint32_t frontend_maxconn = 0;  // every frontend (a pool's miscStrs may set its own)
  uint32_t backlog = 0;           // listen backlog of every frontend (the kernel caps it at somaxconn)
  uint64_t fd_limit = 0;          // the descriptors HAProxy may open
};

inline constexpr uint32_t kEdgeLbMaxconn = 50000;  // Edge-LB's fixed global maxconn, the ceiling here
inline constexpr uint32_t kFdReserve = 256;        // listeners, checks, sockets, logs, Lua

struct LimitsError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Fills what is 0 in `wanted`: maxconn = min(50000, (fd_limit - 256) / 2), frontend_maxconn =
// maxconn, backlog = frontend_maxconn. Throws LimitsError, saying what to change, when an
// explicit maxconn needs more descriptors than `fd_limit`, a frontend limit exceeds the
// global one, or fd_limit leaves no room for a single connection.
ConnectionLimits size_limits(ConnectionLimits wanted, uint64_t fd_limit);
// Descriptors one HAProxy with `maxconn` connections needs.
uint64_t descriptors_for(uint32_t maxconn);
// The hard RLIMIT_NOFILE of this process (what HAProxy, started by it, inherits), bounded by
// /proc/sys/fs/nr_open when unlimited.
uint64_t inherited_fd_limit();

}  // namespace edgelb::haproxy
