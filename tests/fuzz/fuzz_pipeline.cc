// libFuzzer target: arbitrary bytes through parse -> classify -> conntrack -> Maglev -> forward,
// against a table with DSR, IPIP and GUE services over IPv4 and IPv6. Checks, beyond memory
// safety (ASan/UBSan): a forwarded frame re-parses cleanly, fits its buffer, and never exceeds
// the MTU plus L2 header.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "pipeline/pipeline.h"
#include "service/snapshot_builder.h"

namespace {

using namespace edgelb;

struct World {
  FlowTable flows;
  WorkerStats stats;
  Pipeline pipeline;
  std::unique_ptr<ServiceSnapshot> snap;

  static FlowTableConfig ct() {
    FlowTableConfig c;
    c.capacity = 1024;
    c.syn_flood_threshold = 64;
    return c;
  }
  World() : flows(ct()), stats(16, 64), pipeline(flows, stats) {
    ForwardingGlobals g;
    g.maglev_size = 251;
    g.max_services = 16;
    g.max_backends = 64;
    g.encap_source_v4 = IpPrefix::parse("198.18.254.0/24");
    g.encap_source_v6 = IpPrefix::parse("2001:db8:ffff::/64");
    g.gateway_mac = MacAddress::parse("02:00:00:00:00:fe");
    SnapshotBuilder b(g);
    TableSpec spec;
    spec.version = 1;
    auto add = [&](const char* vip, uint16_t port, uint8_t proto, ForwardingMode mode, std::vector<const char*> bes) {
      ServiceSpec s;
      s.vip = *IpAddress::parse(vip);
      s.port = port;
      s.protocol = proto;
      s.mode = mode;
      for (const char* a : bes) {
        BackendSpec be;
        be.address = *IpAddress::parse(a);
        be.mac = MacAddress::parse("02:00:00:00:02:01");
        s.backends.push_back(be);
      }
      spec.services.push_back(s);
    };
    add("198.18.1.10", 80, 6, ForwardingMode::kDsr, {"198.18.2.1", "198.18.2.2"});
    add("198.18.1.10", 53, 17, ForwardingMode::kGue, {"198.18.3.1", "2001:db8:3::1"});
    add("198.18.1.10", 443, 6, ForwardingMode::kIpip, {"2001:db8:3::2"});
    add("2001:db8:1::10", 80, 6, ForwardingMode::kIpip, {"198.18.3.3", "2001:db8:3::3"});
    add("2001:db8:1::10", 53, 17, ForwardingMode::kGue, {"2001:db8:3::4"});
    add("2001:db8:1::10", 22, 6, ForwardingMode::kDsr, {"2001:db8:2::1"});
    snap = std::move(b.build(spec).snapshot);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  static uint32_t now = 0;
  if (size > 9000) return 0;
  constexpr uint32_t kHeadroom = 128;
  std::vector<uint8_t> buf(kHeadroom + size);
  if (size) std::memcpy(buf.data() + kHeadroom, data, size);
  PacketView v{buf.data() + kHeadroom, uint32_t(size), kHeadroom};
  // Mostly the frame's own destination, so inputs get past the port-MAC check; an odd last
  // source byte keeps a fixed port MAC so that the foreign-MAC drop is fuzzed too.
  MacAddress mac = *MacAddress::parse("02:00:00:00:00:01");
  if (size >= 12 && !(data[11] & 1)) std::memcpy(mac.bytes.data(), data, 6);
  Verdict r = w.pipeline.process(v, w.snap.get(), mac, now += 7);
  if (r == Verdict::kForward) {
    if (v.data < buf.data() || v.data + v.len > buf.data() + buf.size()) __builtin_trap();
    ParsedPacket pp;
    if (parse_packet(v.data, v.len, &pp)) __builtin_trap();                  // emitted a malformed frame
    if (pp.l3_len > w.snap->globals.mtu && v.len != size) __builtin_trap();  // encapsulated beyond MTU
  }
  return 0;
}
