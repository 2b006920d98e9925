// A problem found in a request or document, at a path ("haproxy.frontends[0].bindPort",
// "state.services[0].backends[1].weight"; "" for the whole thing). Validators on both sides of
// edgelb return every problem, never just the first; rpc_error.h sends them to gRPC clients.
// Plain values; header-only, no dependencies (also built in the fuzz tree).
#pragma once

#include <string>
#include <vector>

namespace edgelb {

struct FieldError {
  std::string path;
  std::string reason;
  bool operator==(const FieldError&) const = default;
};
using FieldErrors = std::vector<FieldError>;

// "path: reason; path: reason" for log lines and status messages.
inline std::string join(const FieldErrors& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    if (!e.path.empty()) out += e.path + ": ";
    out += e.reason;
  }
  return out;
}

}  // namespace edgelb
