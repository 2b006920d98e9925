// The frames edgelb-pktgen builds: flow `f` toward a VIP, spoofed SYN-flood frames, latency
// probes, and which flow a returned frame belongs to. Pure functions over caller-owned buffers
// (at least the frame size, up to 1514 bytes); thread-safe.
//
// Every frame carries correct IPv4 header and TCP/UDP checksums (over the IPv4 or IPv6 pseudo
// header), so a kernel on the path (a peer balancer with conntrack, a backend's socket) takes it;
// the payload is zeros but for a probe's trailer, so a checksum costs the headers, not the size.
// Sources come from the benchmarking ranges only: 198.18.128.0/17 and 2001:db8:8000::/33 for
// flows, 198.19.0.0/16 for the flood.
#pragma once

#include <cstdint>

#include "options.h"
#include "packet/ip_address.h"

namespace edgelb::pktgen {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFinAck = 0x11;

// Writes flow `f` toward `v` (frame_size bytes, Ethernet included, at least its headers) into
// `p`; returns the length written.
uint32_t build_frame(uint8_t* p, uint32_t frame_size, const MacAddress& src_mac, const MacAddress& dst_mac,
                     const Vip& v, uint64_t f, uint8_t tcp_flags);

// The n-th spoofed SYN toward `v` (IPv4): from 198.19.0.0/16 and a port, not repeated within 2^32.
uint32_t build_flood_frame(uint8_t* p, uint32_t frame_size, const MacAddress& src_mac, const MacAddress& dst_mac,
                           const Vip& v, uint64_t n);

// Makes a frame build_frame() wrote toward `v` a latency probe: its last 10 bytes carry a marker
// and `tsc`, and the L4 checksum is redone. False (and the frame unchanged) when its headers
// leave no room for them (IPv6 at 64 bytes).
bool stamp_probe(uint8_t* p, uint32_t len, const Vip& v, uint64_t tsc);

// The TSC a returned probe was stamped with, or 0 for any other frame.
uint64_t probe_tsc(const uint8_t* p, uint32_t len);

// The established flow (build_frame()'s numbering) a returned IPv4 frame belongs to, or -1 for
// a flood frame or anything else.
int64_t established_flow(const uint8_t* p, uint32_t len);

}  // namespace edgelb::pktgen
