#include "options.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace edgelb::pktgen {
namespace {

Vip parse_vip(const std::string& s) {
  // ADDR:PORT/PROTO, IPv6 addresses contain ':' so split at the last one.
  auto slash = s.rfind('/');
  auto colon = s.rfind(':', slash);
  if (slash == std::string::npos || colon == std::string::npos)
    throw std::invalid_argument("--vip " + s + ": want ADDR:PORT/tcp|udp");
  auto a = IpAddress::parse(s.substr(0, colon));
  if (!a) throw std::invalid_argument("--vip " + s + ": bad address");
  std::string proto = s.substr(slash + 1);
  if (proto != "tcp" && proto != "udp") throw std::invalid_argument("--vip " + s + ": protocol must be tcp or udp");
  return Vip{*a, uint16_t(std::stoul(s.substr(colon + 1, slash - colon - 1))), uint8_t(proto == "tcp" ? 6 : 17)};
}

// std::stoull and friends accept "12abc" and "-1"; a count must be digits only.
uint64_t number(const std::string& flag, const std::string& v) {
  if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw std::invalid_argument(flag + " " + v + ": want a whole number");
  return std::stoull(v);
}

}  // namespace

const char* const kUsage =
    "usage: edgelb-pktgen --port VDEV (--vip ADDR:PORT/tcp|udp ... | --pcap FILE) [options]\n"
    "  --port VDEV            a DPDK virtual device: net_memif0,..., net_af_xdp0,iface=IF, net_af_packet0,iface=IF\n"
    "  --vip ADDR:PORT/PROTO  send flows toward it (repeatable; IPv4 or IPv6, tcp or udp)\n"
    "  --flows N              distinct flows, sources from 198.18.128.0/17 or 2001:db8:8000::/33 (1000)\n"
    "  --size BYTES|imix      frame size without FCS, 64..1514, or the 7:4:1 IMIX of 64/570/1514 (64)\n"
    "  --tcp-mix S:A:F        each flow sends S SYNs, A ACKs, F FIN+ACKs in turn\n"
    "  --syn-ratio R          every 1/R-th flow sends SYNs\n"
    "  --flood-ratio R        that share of frames are spoofed SYNs from 198.19.0.0/16 (IPv4 first VIP)\n"
    "  --pcap FILE            replay a classic pcap capture in a loop instead of building frames\n"
    "  --rate-pps N           pace to N frames/s (0: full rate)\n"
    "  --rate-steps N,N,...   split --duration into steps, each at its rate\n"
    "  --latency-every N      every N-th frame is a timestamped probe (round trips when they come back)\n"
    "  --duration S           1..120 s (5)\n"
    "  --warmup-ms MS         wait after the link is up, at most 10000 (0)\n"
    "  --dst-mac MAC          destination MAC (02:00:00:00:00:01; with --pcap: rewrite only if given)\n"
    "  --lcore N  --file-prefix NAME  --no-huge  --json FILE\n";

Options parse_options(int argc, char** argv) {
  Options o;
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    given.insert(a);
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port")
      o.port = next();
    else if (a == "--vip")
      o.vips.push_back(parse_vip(next()));
    else if (a == "--pcap")
      o.pcap = next();
    else if (a == "--flows")
      o.flows = number(a, next());
    else if (a == "--size") {
      const std::string v = next();
      o.size = v == "imix" ? 0 : uint32_t(std::min<uint64_t>(number(a, v), 1u << 20));
    } else if (a == "--syn-ratio")
      o.syn_ratio = std::stod(next());
    else if (a == "--flood-ratio")
      o.flood_ratio = std::stod(next());
    else if (a == "--rate-pps")
      o.rate_pps = number(a, next());
    else if (a == "--latency-every")
      o.latency_every = number(a, next());
    else if (a == "--rate-steps") {
      const std::string v = next();
      for (size_t b = 0; b <= v.size();) {
        const size_t e = std::min(v.find(',', b), v.size());
        o.rate_steps.push_back(number(a, v.substr(b, e - b)));
        b = e + 1;
      }
    } else if (a == "--tcp-mix") {
      const std::string v = next();
      if (std::sscanf(v.c_str(), "%u:%u:%u", &o.mix_syn, &o.mix_ack, &o.mix_fin) != 3 ||
          o.mix_syn + o.mix_ack + o.mix_fin == 0 || o.mix_syn + o.mix_ack + o.mix_fin > 10000)
        throw std::invalid_argument("--tcp-mix " + v + ": want S:A:F, e.g. 1:8:1");
    } else if (a == "--duration")
      o.duration_s = uint32_t(std::min<uint64_t>(number(a, next()), 1u << 20));
    else if (a == "--lcore")
      o.lcore = uint32_t(std::min<uint64_t>(number(a, next()), 1u << 20));
    else if (a == "--dst-mac") {
      const std::string v = next();
      auto mac = MacAddress::parse(v);
      if (!mac) throw std::invalid_argument("--dst-mac " + v + ": want a MAC address like 02:00:00:00:00:01");
      o.dst_mac = *mac;
      o.dst_mac_given = true;
    } else if (a == "--json")
      o.json = next();
    else if (a == "--file-prefix")
      o.file_prefix = next();
    else if (a == "--no-huge")
      o.no_huge = true;
    else if (a == "--warmup-ms")
      o.warmup_ms = uint32_t(std::min<uint64_t>(number(a, next()), 1u << 20));
    else
      throw std::invalid_argument("unknown argument " + a);
  }
  if (o.port.empty()) throw std::invalid_argument("--port is required");
  if (o.pcap.empty() && o.vips.empty()) throw std::invalid_argument("at least one --vip (or --pcap) is required");
  if (!o.pcap.empty())
    for (const char* f : {"--vip", "--flows", "--size", "--syn-ratio", "--tcp-mix", "--flood-ratio", "--latency-every"})
      if (given.count(f))
        throw std::invalid_argument(std::string("--pcap replays the capture's own frames; ") + f +
                                    " builds frames and cannot go with it");
  if (o.duration_s == 0 || o.duration_s > 120)
    throw std::invalid_argument("--duration must be 1..120 s (bounded load)");
  if (o.warmup_ms > 10000) throw std::invalid_argument("--warmup-ms must be at most 10000");
  if (o.flows == 0 || o.flows > (1ull << 26)) throw std::invalid_argument("--flows must be 1..67108864");
  if (o.size == 0)
    o.sizes = {64, 570, 64, 64, 570, 64, 1514, 64, 570, 64, 64, 570};  // 7 x 64, 4 x 570, 1 x 1514
  else if (o.size < 64 || o.size > 1514)
    throw std::invalid_argument("--size must be 64..1514 or imix");
  else
    o.sizes = {o.size};
  if (o.flood_ratio < 0 || o.flood_ratio > 0.99) throw std::invalid_argument("--flood-ratio must be 0..0.99");
  if (o.syn_ratio < 0 || o.syn_ratio > 1) throw std::invalid_argument("--syn-ratio must be 0..1");
  if (!o.rate_steps.empty() && o.rate_pps)
    throw std::invalid_argument("--rate-pps and --rate-steps exclude each other");
  if (o.rate_steps.size() > o.duration_s)
    throw std::invalid_argument("--rate-steps: at most one step per second of --duration");
  for (uint64_t r : o.rate_steps)
    if (r == 0) throw std::invalid_argument("--rate-steps: every step needs a rate above 0");
  if (o.mix_syn + o.mix_ack + o.mix_fin && o.syn_ratio > 0)
    throw std::invalid_argument("--tcp-mix and --syn-ratio exclude each other");
  if (o.flood_ratio > 0 && !o.vips[0].addr.is_v4())
    throw std::invalid_argument("--flood-ratio needs an IPv4 first --vip");
  return o;
}

}  // namespace edgelb::pktgen
