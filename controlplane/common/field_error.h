// A problem found in a document, at a JSON path ("haproxy.frontends[0].bindPort"; "" for
// the whole document). Control-plane validators return every problem, never just the first.
#pragma once

#include <string>
#include <vector>

namespace edgelb::cp {

struct FieldError {
  std::string path;
  std::string reason;
  bool operator==(const FieldError&) const = default;
};
using FieldErrors = std::vector<FieldError>;

// "path: reason; path: reason" for log lines and status messages.
inline std::string join(const FieldErrors& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + (e.path.empty() ? "" : e.path + ": ") + e.reason;
  return out;
}

}  // namespace edgelb::cp
