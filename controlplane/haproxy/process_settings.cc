#include "haproxy/process_settings.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>

#include "haproxy/haproxy_words.h"

namespace edgelb::haproxy {

const char* access_log_kind_name(AccessLogSettings::Kind kind) {
  switch (kind) {
    case AccessLogSettings::Kind::kFile: return "file";
    case AccessLogSettings::Kind::kSyslog: return "syslog";
    case AccessLogSettings::Kind::kStdout: return "stdout";
    case AccessLogSettings::Kind::kNone: break;
  }
  return "none";
}

AccessLogSettings::Kind parse_access_log_kind(const std::string& name) {
  for (auto k : {AccessLogSettings::Kind::kFile, AccessLogSettings::Kind::kSyslog, AccessLogSettings::Kind::kStdout,
                 AccessLogSettings::Kind::kNone})
    if (name == access_log_kind_name(k)) return k;
  throw std::invalid_argument("must be one of file, syslog, stdout, none, got \"" + name + "\"");
}

std::string access_log_socket(const std::string& run_dir) { return run_dir + "/access-log.sock"; }

std::string log_target(const AccessLogSettings& log, const std::string& run_dir) {
  // len: the longest line HAProxy sends (long URLs); the default 1024 cuts them.
  switch (log.kind) {
    case AccessLogSettings::Kind::kFile:
      return word(access_log_socket(run_dir)) + " len 8192 format raw " + word(log.facility);
    case AccessLogSettings::Kind::kSyslog: return word(log.syslog_address) + " len 8192 " + word(log.facility);
    case AccessLogSettings::Kind::kStdout: return "stdout format raw " + word(log.facility);
    case AccessLogSettings::Kind::kNone: break;
  }
  return "";
}

uint64_t descriptors_for(uint32_t maxconn) { return 2ull * maxconn + kFdReserve; }

ConnectionLimits size_limits(ConnectionLimits wanted, uint64_t fd_limit) {
  ConnectionLimits out = wanted;
  out.fd_limit = fd_limit;
  if (fd_limit < descriptors_for(1))
    throw LimitsError("HAProxy may open " + std::to_string(fd_limit) +
                      " file descriptors (ulimit -Hn), fewer than the " + std::to_string(descriptors_for(1)) +
                      " one connection needs: raise the agent's limit (systemd LimitNOFILE=, ulimit -n)");
  if (out.maxconn == 0) {
    out.maxconn = static_cast<uint32_t>(std::min<uint64_t>(kEdgeLbMaxconn, (fd_limit - kFdReserve) / 2));
  } else if (descriptors_for(out.maxconn) > fd_limit) {
    throw LimitsError("haproxy.maxconn " + std::to_string(out.maxconn) + " needs about " +
                      std::to_string(descriptors_for(out.maxconn)) + " file descriptors (2 per connection + " +
                      std::to_string(kFdReserve) + "), but HAProxy may open " + std::to_string(fd_limit) +
                      " (the agent's ulimit -Hn); HAProxy would refuse to start. Raise the limit (systemd "
                      "LimitNOFILE=) or lower haproxy.maxconn to at most " +
                      std::to_string((fd_limit - kFdReserve) / 2) + ", or leave it out to have it derived");
  }
  if (out.frontend_maxconn == 0) out.frontend_maxconn = out.maxconn;
  if (out.frontend_maxconn > out.maxconn)
    throw LimitsError("haproxy.frontend_maxconn " + std::to_string(out.frontend_maxconn) + " exceeds maxconn " +
                      std::to_string(out.maxconn) + ": a frontend cannot hold more connections than the process");
  if (out.backlog == 0) out.backlog = out.frontend_maxconn;
  return out;
}

uint64_t inherited_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
  if (r.rlim_max != RLIM_INFINITY) return r.rlim_max;
  uint64_t nr_open = 1048576;
  std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
  return nr_open;
}

}  // namespace edgelb::haproxy
