// edgelb-pktgen's command line: what to send, how fast, for how long. See main.cc for the usage.
// Thread-safety: plain values, parsed once before the EAL starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet/ip_address.h"

namespace edgelb::pktgen {

struct Vip {
  IpAddress addr;
  uint16_t port = 0;
  uint8_t proto = 6;  // 6 TCP, 17 UDP
};

struct Options {
  std::string port, json, file_prefix;
  MacAddress dst_mac = *MacAddress::parse("02:00:00:00:00:01");
  bool dst_mac_given = false;  // --pcap rewrites destination MACs only when --dst-mac is given
  std::vector<Vip> vips;
  std::string pcap;  // --pcap: replay this capture instead of building frames
  uint64_t flows = 1000, rate_pps = 0;
  uint32_t size = 64, lcore = 0, duration_s = 5, warmup_ms = 0;
  std::vector<uint32_t> sizes{64};  // frame i has sizes[i % sizes.size()] bytes
  double syn_ratio = 0.0, flood_ratio = 0.0;
  uint32_t mix_syn = 0, mix_ack = 0, mix_fin = 0;  // --tcp-mix; all 0: off
  std::vector<uint64_t> rate_steps;                // --rate-steps
  uint64_t latency_every = 0;                      // --latency-every
  bool no_huge = false;
};

// The options, one line each (--help).
extern const char* const kUsage;

// Parses and validates argv; throws std::invalid_argument naming the argument that is wrong.
Options parse_options(int argc, char** argv);

}  // namespace edgelb::pktgen
