#include "config/service_file.h"

#include "config/yaml_reader.h"

namespace edgelb {

TableSpec parse_service_table(const YAML::Node& root, FieldErrors& errors) {
  YamlReader r(errors);
  TableSpec spec;
  if (!r.check_map(root, "", {"version", "services"})) return spec;
  spec.version = r.uint(root, "version", "", 0, UINT64_MAX).value_or(0);
  const YAML::Node services = root["services"];
  if (!services) return spec;
  if (!services.IsSequence()) {
    r.error("services", "must be a list");
    return spec;
  }
  for (size_t i = 0; i < services.size(); ++i) {
    const YAML::Node s = services[i];
    const std::string p = "services[" + std::to_string(i) + "]";
    if (!r.check_map(s, p,
                     {"name", "vip", "port", "protocol", "forwarding", "gue_port", "maglev_table_size", "mss_clamp",
                      "backends"}))
      continue;
    ServiceSpec svc;
    svc.name = r.str(s, "name", p).value_or("");
    if (auto a = r.ip(s, "vip", p, true)) svc.vip = *a;
    svc.port = static_cast<uint16_t>(r.uint(s, "port", p, 1, 65535, true).value_or(0));
    auto proto = r.str(s, "protocol", p, true);
    if (proto) {
      if (*proto == "tcp")
        svc.protocol = 6;
      else if (*proto == "udp")
        svc.protocol = 17;
      else
        r.error(p + ".protocol", "must be tcp or udp, got '" + *proto + "'");
    }
    if (auto m = r.str(s, "forwarding", p)) {
      if (auto mode = parse_forwarding_mode(*m))
        svc.mode = *mode;
      else
        r.error(p + ".forwarding", "must be dsr, ipip, gue, nat or l7, got '" + *m + "'");
    }
    svc.gue_port = static_cast<uint16_t>(r.uint(s, "gue_port", p, 1, 65535).value_or(0));
    svc.maglev_size = static_cast<uint32_t>(r.uint(s, "maglev_table_size", p, 3, 16'777'213).value_or(0));
    svc.mss_clamp = static_cast<uint16_t>(r.uint(s, "mss_clamp", p, 536, 9000).value_or(0));
    const YAML::Node backends = s["backends"];
    if (backends && !backends.IsSequence()) r.error(p + ".backends", "must be a list");
    for (size_t j = 0; backends && backends.IsSequence() && j < backends.size(); ++j) {
      const YAML::Node b = backends[j];
      const std::string bp = p + ".backends[" + std::to_string(j) + "]";
      if (!r.check_map(b, bp, {"address", "port", "weight", "state", "mac", "id"})) continue;
      BackendSpec be;
      if (auto a = r.ip(b, "address", bp, true)) be.address = *a;
      be.port = static_cast<uint16_t>(r.uint(b, "port", bp, 1, 65535).value_or(0));
      be.weight = static_cast<uint32_t>(r.uint(b, "weight", bp, 0, 65535).value_or(1));
      if (auto st = r.str(b, "state", bp)) {
        if (auto state = parse_backend_state(*st))
          be.state = *state;
        else
          r.error(bp + ".state", "must be up, drain or down, got '" + *st + "'");
      }
      be.mac = r.mac(b, "mac", bp);
      be.identity = r.str(b, "id", bp).value_or("");
      svc.backends.push_back(std::move(be));
    }
    spec.services.push_back(std::move(svc));
  }
  return spec;
}

TableSpec load_service_file(const std::string& file) {
  YAML::Node root = load_yaml_file(file);
  FieldErrors errors;
  TableSpec spec = parse_service_table(root, errors);
  if (!errors.empty()) throw ConfigError(file, std::move(errors));
  return spec;
}

}  // namespace edgelb
