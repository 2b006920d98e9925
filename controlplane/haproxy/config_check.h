// Whether HAProxy accepts a configuration: `<haproxy> -c -f <file>`, the same binary and
// the same files (certificates, Lua) the instance will use. Every rendered config passes this
// before it is written where HAProxy reads it. Blocks up to `timeout`; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace edgelb::haproxy {

struct CheckResult {
  bool ok = false;
  std::string errors;  // HAProxy's [ALERT] lines (or why it could not run), trimmed
};

// `inherited_fds`: the numbers of `bind fd@<n>` listeners; the check gets a placeholder socket
// at each (HAProxy -c only asks that it be a socket).
CheckResult check_config_file(const std::string& haproxy_binary, const std::string& path,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20),
                              const std::vector<int>& inherited_fds = {});

// Writes `text` to `<dir>/.haproxy-check-<pid>-<n>.cfg`, checks it, removes it.
CheckResult check_config_text(const std::string& haproxy_binary, const std::string& text, const std::string& dir,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace edgelb::haproxy
