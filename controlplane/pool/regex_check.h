// Compiles a regular expression the way HAProxy does (PCRE2, no flags) and says why it fails.
// Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace edgelb::cp {

// nullopt when `pattern` compiles; otherwise "offset N: <PCRE2 message>".
std::optional<std::string> pcre2_error(const std::string& pattern);

// A compiled PCRE2 pattern. search() is unanchored, like Go's regexp.MatchString that Edge-LB
// used for its *Pattern selectors; anchor with ^...$ for a whole-string match. Immutable after
// construction; search() is thread-safe (match data per call).
class Pcre2Pattern {
 public:
  explicit Pcre2Pattern(const std::string& pattern);  // throws std::invalid_argument with the reason
  bool search(std::string_view subject) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::string pattern_;
  std::shared_ptr<Code> code_;
};

}  // namespace edgelb::cp
