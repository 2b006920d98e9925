#include "pool/regex_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace edgelb::cp {

std::optional<std::string> pcre2_error(const std::string& pattern) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code, &offset, nullptr);
  if (re) {
    pcre2_code_free(re);
    return std::nullopt;
  }
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return "offset " + std::to_string(offset) + ": " + reinterpret_cast<const char*>(buf);
}

struct Pcre2Pattern::Code {
  pcre2_code* re = nullptr;
  ~Code() { pcre2_code_free(re); }
};

Pcre2Pattern::Pcre2Pattern(const std::string& pattern) : pattern_(pattern), code_(std::make_shared<Code>()) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  code_->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code, &offset, nullptr);
  if (!code_->re) throw std::invalid_argument("invalid pattern \"" + pattern + "\": " + *pcre2_error(pattern));
}

bool Pcre2Pattern::search(std::string_view subject) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->re, nullptr);
  const int rc =
      pcre2_match(code_->re, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  return rc >= 0;
}

}  // namespace edgelb::cp
