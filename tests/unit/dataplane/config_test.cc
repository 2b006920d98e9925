#include <gtest/gtest.h>

#include <fstream>

#include "config/dataplane_config.h"
#include "config/nic_profile.h"
#include "config/service_file.h"
#include "config/yaml_reader.h"

namespace edgelb {
namespace {

std::set<std::string> paths_of(const std::string& yaml) {
  FieldErrors errors;
  parse_service_table(YAML::Load(yaml), errors);
  std::set<std::string> p;
  for (auto& e : errors) p.insert(e.path);
  return p;
}

TEST(ServiceFile, ParsesAllFields) {
  FieldErrors errors;
  auto spec = parse_service_table(YAML::Load(R"(
version: 9
services:
  - name: web
    vip: 2001:db8:1::10
    port: 443
    protocol: tcp
    forwarding: gue
    gue_port: 7000
    maglev_table_size: 251
    backends:
      - {address: 2001:db8:3::1, weight: 3, state: drain, mac: "02:00:00:00:02:01", id: b1}
      - {address: 198.18.3.2, port: 443}
)"),
                                  errors);
  ASSERT_TRUE(errors.empty()) << errors[0].path << errors[0].reason;
  ASSERT_EQ(spec.services.size(), 1u);
  const auto& s = spec.services[0];
  EXPECT_EQ(spec.version, 9u);
  EXPECT_EQ(s.mode, ForwardingMode::kGue);
  EXPECT_EQ(s.gue_port, 7000);
  EXPECT_EQ(s.maglev_size, 251u);
  EXPECT_EQ(s.backends[0].weight, 3u);
  EXPECT_EQ(s.backends[0].state, BackendState::kDrain);
  EXPECT_EQ(s.backends[0].identity, "b1");
  EXPECT_EQ(s.backends[1].port, 443);
}

TEST(ServiceFile, EveryErrorHasItsPath) {
  auto p = paths_of(R"(
services:
  - vip: 300.1.1.1
    port: 70000
    protocol: sctp
    forwarding: nat64
    colour: blue
    backends:
      - {address: nope, weight: -1, state: sleepy, mac: "zz"}
      - port: 5
)");
  for (const char* want :
       {"services[0].vip", "services[0].port", "services[0].protocol", "services[0].forwarding", "services[0].colour",
        "services[0].backends[0].address", "services[0].backends[0].weight", "services[0].backends[0].state",
        "services[0].backends[0].mac", "services[0].backends[1].address"})
    EXPECT_TRUE(p.count(want)) << want;
}

TEST(ServiceFile, RootMustBeMap) {
  EXPECT_TRUE(paths_of("- 1\n- 2\n").count("(root)"));
  EXPECT_TRUE(paths_of("services: 5\n").count("services"));
}

TEST(ServiceFile, LoadErrorsNameTheFile) {
  const char* path = "/tmp/edgelb_config_test_bad.yaml";
  std::ofstream(path) << "services: [\n";
  try {
    load_service_file(path);
    FAIL() << "must throw";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  std::remove(path);
}

TEST(DataplaneConfig, DefaultsAndOverrides) {
  FieldErrors errors;
  auto c = parse_dataplane_config(YAML::Load(R"(
eal: {file_prefix: t1, memory_mb: 256, hugepages: "off"}
workers: [1, 2]
ports: [{device: "net_null0", mac: "02:00:00:00:00:01"}]
conntrack: {capacity: 1000, capacity_v6: 64, syn_flood_threshold: 5}
forwarding: {mtu: 9000, maglev_table_size: 251, encap: {ipv4_source_prefix: 198.18.254.0/24}}
exception_path: {stop_delay_ms: 50}
)"),
                                  errors);
  ASSERT_TRUE(errors.empty()) << errors[0].path << errors[0].reason;
  EXPECT_EQ(c.workers, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(c.eal.hugepages, HugepageMode::kOff);
  EXPECT_EQ(c.conntrack.capacity, 1000u);
  EXPECT_EQ(c.conntrack.capacity_v6, 64u);
  EXPECT_EQ(c.forwarding.mtu, 9000);
  EXPECT_TRUE(c.forwarding.encap_source_v4.has_value());
  EXPECT_FALSE(c.forwarding.encap_source_v6.has_value());
  EXPECT_EQ(c.exception_path.stop_delay_ms, 50u);
  EXPECT_EQ(DataplaneConfig{}.exception_path.stop_delay_ms, 200u);
}

// The config the Debian package installs as /etc/edgelb/dataplane.yaml is a valid one.
TEST(DataplaneConfig, PackagedDefaultLoads) {
  const DataplaneConfig c = load_dataplane_config(EDGELB_SOURCE_DIR "/deploy/etc/dataplane.yaml");
  EXPECT_EQ(c.workers, (std::vector<uint32_t>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(c.eal.main_lcore, 1u);
  EXPECT_EQ(c.eal.hugepages, HugepageMode::kOn);
  EXPECT_EQ(c.eal.pci_allow, (std::vector<std::string>{"0000:3b:00.0", "0000:5e:00.0"}));
  EXPECT_EQ(c.control_socket, "/run/edgelb/dataplane.sock");
  EXPECT_EQ(c.services_file, "/etc/edgelb/services.yaml");
  const TableSpec table = load_service_file(EDGELB_SOURCE_DIR "/deploy/etc/services.yaml");
  EXPECT_TRUE(table.services.empty());
}

TEST(DataplaneConfig, RejectsPciSneakingIn) {
  FieldErrors errors;
  parse_dataplane_config(YAML::Load(R"(
eal: {extra_args: ["-a", "0000:00:03.0"]}
forwarding: {maglev_table_size: 1000, encap: {ipv4_source_prefix: "2001:db8::/64"}}
exception_path: {stop_delay_ms: 60000}
)"),
                         errors);
  std::set<std::string> p;
  for (auto& e : errors) p.insert(e.path);
  EXPECT_TRUE(p.count("eal.extra_args"));
  EXPECT_TRUE(p.count("forwarding.maglev_table_size"));
  EXPECT_TRUE(p.count("forwarding.encap.ipv4_source_prefix"));
  EXPECT_TRUE(p.count("exception_path.stop_delay_ms"));
}

TEST(NicProfiles, ShippedProfilesLoadAndCoverDrivers) {
  auto profiles = load_nic_profiles(EDGELB_SOURCE_DIR "/nic-profiles");
  for (const char* d : {"net_af_packet", "net_af_xdp", "net_tap", "net_memif", "net_pcap", "net_ring", "net_null",
                        "net_virtio", "net_ixgbe", "net_i40e", "net_ice", "mlx5_pci"}) {
    EXPECT_NE(find_profile_for_driver(profiles, d), nullptr) << d;
  }
  for (const auto& p : profiles) {
    EXPECT_FALSE(p.name.empty()) << p.file;
    EXPECT_TRUE(p.rss_key.empty() || p.rss_key.size() == 40 || p.rss_key.size() == 52) << p.file;
  }
}

}  // namespace
}  // namespace edgelb
