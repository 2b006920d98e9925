// Compiles a regular expression the way HAProxy does (PCRE2, no flags) and says why it fails.
// Thread-safe.
#pragma once

#include <optional>
#include <string>

namespace edgelb::cp {

// nullopt when `pattern` compiles; otherwise "offset N: <PCRE2 message>".
std::optional<std::string> pcre2_error(const std::string& pattern);

}  // namespace edgelb::cp
