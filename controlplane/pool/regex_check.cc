#include "pool/regex_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace edgelb::cp {

std::optional<std::string> pcre2_error(const std::string& pattern) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code, &offset,
                                 nullptr);
  if (re) {
    pcre2_code_free(re);
    return std::nullopt;
  }
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return "offset " + std::to_string(offset) + ": " + reinterpret_cast<const char*>(buf);
}

}  // namespace edgelb::cp
