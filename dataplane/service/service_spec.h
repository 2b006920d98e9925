// The desired service state as the control side describes it (static file today, the agent's
// gRPC pushes later). Plain values; validated and turned into a ServiceSnapshot by
// SnapshotBuilder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpc/field_error.h"

#include "packet/ip_address.h"

namespace edgelb {

// kL7: the VIP is an HAProxy frontend on this host; the dataplane punts its traffic to the
// kernel (no backends here). kNat: full NAT (DNAT to the backend, SNAT to the NAT pool), so
// replies come back through the dataplane (see conntrack/nat_table.h).
enum class ForwardingMode : uint8_t { kDsr, kIpip, kGue, kL7, kNat };
enum class BackendState : uint8_t { kUp, kDrain, kDown };

const char* forwarding_mode_name(ForwardingMode m);
const char* backend_state_name(BackendState s);
std::optional<ForwardingMode> parse_forwarding_mode(const std::string& s);
std::optional<BackendState> parse_backend_state(const std::string& s);

struct BackendSpec {
  IpAddress address;
  uint16_t port = 0;  // 0: same as the VIP port (required for DSR)
  uint32_t weight = 1;
  BackendState state = BackendState::kUp;
  std::optional<MacAddress> mac;  // next-hop MAC on the local segment
  std::string identity;           // Maglev identity; default "<address>:<port>"
  bool operator==(const BackendSpec&) const = default;
};

struct ServiceSpec {
  std::string name;
  IpAddress vip;
  uint16_t port = 0;
  uint8_t protocol = 0;  // 6 (TCP) or 17 (UDP)
  ForwardingMode mode = ForwardingMode::kDsr;
  uint16_t gue_port = 0;     // 0: the global GUE port
  uint32_t maglev_size = 0;  // 0: the global table size
  uint16_t mss_clamp = 0;    // clamp the MSS option of TCP SYNs: NAT both ways, IPIP/GUE the client's; 0: off
  std::vector<BackendSpec> backends;
  bool operator==(const ServiceSpec&) const = default;
};

// Settings shared by all services of a dataplane.
struct ForwardingGlobals {
  std::optional<IpPrefix> encap_source_v4;  // IPIP/GUE outer source range (host bits from hash)
  std::optional<IpPrefix> encap_source_v6;
  uint16_t gue_port = 6080;
  std::optional<MacAddress> gateway_mac;  // next hop for tunnelled backends without a MAC
  // This host's own addresses (the exception interfaces'): traffic to them is punted.
  std::vector<IpAddress> local_addresses;
  uint16_t mtu = 1500;  // largest IP packet the dataplane emits
  // ICMP "too big" errors sent per second per worker (a burst of 1/20 s of them); 0: none.
  uint32_t icmp_errors_per_s = 1000;
  uint32_t maglev_size = 65537;
  uint32_t max_services = 1024;
  uint32_t max_backends = 65536;
  // A backend removed from a service keeps serving the flows it already has (like drain) for
  // this long before its slot is released; 0 moves its flows at once (like down).
  uint32_t removed_backend_grace_ms = 120000;
  // Full NAT (kNat services): source addresses the backends see (at most one pool address
  // per flow; the pool must have one of the VIP's family) and the port range split across
  // workers. Pool addresses are local: other traffic to them is punted.
  std::vector<IpAddress> nat_pool;
  uint16_t nat_port_min = 1024;
  uint16_t nat_port_max = 65535;
};

struct TableSpec {
  uint64_t version = 0;
  std::vector<ServiceSpec> services;
  bool operator==(const TableSpec&) const = default;
};

}  // namespace edgelb
