#include "pool/server_weight.h"

#include <sstream>
#include <vector>

namespace edgelb::cp {

ServerWeight parse_server_weight(const std::string& misc) {
  std::istringstream in(misc);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) tokens.push_back(t);
  ServerWeight out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] != "weight") continue;
    if (i + 1 == tokens.size()) return {std::nullopt, "\"weight\" needs a value (an integer from 0 to 256)"};
    const std::string& v = tokens[++i];
    bool digits = !v.empty();
    for (char c : v) digits = digits && c >= '0' && c <= '9';
    if (!digits) return {std::nullopt, "HAProxy server weight must be an integer from 0 to 256, not \"" + v + "\""};
    if (v.size() > 3 || std::stoul(v) > kMaxServerWeight)
      return {std::nullopt, "HAProxy server weight must be between 0 and 256"};
    out.weight = static_cast<uint32_t>(std::stoul(v));
  }
  return out;
}

}  // namespace edgelb::cp
