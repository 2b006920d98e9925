#include "api/advertised_address.h"

#include <stdexcept>

namespace edgelb::cp {
namespace {

// Splits "host:port", "[v6]:port", "host" or "[v6]" (port -1 when absent). Bare IPv6 without
// brackets ("2001:db8::2") is a host without a port.
void split_host_port(const std::string& s, std::string* host, int* port) {
  *port = -1;
  std::string rest;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string::npos) throw std::invalid_argument("\"" + s + "\": missing ']'");
    *host = s.substr(0, close + 1);
    rest = s.substr(close + 1);
  } else if (s.find(':') != s.rfind(':')) {
    *host = "[" + s + "]";
  } else {
    const size_t colon = s.find(':');
    *host = s.substr(0, colon);
    if (colon != std::string::npos) rest = s.substr(colon);
  }
  if (rest.empty()) return;
  if (rest.size() < 2 || rest.front() != ':' || rest.find_first_not_of("0123456789", 1) != std::string::npos ||
      rest.size() > 6)
    throw std::invalid_argument("\"" + s + "\": bad port");
  *port = std::stoi(rest.substr(1));
  if (*port > 65535) throw std::invalid_argument("\"" + s + "\": port out of range");
}

bool wildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "[::]" || host == "*"; }

}  // namespace

AdvertisedAddress advertised_address(const std::string& advertise, const std::string& listen, int listening_port,
                                     const std::string& hostname) {
  AdvertisedAddress a;
  a.port = listening_port;
  if (!advertise.empty()) {
    int port = -1;
    split_host_port(advertise, &a.host, &port);
    if (a.host.empty() || a.host == "[]")
      throw std::invalid_argument("--advertise \"" + advertise + "\": needs a host");
    if (port == 0) throw std::invalid_argument("--advertise \"" + advertise + "\": port 0 cannot be dialled");
    if (port > 0) a.port = port;
    return a;
  }
  int ignored = -1;
  try {
    split_host_port(listen, &a.host, &ignored);
  } catch (const std::invalid_argument&) {
    a.host.clear();
  }
  if (wildcard(a.host)) a.host = hostname;
  return a;
}

}  // namespace edgelb::cp
