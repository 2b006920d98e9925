// The address an apiserver registers under <root>/apiservers/<host>:<port>, where agents and
// operators look it up: what a client must dial, not the machine's name.
//   --advertise host[:port]   used as given (port defaults to the listening port)
//   otherwise                 the --listen host when it is a specific address (127.0.0.1,
//                             198.18.0.2, [2001:db8::2], a name); for a wildcard listen (0.0.0.0,
//                             [::], "") the machine's host name.
// IPv6 hosts come back in brackets ("[2001:db8::2]:7443"). Pure; thread-safe.
#pragma once

#include <string>

namespace edgelb::cp {

struct AdvertisedAddress {
  std::string host;  // as a client dials it (IPv6 in brackets)
  int port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

// Throws std::invalid_argument for an unusable --advertise value (empty host, bad port).
AdvertisedAddress advertised_address(const std::string& advertise, const std::string& listen, int listening_port,
                                     const std::string& hostname);

}  // namespace edgelb::cp
