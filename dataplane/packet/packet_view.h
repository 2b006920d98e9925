// A mutable view of one frame in a contiguous buffer with headroom in front of it.
// The pipeline works on this, not on rte_mbuf, so it runs without a NIC (unit tests, fuzzing,
// benchmarks); the DPDK worker maps mbuf data_off/data_len onto it and back.
// Ownership: does not own the buffer. Not thread-safe (one worker owns a packet).
#pragma once

#include <cstdint>

namespace edgelb {

struct PacketView {
  uint8_t* data = nullptr;  // first byte of the frame (Ethernet destination MAC)
  uint32_t len = 0;         // frame length in bytes
  uint32_t headroom = 0;    // writable bytes before `data`
  void* owner = nullptr;    // the caller's handle for the buffer (the worker's rte_mbuf)
  // What the NIC found of the IPv4 header checksum (RTE_MBUF_F_RX_IP_CKSUM_*), when the port
  // has the ipv4_cksum RX offload: the pipeline then trusts it instead of summing the header.
  enum class IpChecksum : uint8_t { kUnknown, kGood, kBad };
  IpChecksum rx_ip_checksum = IpChecksum::kUnknown;

  // Grows the frame at the front by n bytes; false (and no change) without enough headroom.
  bool prepend(uint32_t n) {
    if (n > headroom) return false;
    data -= n;
    len += n;
    headroom -= n;
    return true;
  }
};

// Big-endian loads and stores that never assume alignment.
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Protocol numbers and wire constants used across the dataplane.
namespace wire {
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint32_t kEtherHeaderLen = 14;
constexpr uint32_t kVlanTagLen = 4;
constexpr uint32_t kIpv4HeaderLen = 20;
constexpr uint32_t kIpv6HeaderLen = 40;
constexpr uint32_t kUdpHeaderLen = 8;
constexpr uint32_t kTcpMinHeaderLen = 20;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIpip = 4;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpAck = 0x10;
}  // namespace wire

}  // namespace edgelb
