// edgelb-pktgen: a bounded DPDK traffic generator in one process.
//
//   edgelb-pktgen --port 'net_memif0,role=server,socket=/run/x.sock' --vip 198.18.1.10:80/tcp
//                 [--vip 2001:db8:1::10:443/udp ...] [--flows 1000000] [--size 64|imix]
//                 [--syn-ratio 0.0 | --tcp-mix S:A:F] [--flood-ratio 0.0]
//                 [--rate-pps 0 | --rate-steps PPS,PPS,...] [--latency-every N] [--duration 10] [--lcore 0]
//                 [--dst-mac MAC] [--json FILE] [--file-prefix NAME] [--no-huge] [--warmup-ms 0]
//   edgelb-pktgen --port ... --pcap FILE [--dst-mac MAC] [--rate-pps 0 | --rate-steps ...] [--duration 10] ...
//
// --port is any DPDK virtual device: net_memif (the benchmarks' link), net_af_xdp or
// net_af_packet on a veth (to drive a kernel peer: every frame has correct checksums), net_pcap.
//
// Sends N distinct flows (source address/port vary) round-robin toward the VIPs, bounded by
// --duration (max 120 s) and optionally paced to --rate-pps (sleeping between bursts), starting
// --warmup-ms after the link came up (the device under test may still be starting); counts
// what comes back on the same port. Prints one progress line per second (stderr) and a JSON
// summary (stdout last line), with the longest time between two receive polls (a generator
// that does not poll lets the returns back up into the device under test).
//
// --size imix: the simple IMIX, 7:4:1 frames of 64, 570 and 1514 bytes (1518, 574 and 68 with
// the FCS the wire adds: the usual 64/570/1518 mix, the largest capped at a 1500-byte MTU),
// interleaved; 353.5 bytes on average. Sizes here exclude the FCS.
//
// --tcp-mix S:A:F: each flow lives through connections of S SYNs, A ACKs and F FIN+ACKs, one
// frame per visit (flows are visited round-robin), so the device under test sees flows open,
// carry data and close. --syn-ratio R instead makes every 1/R-th flow's frames SYNs.
//
// --rate-steps: the duration split evenly into steps, each paced at its rate; the summary gives
// each step's sent, received and loss ("steps"; a return still in flight at a step's end counts
// in the next one).
//
// --latency-every N: every N-th frame is a probe: its last 10 bytes carry a marker and the TSC
// when it was built; a probe that comes back gives a round-trip time through the device under
// test (and the link, and the generator's own wait to poll: a paced run sleeps up to 100 us
// between bursts). The summary's "latency_us" has p50/p99/p999/max over up to 1M probes.
// Frames too short to carry it after their headers (IPv6 at 64 bytes) are not probes.
//
// --pcap FILE: replays a classic pcap capture (Ethernet, whole frames, up to 1M frames / 512 MiB,
// read into memory first) in a loop, frame after frame, at --rate-pps / --rate-steps or at the
// full rate, until --duration ends; each frame goes out byte for byte but for its destination
// MAC, rewritten only when --dst-mac is given. The summary's "pcap" says how many frames and
// whole loops were sent. Frame-building options (--vip, --flows, --size, ...) do not apply.
//
// --flood-ratio R (SYN-flood scenario): that share of the frames are spoofed SYNs toward the
// first VIP (IPv4), each from a source never used before in 198.19.0.0/16 (still in the
// benchmarking range 198.18.0.0/15); the rest are the --flows established flows (ACKs). What
// comes back is split by source, and for every established flow the backend MAC it came back
// with is remembered: the summary counts established packets lost and flows that moved.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frames.h"
#include "options.h"
#include "pcap_file.h"

namespace {

using namespace edgelb;
using namespace edgelb::pktgen;

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-pktgen: %s (--help lists the options)\n", e.what());
    return 2;
  }
  std::vector<std::string> args = {
      argv[0],
      "-l",
      std::to_string(o.lcore),
      "--no-pci",
      "--no-telemetry",
      "--log-level=warning",
      "--vdev",
      o.port,
      "--file-prefix=" + (o.file_prefix.empty() ? "edgelb-pktgen-" + std::to_string(getpid()) : o.file_prefix)};
  if (o.no_huge)
    args.insert(args.end(), {"--no-huge", "-m", "512"});
  else
    args.insert(args.end(), {"-m", "512", "--huge-unlink"});
  std::vector<char*> av;
  for (auto& s : args) av.push_back(s.data());
  if (rte_eal_init(int(av.size()), av.data()) < 0) {
    std::fprintf(stderr, "edgelb-pktgen: rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  int rc = 0;
  nlohmann::json summary;
  try {
    PcapFrames capture;  // --pcap: what to replay
    if (!o.pcap.empty()) capture = read_pcap(o.pcap, RTE_MBUF_DEFAULT_DATAROOM);
    uint16_t port;
    const std::string name = o.port.substr(0, o.port.find(','));
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0) throw std::runtime_error("no port " + name);
    rte_mempool* pool = rte_pktmbuf_pool_create("pktgen", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (!pool) throw std::runtime_error(std::string("mempool: ") + rte_strerror(rte_errno));
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 || rte_eth_rx_queue_setup(port, 0, 1024, 0, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port, 0, 1024, 0, nullptr) != 0 || rte_eth_dev_start(port) != 0)
      throw std::runtime_error("cannot start port " + name);
    rte_ether_addr m;
    rte_eth_macaddr_get(port, &m);
    MacAddress src_mac;
    const MacAddress& dst_mac = o.dst_mac;
    std::copy(m.addr_bytes, m.addr_bytes + 6, src_mac.bytes.begin());

    // Wait (bounded) for the peer to connect.
    const uint64_t hz = rte_get_tsc_hz();
    uint64_t deadline = rte_rdtsc() + 15 * hz;
    rte_eth_link link{};
    do {
      rte_eth_link_get_nowait(port, &link);
      if (link.link_status) break;
      rte_delay_ms(10);
    } while (rte_rdtsc() < deadline && !g_stop);
    if (!link.link_status) throw std::runtime_error("link of " + name + " did not come up within 15 s");
    rte_delay_ms(o.warmup_ms);

    const uint64_t syn_every = o.syn_ratio > 0 ? uint64_t(1.0 / o.syn_ratio) : 0;
    const uint64_t mix_len = o.mix_syn + o.mix_ack + o.mix_fin;
    uint64_t visit = 0;  // how many times every flow has been sent (the --tcp-mix phase)
    // --rate-steps: the step now, where it started, what was sent and received before it.
    size_t step = 0;
    uint64_t step_start = 0, step_sent0 = 0, step_rx0 = 0;
    nlohmann::json steps = nlohmann::json::array();
    uint64_t probes = 0;
    std::vector<uint64_t> rtt_cycles;  // returned probes' round trips, at most 1M kept
    if (o.latency_every) rtt_cycles.reserve(1 << 20);
    const auto take_probe = [&](const rte_mbuf* m) {
      const uint64_t t = probe_tsc(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
      if (t && rtt_cycles.size() < (1u << 20)) rtt_cycles.push_back(rte_rdtsc() - t);
    };
    uint64_t sent = 0, received = 0, rx_bytes = 0, tx_bytes = 0, flow = 0, last_sent = 0, last_rx = 0;
    // SYN flood: per 1000 frames, this many spoofed SYNs; per established flow, its backend.
    const uint64_t flood_per_mille = uint64_t(o.flood_ratio * 1000 + 0.5);
    uint64_t flood_sent = 0, flood_received = 0, est_sent = 0, est_received = 0, est_moved = 0, slot = 0;
    std::vector<uint8_t> backend_seen(flood_per_mille ? o.flows : 0, 0);
    const uint64_t start = rte_rdtsc(), end = start + o.duration_s * hz;
    uint64_t next_report = start + hz;
    uint64_t rate_pps = o.rate_steps.empty() ? o.rate_pps : o.rate_steps[0];
    double ns_per_pkt = rate_pps ? 1e9 / double(rate_pps) : 0;
    const uint64_t step_len = o.rate_steps.empty() ? 0 : (end - start) / o.rate_steps.size();
    step_start = start;
    const auto close_step = [&](uint64_t now) {
      const uint64_t s_sent = sent - step_sent0, s_rx = received - step_rx0;
      steps.push_back({{"rate_pps", rate_pps},
                       {"seconds", double(now - step_start) / double(hz)},
                       {"sent", s_sent},
                       {"received", s_rx},
                       {"tx_mpps", double(s_sent) / (double(now - step_start) / double(hz)) / 1e6},
                       {"loss", s_sent ? double(s_sent - std::min(s_sent, s_rx)) / double(s_sent) : 0.0}});
    };
    rte_mbuf* burst[32];
    rte_mbuf* rx[64];
    const auto account = [&](rte_mbuf** frames, uint16_t r) {
      for (uint16_t i = 0; i < r; ++i) {
        const uint8_t* d = rte_pktmbuf_mtod(frames[i], const uint8_t*);
        const int64_t f = established_flow(d, frames[i]->data_len);
        if (f < 0 || uint64_t(f) >= backend_seen.size()) {
          ++flood_received;
          continue;
        }
        ++est_received;
        const uint8_t be = d[5] ? d[5] : 0xff;  // the backend MAC's last byte (never 0 here)
        if (backend_seen[f] && backend_seen[f] != be) ++est_moved;
        backend_seen[f] = be;
      }
    };
    const std::string what = capture.count()
                                 ? o.pcap + " (" + std::to_string(capture.count()) + " frames, looped)"
                                 : std::to_string(o.vips.size()) + " VIP(s), " + std::to_string(o.flows) + " flows, " +
                                       (o.size ? std::to_string(o.size) : std::string("imix")) + "-byte frames";
    const std::string pace = !o.rate_steps.empty() ? std::to_string(o.rate_steps.size()) + " rate steps"
                             : o.rate_pps          ? std::to_string(o.rate_pps) + " pps"
                                                   : std::string("max rate");
    std::fprintf(stderr, "edgelb-pktgen: %s up, %s, %s, %u s\n", name.c_str(), what.c_str(), pace.c_str(),
                 o.duration_s);
    uint64_t last_poll = start, max_poll_gap = 0;  // the longest time between two receive polls
    while (!g_stop) {
      const uint64_t now = rte_rdtsc();
      if (now >= end) break;
      if (step_len && now - step_start >= step_len && step + 1 < o.rate_steps.size()) {
        close_step(now);
        ++step;
        step_start = now;
        step_sent0 = sent;
        step_rx0 = received;
        rate_pps = o.rate_steps[step];
        ns_per_pkt = 1e9 / double(rate_pps);
      }
      max_poll_gap = std::max(max_poll_gap, now - last_poll);
      last_poll = now;
      uint16_t want = 32;
      if (rate_pps) {
        const double elapsed_ns = double(now - step_start) * 1e9 / double(hz);
        const uint64_t allowed = step_sent0 + uint64_t(elapsed_ns / ns_per_pkt);
        want = allowed > sent ? uint16_t(std::min<uint64_t>(32, allowed - sent)) : 0;
      }
      if (want && rte_pktmbuf_alloc_bulk(pool, burst, want) == 0) {
        for (uint16_t i = 0; i < want; ++i) {
          uint8_t* d = rte_pktmbuf_mtod(burst[i], uint8_t*);
          const uint32_t frame_size = o.sizes[(sent + i) % o.sizes.size()];
          uint32_t len;
          if (capture.count()) {  // --pcap: frame `sent + i` of the loop (frames not sent come again)
            const size_t k = (sent + i) % capture.count();
            len = capture.length(k);
            std::memcpy(d, capture.frame(k), len);
            if (o.dst_mac_given) std::memcpy(d, dst_mac.bytes.data(), 6);
          } else if (flood_per_mille && (slot++ % 1000) < flood_per_mille) {
            len = build_flood_frame(d, frame_size, src_mac, dst_mac, o.vips[0], flood_sent++);
          } else {
            const Vip& v = o.vips[flow % o.vips.size()];
            uint8_t flags = syn_every && (flow % syn_every == 0) ? kSyn : kAck;
            if (mix_len) {
              const uint64_t phase = visit % mix_len;
              flags = phase < o.mix_syn ? kSyn : phase < o.mix_syn + o.mix_ack ? kAck : kFinAck;
            }
            len = build_frame(d, frame_size, src_mac, dst_mac, v, flow, flags);
            if (o.latency_every && (est_sent % o.latency_every) == 0 && stamp_probe(d, len, v, rte_rdtsc())) ++probes;
            ++est_sent;
            if (++flow == o.flows) {
              flow = 0;
              ++visit;
            }
          }
          burst[i]->data_len = uint16_t(len);
          burst[i]->pkt_len = len;
          tx_bytes += len;
        }
        const uint16_t n = rte_eth_tx_burst(port, 0, burst, want);
        sent += n;
        if (n < want) {  // not sent: neither counted as sent nor as lost
          for (uint16_t i = n; i < want; ++i) {
            const uint8_t* d = rte_pktmbuf_mtod(burst[i], const uint8_t*);
            tx_bytes -= burst[i]->pkt_len;
            if (o.latency_every && probe_tsc(d, burst[i]->data_len)) --probes;
            if (capture.count()) continue;
            if (flood_per_mille && established_flow(d, burst[i]->data_len) < 0)
              --flood_sent;
            else
              --est_sent;
          }
          rte_pktmbuf_free_bulk(burst + n, want - n);
        }
      }
      // Receive everything waiting before sending more: returns must not back up into the
      // device under test's TX ring (that would count as its loss).
      uint16_t r;
      do {
        r = rte_eth_rx_burst(port, 0, rx, 64);
        for (uint16_t i = 0; i < r; ++i) {
          rx_bytes += rx[i]->pkt_len;
          if (o.latency_every) take_probe(rx[i]);
        }
        received += r;
        if (flood_per_mille) account(rx, r);
        if (r) rte_pktmbuf_free_bulk(rx, r);
      } while (r == 64);
      if (rate_pps) {
        // Paced: sleep until the next burst is due (at most 100 us) rather than spin. On a
        // machine where the generator shares its CPU (2-CPU benchmark VMs) that CPU goes to the
        // other threads meanwhile, and the scheduler wakes a sleeper promptly, so the generator
        // drains its receive ring before the returns back up into the device under test.
        const double elapsed_ns = double(rte_rdtsc() - step_start) * 1e9 / double(hz);
        const double due_in_ns = double(sent - step_sent0 + 32) * ns_per_pkt - elapsed_ns;
        if (due_in_ns > 20000) {
          const timespec ts{0, long(std::min(due_in_ns, 100000.0))};
          nanosleep(&ts, nullptr);
        }
      }
      if (now >= next_report) {
        std::fprintf(stderr, "edgelb-pktgen: t=%.0fs tx %.3f Mpps rx %.3f Mpps\n", double(now - start) / hz,
                     (sent - last_sent) / 1e6, (received - last_rx) / 1e6);
        last_sent = sent;
        last_rx = received;
        next_report += hz;
      }
    }
    const uint64_t sending_end = rte_rdtsc();
    const double secs = double(sending_end - start) / double(hz);
    // Drain what is still in flight (bounded).
    const uint64_t drain_end = rte_rdtsc() + hz / 2;
    while (rte_rdtsc() < drain_end) {
      const uint16_t r = rte_eth_rx_burst(port, 0, rx, 64);
      for (uint16_t i = 0; i < r; ++i) {
        rx_bytes += rx[i]->pkt_len;
        if (o.latency_every) take_probe(rx[i]);
      }
      received += r;
      if (flood_per_mille) account(rx, r);
      if (r) rte_pktmbuf_free_bulk(rx, r);
    }
    summary = {{"sent", sent},
               {"received", received},
               {"seconds", secs},
               {"frame_bytes", capture.count() ? nlohmann::json("pcap")
                               : o.size        ? nlohmann::json(o.size)
                                               : nlohmann::json("imix")},
               {"tx_bytes", tx_bytes},
               {"avg_frame_bytes", sent ? double(tx_bytes) / double(sent) : 0.0},
               {"flows", capture.count() ? nlohmann::json(nullptr) : nlohmann::json(o.flows)},
               {"tx_mpps", sent / secs / 1e6},
               {"rx_mpps", received / secs / 1e6},
               {"loss", sent ? double(sent - std::min(sent, received)) / double(sent) : 0.0},
               {"rx_bytes", rx_bytes},
               {"max_rx_poll_gap_us", double(max_poll_gap) * 1e6 / double(hz)}};
    if (!o.rate_steps.empty()) {
      close_step(sending_end);  // after the drain: its returns are in
      summary["steps"] = steps;
    }
    if (o.latency_every) {
      std::sort(rtt_cycles.begin(), rtt_cycles.end());
      const auto at = [&](double q) {
        if (rtt_cycles.empty()) return 0.0;
        const size_t i = std::min(rtt_cycles.size() - 1, size_t(q * double(rtt_cycles.size() - 1) + 0.5));
        return double(rtt_cycles[i]) * 1e6 / double(hz);
      };
      summary["latency_us"] = {{"probes_sent", probes}, {"probes_returned", rtt_cycles.size()},
                               {"p50", at(0.5)},        {"p99", at(0.99)},
                               {"p999", at(0.999)},     {"max", at(1.0)}};
    }
    if (capture.count())
      summary["pcap"] = {{"file", o.pcap},
                         {"frames", capture.count()},
                         {"capture_bytes", capture.bytes.size()},
                         {"loops", sent / capture.count()}};
    if (mix_len) summary["tcp_mix"] = {{"syn", o.mix_syn}, {"ack", o.mix_ack}, {"fin", o.mix_fin}};
    if (flood_per_mille)
      summary["syn_flood"] = {{"flood_sent", flood_sent},
                              {"flood_received", flood_received},
                              {"established_sent", est_sent},
                              {"established_received", est_received},
                              {"established_moved", est_moved}};
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgelb-pktgen: %s\n", e.what());
    rc = 1;
  }
  rte_eal_cleanup();
  std::error_code ec;
  if (runtime_dir.find("/dpdk/") != std::string::npos) std::filesystem::remove_all(runtime_dir, ec);
  if (rc == 0) {
    if (!o.json.empty()) std::ofstream(o.json) << summary.dump(2) << "\n";
    std::printf("%s\n", summary.dump().c_str());
  }
  return rc;
}
