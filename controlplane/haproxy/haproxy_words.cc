#include "haproxy/haproxy_words.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>

namespace edgelb::haproxy {
namespace {

bool plain(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '/' || c == ':' || c == '@' || c == '+' ||
         c == '=' || c == ',' || c == '&' || c == '?' || c == '-' || c == '[' || c == ']';
}

}  // namespace

void require_one_line(const std::string& text, const std::string& what) {
  if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    throw std::invalid_argument(what + ": contains a control character");
}

std::string word(const std::string& value) {
  require_one_line(value, "\"" + value + "\"");
  if (!value.empty() && std::all_of(value.begin(), value.end(), [](unsigned char c) { return plain(c); })) return value;
  if (value.find('\'') != std::string::npos)
    throw std::invalid_argument("\"" + value + "\": a single quote cannot be written in haproxy.cfg");
  return "'" + value + "'";
}

std::string regex_literal(const std::string& text) {
  static const std::string kMeta = "\\^$.|?*+()[]{}";
  std::string out;
  for (char c : text) {
    if (kMeta.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string log_format_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

std::string host_port(const std::string& address, uint32_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace edgelb::haproxy
