#include "config/dataplane_config.h"

#include "config/yaml_reader.h"
#include "maglev/maglev.h"

namespace edgelb {

namespace {

// One reader per section; each appends its problems (with their paths) to the reader's list.

void read_eal(YamlReader& r, const YAML::Node& e, EalConfig* c) {
  c->file_prefix = r.str(e, "file_prefix", "eal").value_or("");
  c->memory_mb = static_cast<uint32_t>(r.uint(e, "memory_mb", "eal", 64, 1u << 20).value_or(1024));
  if (auto h = r.str(e, "hugepages", "eal")) {
    if (*h == "auto")
      c->hugepages = HugepageMode::kAuto;
    else if (*h == "on" || *h == "true")
      c->hugepages = HugepageMode::kOn;
    else if (*h == "off" || *h == "false")
      c->hugepages = HugepageMode::kOff;
    else
      r.error("eal.hugepages", "must be auto, on or off");
  }
  c->pci_allow = r.str_list(e, "pci_allow", "eal");
  c->main_lcore = static_cast<uint32_t>(r.uint(e, "main_lcore", "eal", 0, 1023).value_or(0));
  c->lcores = r.str(e, "lcores", "eal").value_or("");
  c->extra_args = r.str_list(e, "extra_args", "eal");
  for (const auto& a : c->extra_args)
    if (a.rfind("-a", 0) == 0 || a.rfind("--allow", 0) == 0 || a.rfind("-b", 0) == 0 || a == "--no-pci")
      r.error("eal.extra_args", "'" + a + "': PCI selection belongs in eal.pci_allow");
}

void read_workers(YamlReader& r, const YAML::Node& w, std::vector<uint32_t>* workers) {
  if (!w.IsSequence() || w.size() == 0) {
    r.error("workers", "must be a non-empty list of lcore ids");
    return;
  }
  workers->clear();
  for (size_t i = 0; i < w.size(); ++i) {
    YAML::Node holder;
    holder["v"] = w[i];
    if (auto v = r.uint(holder, "v", "workers[" + std::to_string(i) + "]", 0, 1023))
      workers->push_back(static_cast<uint32_t>(*v));
  }
}

void read_port_exception(YamlReader& r, const YAML::Node& ex, const std::string& ep, size_t index, ExceptionConfig* e) {
  e->enabled = r.boolean(ex, "enabled", ep).value_or(true);
  e->interface = r.str(ex, "interface", ep).value_or("elb" + std::to_string(index));
  if (e->interface.empty() || e->interface.size() > 15) r.error(ep + ".interface", "must be 1-15 characters");
  e->device = r.str(ex, "device", ep).value_or("");
  const auto addrs = r.str_list(ex, "addresses", ep);
  for (size_t k = 0; k < addrs.size(); ++k) {
    auto pf = IpPrefix::parse(addrs[k]);
    if (!pf)
      r.error(ep + ".addresses[" + std::to_string(k) + "]", "'" + addrs[k] + "' is not an address/prefix");
    else
      e->addresses.push_back(*pf);
  }
  const auto gws = r.str_list(ex, "gateways", ep);
  for (size_t k = 0; k < gws.size(); ++k) {
    auto a = IpAddress::parse(gws[k]);
    if (!a)
      r.error(ep + ".gateways[" + std::to_string(k) + "]", "'" + gws[k] + "' is not an IP address");
    else
      e->gateways.push_back(*a);
  }
}

void read_ports(YamlReader& r, const YAML::Node& ports, std::vector<PortConfig>* out) {
  if (!ports.IsSequence()) r.error("ports", "must be a list");
  for (size_t i = 0; ports.IsSequence() && i < ports.size(); ++i) {
    const std::string p = "ports[" + std::to_string(i) + "]";
    if (!r.check_map(ports[i], p, {"device", "mac", "profile", "exception"})) continue;
    PortConfig pc;
    pc.device = r.str(ports[i], "device", p, true).value_or("");
    pc.mac = r.mac(ports[i], "mac", p);
    pc.profile = r.str(ports[i], "profile", p).value_or("auto");
    const std::string ep = p + ".exception";
    if (const YAML::Node ex = ports[i]["exception"];
        ex && r.check_map(ex, ep, {"enabled", "interface", "device", "addresses", "gateways"}))
      read_port_exception(r, ex, ep, i, &pc.exception);
    out->push_back(std::move(pc));
  }
}

void read_conntrack(YamlReader& r, const YAML::Node& ct, FlowTableConfig* c) {
  auto& f = *c;
  f.capacity = r.uint(ct, "capacity", "conntrack", 8, 1ull << 33).value_or(f.capacity);
  f.capacity_v6 = r.uint(ct, "capacity_v6", "conntrack", 0, 1ull << 33).value_or(f.capacity_v6);
  f.tcp_syn_timeout_ms =
      uint32_t(r.uint(ct, "tcp_syn_timeout_ms", "conntrack", 1, 1u << 30).value_or(f.tcp_syn_timeout_ms));
  f.tcp_established_timeout_ms = uint32_t(
      r.uint(ct, "tcp_established_timeout_ms", "conntrack", 1, 1u << 30).value_or(f.tcp_established_timeout_ms));
  f.tcp_closing_timeout_ms =
      uint32_t(r.uint(ct, "tcp_closing_timeout_ms", "conntrack", 1, 1u << 30).value_or(f.tcp_closing_timeout_ms));
  f.udp_timeout_ms = uint32_t(r.uint(ct, "udp_timeout_ms", "conntrack", 1, 1u << 30).value_or(f.udp_timeout_ms));
  f.syn_flood_threshold =
      uint32_t(r.uint(ct, "syn_flood_threshold", "conntrack", 0, UINT32_MAX).value_or(f.syn_flood_threshold));
}

void read_nat(YamlReader& r, const YAML::Node& nat, ForwardingGlobals* g) {
  const std::vector<std::string> pool = r.str_list(nat, "pool", "forwarding.nat");
  for (size_t i = 0; i < pool.size(); ++i) {
    if (auto a = IpAddress::parse(pool[i]))
      g->nat_pool.push_back(*a);
    else
      r.error("forwarding.nat.pool[" + std::to_string(i) + "]", "'" + pool[i] + "' is not an IPv4 or IPv6 address");
  }
  if (g->nat_pool.size() > 16) r.error("forwarding.nat.pool", "at most 16 addresses");
  g->nat_port_min = uint16_t(r.uint(nat, "port_min", "forwarding.nat", 1, 65535).value_or(g->nat_port_min));
  g->nat_port_max = uint16_t(r.uint(nat, "port_max", "forwarding.nat", 1, 65535).value_or(g->nat_port_max));
  if (g->nat_port_min > g->nat_port_max) r.error("forwarding.nat.port_min", "must not exceed port_max");
}

void read_forwarding(YamlReader& r, const YAML::Node& fw, ForwardingGlobals* c) {
  auto& g = *c;
  g.mtu = uint16_t(r.uint(fw, "mtu", "forwarding", 576, 9600).value_or(g.mtu));
  g.icmp_errors_per_s =
      uint32_t(r.uint(fw, "icmp_errors_per_s", "forwarding", 0, 10'000'000).value_or(g.icmp_errors_per_s));
  g.maglev_size = uint32_t(r.uint(fw, "maglev_table_size", "forwarding", 3, 16'777'213).value_or(g.maglev_size));
  if (!MaglevTable::is_prime(g.maglev_size))
    r.error("forwarding.maglev_table_size", std::to_string(g.maglev_size) + " is not prime");
  g.max_services = uint32_t(r.uint(fw, "max_services", "forwarding", 1, 65536).value_or(g.max_services));
  g.max_backends = uint32_t(r.uint(fw, "max_backends", "forwarding", 1, 65536).value_or(g.max_backends));
  g.gue_port = uint16_t(r.uint(fw, "gue_port", "forwarding", 1, 65535).value_or(g.gue_port));
  g.gateway_mac = r.mac(fw, "gateway_mac", "forwarding");
  g.removed_backend_grace_ms = uint32_t(
      r.uint(fw, "removed_backend_grace_ms", "forwarding", 0, 86'400'000).value_or(g.removed_backend_grace_ms));
  if (const YAML::Node en = fw["encap"];
      en && r.check_map(en, "forwarding.encap", {"ipv4_source_prefix", "ipv6_source_prefix"})) {
    g.encap_source_v4 = r.prefix(en, "ipv4_source_prefix", "forwarding.encap");
    g.encap_source_v6 = r.prefix(en, "ipv6_source_prefix", "forwarding.encap");
    if (g.encap_source_v4 && !g.encap_source_v4->address.is_v4())
      r.error("forwarding.encap.ipv4_source_prefix", "must be an IPv4 prefix");
    if (g.encap_source_v6 && !g.encap_source_v6->address.is_v6())
      r.error("forwarding.encap.ipv6_source_prefix", "must be an IPv6 prefix");
  }
  if (const YAML::Node nat = fw["nat"]; nat && r.check_map(nat, "forwarding.nat", {"pool", "port_min", "port_max"}))
    read_nat(r, nat, &g);
}

void read_exception_path(YamlReader& r, const YAML::Node& ep, ExceptionPathConfig* c) {
  auto& e = *c;
  e.punt_rate_pps = r.uint(ep, "punt_rate_pps", "exception_path", 0, 1ull << 32).value_or(e.punt_rate_pps);
  e.punt_burst = r.uint(ep, "punt_burst", "exception_path", 1, 1u << 20).value_or(e.punt_burst);
  e.vip_addresses = r.boolean(ep, "vip_addresses", "exception_path").value_or(e.vip_addresses);
  e.stop_delay_ms = uint32_t(r.uint(ep, "stop_delay_ms", "exception_path", 0, 10000).value_or(e.stop_delay_ms));
}

}  // namespace

DataplaneConfig parse_dataplane_config(const YAML::Node& root, FieldErrors& errors) {
  YamlReader r(errors);
  DataplaneConfig c;
  if (!r.check_map(root, "",
                   {"eal", "workers", "ports", "nic_profiles_dir", "conntrack", "forwarding", "services_file", "stats",
                    "run", "exception_path", "metrics", "control"}))
    return c;
  if (const YAML::Node e = root["eal"];
      e && r.check_map(e, "eal",
                       {"file_prefix", "memory_mb", "hugepages", "pci_allow", "main_lcore", "lcores", "extra_args"}))
    read_eal(r, e, &c.eal);
  if (const YAML::Node w = root["workers"]) read_workers(r, w, &c.workers);
  if (const YAML::Node ports = root["ports"]) read_ports(r, ports, &c.ports);
  c.nic_profiles_dir = r.str(root, "nic_profiles_dir", "").value_or("");
  if (const YAML::Node ct = root["conntrack"];
      ct && r.check_map(ct, "conntrack",
                        {"capacity", "capacity_v6", "tcp_syn_timeout_ms", "tcp_established_timeout_ms",
                         "tcp_closing_timeout_ms", "udp_timeout_ms", "syn_flood_threshold"}))
    read_conntrack(r, ct, &c.conntrack);
  if (const YAML::Node fw = root["forwarding"];
      fw && r.check_map(fw, "forwarding",
                        {"mtu", "maglev_table_size", "max_services", "max_backends", "gue_port", "gateway_mac", "encap",
                         "removed_backend_grace_ms", "nat", "icmp_errors_per_s"}))
    read_forwarding(r, fw, &c.forwarding);
  if (const YAML::Node ep = root["exception_path"];
      ep && r.check_map(ep, "exception_path", {"punt_rate_pps", "punt_burst", "vip_addresses", "stop_delay_ms"}))
    read_exception_path(r, ep, &c.exception_path);
  for (const auto& p : c.ports)
    for (const auto& a : p.exception.addresses) c.forwarding.local_addresses.push_back(a.address);
  if (const YAML::Node m = root["metrics"]; m && r.check_map(m, "metrics", {"listen"}))
    c.metrics_listen = r.str(m, "listen", "metrics").value_or("");
  if (const YAML::Node ctl = root["control"]; ctl && r.check_map(ctl, "control", {"socket"}))
    c.control_socket = r.str(ctl, "socket", "control").value_or("");
  c.services_file = r.str(root, "services_file", "").value_or("");
  if (const YAML::Node st = root["stats"]; st && r.check_map(st, "stats", {"interval_s", "json_file"})) {
    c.stats_interval_s = uint32_t(r.uint(st, "interval_s", "stats", 0, 86400).value_or(0));
    c.stats_json = r.str(st, "json_file", "stats").value_or("");
  }
  if (const YAML::Node run = root["run"]; run && r.check_map(run, "run", {"until_idle_ms", "duration_s"})) {
    c.until_idle_ms = uint32_t(r.uint(run, "until_idle_ms", "run", 0, 1u << 30).value_or(0));
    c.duration_s = uint32_t(r.uint(run, "duration_s", "run", 0, 1u << 30).value_or(0));
  }
  return c;
}

DataplaneConfig load_dataplane_config(const std::string& file) {
  YAML::Node root = load_yaml_file(file);
  FieldErrors errors;
  DataplaneConfig c = parse_dataplane_config(root, errors);
  if (!errors.empty()) throw ConfigError(file, std::move(errors));
  return c;
}

}  // namespace edgelb
