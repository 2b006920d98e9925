#include "packet/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace edgelb {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char out[INET6_ADDRSTRLEN] = {0};
  if (family == IpFamily::kV4) {  // by hand: glibc formats IPv4 through sprintf (control-update hot spot)
    std::string s;
    s.reserve(15);
    for (int i = 0; i < 4; ++i) {
      if (i) s += '.';
      const unsigned v = bytes[size_t(i)];
      if (v >= 100) s += char('0' + v / 100);
      if (v >= 10) s += char('0' + v / 10 % 10);
      s += char('0' + v % 10);
    }
    return s;
  }
  if (family == IpFamily::kV6)
    inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
  else
    return "none";
  return out;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned len = 0;
  auto rest = text.substr(slash + 1);
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), len);
  if (ec != std::errc() || ptr != rest.data() + rest.size() || rest.empty()) return std::nullopt;
  if (len > (addr->is_v4() ? 32u : 128u)) return std::nullopt;
  return IpPrefix{*addr, static_cast<uint8_t>(len)};
}

std::string IpPrefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress m;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
    unsigned v = 0;
    auto part = text.substr(i * 3, 2);
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + 2, v, 16);
    if (ec != std::errc() || ptr != part.data() + 2) return std::nullopt;
    m.bytes[i] = static_cast<uint8_t>(v);
  }
  return m;
}

std::string MacAddress::to_string() const {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                bytes[5]);
  return out;
}

}  // namespace edgelb
