#include "config/nic_profile.h"

#include <algorithm>
#include <filesystem>

#include "config/yaml_reader.h"

namespace edgelb {

NicProfile load_nic_profile(const std::string& file) {
  YAML::Node root = load_yaml_file(file);
  FieldErrors errors;
  YamlReader r(errors);
  NicProfile p;
  p.file = file;
  if (r.check_map(root, "",
                  {"name", "drivers", "description", "descriptors", "burst_size", "rss", "offloads", "mempool"})) {
    p.name = r.str(root, "name", "", true).value_or("");
    p.drivers = r.str_list(root, "drivers", "");
    if (p.drivers.empty()) r.error("drivers", "must list at least one driver name");
    p.description = r.str(root, "description", "").value_or("");
    p.burst_size = static_cast<uint16_t>(r.uint(root, "burst_size", "", 1, 64).value_or(32));
    if (const YAML::Node d = root["descriptors"]; d && r.check_map(d, "descriptors", {"rx", "tx"})) {
      p.rx_descriptors = static_cast<uint16_t>(r.uint(d, "rx", "descriptors", 64, 32768).value_or(1024));
      p.tx_descriptors = static_cast<uint16_t>(r.uint(d, "tx", "descriptors", 64, 32768).value_or(1024));
    }
    if (const YAML::Node rss = root["rss"]; rss && r.check_map(rss, "rss", {"key", "hash_fields"})) {
      if (auto key = r.str(rss, "key", "rss")) {
        if (key->size() % 2 || (key->size() != 80 && key->size() != 104)) {
          r.error("rss.key", "must be 40 or 52 bytes of hex (80 or 104 digits)");
        } else {
          for (size_t i = 0; i < key->size(); i += 2) {
            unsigned v;
            if (std::sscanf(key->c_str() + i, "%2x", &v) != 1) {
              r.error("rss.key", "is not hexadecimal");
              break;
            }
            p.rss_key.push_back(static_cast<uint8_t>(v));
          }
        }
      }
      p.rss_hash_fields = r.str_list(rss, "hash_fields", "rss");
    }
    if (const YAML::Node o = root["offloads"]; o && r.check_map(o, "offloads", {"rx", "tx"})) {
      p.rx_offloads = r.str_list(o, "rx", "offloads");
      p.tx_offloads = r.str_list(o, "tx", "offloads");
    }
    if (const YAML::Node m = root["mempool"];
        m && r.check_map(m, "mempool", {"mbufs_per_queue", "cache_size", "data_room"})) {
      p.mbufs_per_queue = static_cast<uint32_t>(r.uint(m, "mbufs_per_queue", "mempool", 512, 1u << 22).value_or(8192));
      p.mempool_cache = static_cast<uint32_t>(r.uint(m, "cache_size", "mempool", 0, 512).value_or(256));
      p.mbuf_data_room = static_cast<uint16_t>(r.uint(m, "data_room", "mempool", 1024, 65535).value_or(2176));
    }
  }
  if (!errors.empty()) throw ConfigError(file, std::move(errors));
  return p;
}

std::vector<NicProfile> load_nic_profiles(const std::string& dir) {
  std::vector<NicProfile> out;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.push_back(load_nic_profile(f));
  return out;
}

const NicProfile* find_profile_for_driver(const std::vector<NicProfile>& profiles, const std::string& driver) {
  for (const auto& p : profiles)
    if (std::find(p.drivers.begin(), p.drivers.end(), driver) != p.drivers.end()) return &p;
  return nullptr;
}

const NicProfile* find_profile_by_name(const std::vector<NicProfile>& profiles, const std::string& name) {
  for (const auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace edgelb
