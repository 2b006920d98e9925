#include "api/audit_log.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace edgelb::cp {

AuditLog::AuditLog(const std::string& path) : to_stderr_(path.empty()) {
  if (to_stderr_) return;
  file_.open(path, std::ios::app);
  if (!file_) throw std::runtime_error("audit log " + path + ": cannot open for append");
}

void AuditLog::record(const Caller& who, const std::string& action, const std::string& target, int64_t version,
                      const std::string& outcome, const std::string& detail) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  char ts[96];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  nlohmann::json line = {{"time", ts},       {"who", who.name},    {"role", role_name(who.role)}, {"action", action},
                         {"target", target}, {"version", version}, {"outcome", outcome}};
  if (!detail.empty()) line["detail"] = detail.substr(0, 500);
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard l(mu_);
  if (to_stderr_) {
    std::fputs(("audit " + text).c_str(), stderr);
  } else {
    file_ << text;
    file_.flush();
  }
}

}  // namespace edgelb::cp
