#include "mesos/marathon_id.h"

#include <algorithm>

namespace edgelb::mesos {
namespace {

std::string from_safe_path(std::string_view safe) {
  std::string out = "/";
  for (char c : safe) out.push_back(c == '_' ? '/' : c);
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "<safe>[._]<uuid>": the last '.' or '_' splits; the uuid part must be non-empty.
bool split_legacy(std::string_view id, std::string_view* safe) {
  const size_t sep = id.find_last_of("._");
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == id.size()) return false;
  *safe = id.substr(0, sep);
  return true;
}

// "<uuid>[._]<container>[.<n>]" after the instance marker.
bool instance_tail(std::string_view rest, std::string_view* container) {
  const size_t sep = rest.find_first_of("._");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view tail = rest.substr(sep + 1);
  const size_t dot = tail.find('.');
  if (dot != std::string_view::npos) {
    if (!all_digits(tail.substr(dot + 1))) return false;
    tail = tail.substr(0, dot);
  }
  if (tail.empty()) return false;
  *container = tail;
  return true;
}

}  // namespace

// Written out by hand rather than with std::regex: task ids come off the wire, and backtracking
// regexes over long ids are slow and recurse deeply.
MarathonTaskId parse_marathon_task_id(std::string_view id) {
  MarathonTaskId out;
  size_t best = std::string_view::npos;
  for (std::string_view marker : {std::string_view(".instance-"), std::string_view(".marathon-")}) {
    const size_t pos = id.rfind(marker);
    if (pos == std::string_view::npos || pos == 0) continue;
    std::string_view container;
    if (!instance_tail(id.substr(pos + marker.size()), &container)) continue;
    if (best != std::string_view::npos && pos < best) continue;
    best = pos;
    out.app_id = from_safe_path(id.substr(0, pos));
    out.container_name = (container == "_app" || container == "$anon") ? std::string() : std::string(container);
  }
  if (best != std::string_view::npos) return out;
  std::string_view safe;
  const size_t dot = id.rfind('.');
  if (dot != std::string_view::npos && all_digits(id.substr(dot + 1)) && split_legacy(id.substr(0, dot), &safe)) {
    out.app_id = from_safe_path(safe);  // resident task: <safe>.<uuid>.<n>
    return out;
  }
  if (split_legacy(id, &safe)) out.app_id = from_safe_path(safe);
  return out;
}

}  // namespace edgelb::mesos
