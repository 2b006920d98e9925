// The audit trail: one JSON line per change attempt (allowed or not) — when, who (caller and
// role), what (action, pool/secret/template), the resulting version and the outcome. Never
// contains secret values or config bodies. Appends and flushes each line; thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>

#include "api/auth.h"

namespace edgelb::cp {

class AuditLog {
 public:
  // "" logs to stderr. Throws std::runtime_error when the file cannot be opened.
  explicit AuditLog(const std::string& path);
  void record(const Caller& who, const std::string& action, const std::string& target, int64_t version,
              const std::string& outcome, const std::string& detail = "");

 private:
  std::mutex mu_;
  std::ofstream file_;
  bool to_stderr_;
};

}  // namespace edgelb::cp
