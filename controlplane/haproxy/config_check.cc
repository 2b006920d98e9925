#include "haproxy/config_check.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/subprocess.h"

namespace edgelb::haproxy {
namespace {

// HAProxy's verdict without its banner: the [ALERT] lines, else everything it said.
std::string errors_of(const std::string& output) {
  std::istringstream in(output);
  std::string line, alerts, all;
  while (std::getline(in, line)) {
    if (line.find("[NOTICE]") != std::string::npos || line.find("[WARNING]") != std::string::npos) continue;
    (line.find("[ALERT]") != std::string::npos ? alerts : all) += line + "\n";
  }
  std::string out = alerts.empty() ? all : alerts;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

CheckResult check_config_file(const std::string& haproxy_binary, const std::string& path,
                              std::chrono::milliseconds timeout, const std::vector<int>& inherited_fds) {
  std::vector<std::pair<int, int>> inherit;
  for (int n : inherited_fds) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int placeholder = s < 0 ? -1 : fcntl(s, F_DUPFD_CLOEXEC, 512);  // above every child number (ListenerSet)
    if (s >= 0) close(s);
    if (placeholder >= 0) inherit.emplace_back(n, placeholder);
  }
  auto r = cp::run_command({haproxy_binary, "-c", "-f", path}, timeout, 1 << 20, inherit);
  for (const auto& [n, fd] : inherit) close(fd);
  CheckResult out;
  out.ok = r.exit_code == 0 && !r.timed_out;
  if (!out.ok)
    out.errors =
        r.timed_out ? "haproxy -c did not finish in " + std::to_string(timeout.count()) + " ms" : errors_of(r.output);
  if (!out.ok && out.errors.empty()) out.errors = "haproxy -c exited with " + std::to_string(r.exit_code);
  return out;
}

CheckResult check_config_text(const std::string& haproxy_binary, const std::string& text, const std::string& dir,
                              std::chrono::milliseconds timeout) {
  static std::atomic<unsigned> counter{0};
  const std::string path =
      dir + "/.haproxy-check-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".cfg";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return {false, "cannot write " + path};
  }
  CheckResult r = check_config_file(haproxy_binary, path, timeout);
  std::remove(path.c_str());
  return r;
}

}  // namespace edgelb::haproxy
