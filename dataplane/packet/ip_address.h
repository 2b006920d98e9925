// IP addresses and MAC addresses as plain values, shared by the data and control side.
// Thread-safety: immutable values, freely copyable.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace edgelb {

enum class IpFamily : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3]; the rest is zero,
// so two addresses compare equal byte-wise exactly when they are the same address.
struct IpAddress {
  IpFamily family = IpFamily::kNone;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(const uint8_t* b) {
    IpAddress a;
    a.family = IpFamily::kV4;
    std::memcpy(a.bytes.data(), b, 4);
    return a;
  }
  static IpAddress v6(const uint8_t* b) {
    IpAddress a;
    a.family = IpFamily::kV6;
    std::memcpy(a.bytes.data(), b, 16);
    return a;
  }
  // Parses dotted quad or RFC 4291 text; nullopt on anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool is_v4() const { return family == IpFamily::kV4; }
  bool is_v6() const { return family == IpFamily::kV6; }
  bool operator==(const IpAddress&) const = default;
};

// A prefix such as 198.18.254.0/24; used for encapsulation source ranges.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string to_string() const;
  bool contains(const IpAddress& a) const {
    if (a.family != address.family) return false;
    for (unsigned bit = 0; bit < length; bit += 8) {
      const unsigned n = length - bit >= 8 ? 8 : length - bit;
      const uint8_t mask = uint8_t(0xff00u >> n);
      if ((a.bytes[bit / 8] & mask) != (address.bytes[bit / 8] & mask)) return false;
    }
    return true;
  }
  bool operator==(const IpPrefix&) const = default;
};

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  static std::optional<MacAddress> parse(std::string_view text);
  std::string to_string() const;
  bool is_zero() const {
    for (uint8_t b : bytes)
      if (b) return false;
    return true;
  }
  bool operator==(const MacAddress&) const = default;
};

}  // namespace edgelb
