// Lower-case hex of a byte string (digests, random ids, key files).
#pragma once

#include <cstddef>
#include <string>

namespace edgelb::cp {

inline std::string to_hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

}  // namespace edgelb::cp
