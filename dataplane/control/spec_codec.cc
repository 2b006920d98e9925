#include "control/spec_codec.h"

#include <cstdlib>

namespace edgelb {

pb::ForwardingMode encode_mode(ForwardingMode m) {
  switch (m) {
    case ForwardingMode::kDsr: return pb::DSR;
    case ForwardingMode::kIpip: return pb::IPIP;
    case ForwardingMode::kGue: return pb::GUE;
    case ForwardingMode::kL7: return pb::L7;
    case ForwardingMode::kNat: return pb::NAT;
  }
  return pb::FORWARDING_UNSPECIFIED;
}

std::optional<ForwardingMode> decode_mode(int m) {
  switch (m) {
    case pb::FORWARDING_UNSPECIFIED:
    case pb::DSR: return ForwardingMode::kDsr;
    case pb::IPIP: return ForwardingMode::kIpip;
    case pb::GUE: return ForwardingMode::kGue;
    case pb::L7: return ForwardingMode::kL7;
    case pb::NAT: return ForwardingMode::kNat;
  }
  return std::nullopt;
}

pb::BackendState encode_backend_state(BackendState s) {
  switch (s) {
    case BackendState::kUp: return pb::UP;
    case BackendState::kDrain: return pb::DRAIN;
    case BackendState::kDown: return pb::DOWN;
  }
  return pb::BACKEND_STATE_UNSPECIFIED;
}

std::optional<BackendState> decode_backend_state(int s) {
  switch (s) {
    case pb::BACKEND_STATE_UNSPECIFIED:
    case pb::UP: return BackendState::kUp;
    case pb::DRAIN: return BackendState::kDrain;
    case pb::DOWN: return BackendState::kDown;
  }
  return std::nullopt;
}

pb::Protocol encode_protocol(uint8_t p) { return p == 6 ? pb::TCP : p == 17 ? pb::UDP : pb::PROTOCOL_UNSPECIFIED; }

ServiceSpec decode_service(const pb::Service& m, const std::string& p, FieldErrors& errors) {
  auto err = [&](const std::string& field, const std::string& reason) { errors.push_back({p + "." + field, reason}); };
  ServiceSpec s;
  s.name = m.name();
  if (m.name().empty()) err("name", "is required");
  if (auto a = IpAddress::parse(m.vip()))
    s.vip = *a;
  else
    err("vip", "'" + m.vip() + "' is not an IPv4 or IPv6 address");
  if (m.port() < 1 || m.port() > 65535) err("port", "must be 1-65535, got " + std::to_string(m.port()));
  s.port = uint16_t(m.port());
  if (m.protocol() == pb::TCP)
    s.protocol = 6;
  else if (m.protocol() == pb::UDP)
    s.protocol = 17;
  else
    err("protocol", "must be TCP or UDP");
  if (auto mode = decode_mode(m.forwarding()))
    s.mode = *mode;
  else
    err("forwarding", "unknown forwarding mode " + std::to_string(m.forwarding()));
  if (m.gue_port() > 65535) err("gue_port", "must be 0-65535");
  s.gue_port = uint16_t(m.gue_port());
  s.maglev_size = m.maglev_table_size();
  if (m.mss_clamp() > 65535) err("mss_clamp", "must be 0-65535");
  s.mss_clamp = uint16_t(m.mss_clamp());
  for (int j = 0; j < m.backends_size(); ++j) {
    const pb::Backend& b = m.backends(j);
    const std::string bp = "backends[" + std::to_string(j) + "]";
    BackendSpec be;
    if (auto a = IpAddress::parse(b.address()))
      be.address = *a;
    else
      err(bp + ".address", "'" + b.address() + "' is not an IPv4 or IPv6 address");
    if (b.port() > 65535) err(bp + ".port", "must be 0-65535, got " + std::to_string(b.port()));
    be.port = uint16_t(b.port());
    be.weight = b.has_weight() ? b.weight() : 1;
    if (be.weight > 65535) err(bp + ".weight", "must be 0-65535, got " + std::to_string(be.weight));
    if (auto st = decode_backend_state(b.state()))
      be.state = *st;
    else
      err(bp + ".state", "unknown backend state " + std::to_string(b.state()));
    if (!b.mac().empty()) {
      if (auto mac = MacAddress::parse(b.mac()))
        be.mac = *mac;
      else
        err(bp + ".mac", "'" + b.mac() + "' is not a MAC address");
    }
    be.identity = b.id();
    s.backends.push_back(std::move(be));
  }
  return s;
}

TableSpec decode_state(const pb::ServiceState& m, const std::string& p, FieldErrors& errors) {
  TableSpec t;
  t.version = m.version();
  for (int i = 0; i < m.services_size(); ++i)
    t.services.push_back(decode_service(m.services(i), p + ".services[" + std::to_string(i) + "]", errors));
  return t;
}

pb::Service encode_service(const ServiceSpec& s) {
  pb::Service m;
  m.set_name(s.name);
  m.set_vip(s.vip.to_string());
  m.set_port(s.port);
  m.set_protocol(encode_protocol(s.protocol));
  m.set_forwarding(encode_mode(s.mode));
  m.set_gue_port(s.gue_port);
  m.set_maglev_table_size(s.maglev_size);
  m.set_mss_clamp(s.mss_clamp);
  for (const auto& b : s.backends) {
    pb::Backend* o = m.add_backends();
    o->set_address(b.address.to_string());
    o->set_port(b.port);
    o->set_weight(b.weight);
    o->set_state(encode_backend_state(b.state));
    if (b.mac) o->set_mac(b.mac->to_string());
    o->set_id(b.identity);
  }
  return m;
}

pb::ServiceState encode_state(const TableSpec& t) {
  pb::ServiceState m;
  m.set_version(t.version);
  for (const auto& s : t.services) *m.add_services() = encode_service(s);
  return m;
}

FieldErrors request_paths(FieldErrors errors, const std::string& prefix,
                          const std::map<long, std::string>& service_paths) {
  for (auto& e : errors) {
    bool mapped = false;
    if (e.path.compare(0, 9, "services[") == 0) {
      const auto close = e.path.find(']');
      const auto it = close == std::string::npos ? service_paths.end()
                                                 : service_paths.find(std::strtol(e.path.c_str() + 9, nullptr, 10));
      if (it != service_paths.end()) {
        e.path = it->second + e.path.substr(close + 1);
        mapped = true;
      }
    }
    if (!mapped) e.path = prefix + (e.path.empty() ? "" : "." + e.path);
  }
  return errors;
}

}  // namespace edgelb
