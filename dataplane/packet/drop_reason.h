// Why a packet is dropped (VPP's per-node error counters; the packet's fate is its Verdict,
// packet/verdict.h). Each reason has a stable snake_case name used in stats JSON and metrics;
// add new reasons at the end of the list (before kCount). A step that may refuse a packet
// returns MaybeDrop: nullopt when the packet went through.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace edgelb {

#define EDGELB_DROP_REASONS(X)                                                                              \
  X(kL2Truncated, "l2_truncated")  /* frame shorter than its L2 header */                                   \
  X(kVlanTooDeep, "vlan_too_deep") /* more than two 802.1Q/ad tags */                                       \
  X(kNonIp, "non_ip")              /* LLDP, ... (ARP is punted) */                                          \
  X(kIpv4Truncated, "ipv4_truncated")                                                                       \
  X(kIpv4BadVersion, "ipv4_bad_version")                                                                    \
  X(kIpv4BadIhl, "ipv4_bad_ihl")                                                                            \
  X(kIpv4BadTotalLength, "ipv4_bad_total_length")                                                           \
  X(kIpv6Truncated, "ipv6_truncated")                                                                       \
  X(kIpv6BadVersion, "ipv6_bad_version")                                                                    \
  X(kIpv6BadPayloadLength, "ipv6_bad_payload_length")                                                       \
  X(kIpv6ExtHeaderTruncated, "ipv6_ext_header_truncated")                                                   \
  X(kIpv6TooManyExtHeaders, "ipv6_too_many_ext_headers")                                                    \
  X(kTcpBadHeader, "tcp_bad_header")                                                                        \
  X(kUdpBadHeader, "udp_bad_header")                                                                        \
  X(kIcmpTruncated, "icmp_truncated")                                                                       \
  X(kIcmpInnerMalformed, "icmp_inner_malformed") /* too-big to a VIP, bad inner */                          \
  X(kIpFragment, "ip_fragment")                  /* fragments to an L4 VIP service */                       \
  X(kNonVip, "non_vip")                          /* IP not for a VIP or this host */                        \
  X(kNoBackend, "no_backend")                    /* service has no usable backend */                        \
  X(kNoNextHop, "no_next_hop")                   /* backend MAC and gateway unknown */                      \
  X(kNoHeadroom, "no_headroom")                  /* cannot prepend encapsulation */                         \
  X(kEncapTooBig, "encap_too_big")               /* encapsulated packet exceeds MTU */                      \
  X(kTxFull, "tx_full")                          /* NIC TX ring full */                                     \
  X(kNoSnapshot, "no_service_table")             /* no table published yet */                               \
  X(kMultiSegment, "multi_segment")              /* frame spans mbufs: raise forwarding.mtu */              \
  X(kPuntRateLimited, "punt_rate_limited")       /* exception path over its rate */                         \
  X(kNoExceptionPath, "no_exception_path")       /* punt verdict, no kernel port */                         \
  X(kKernelTxFull, "kernel_tx_full")             /* kernel->wire or punt ring full */                       \
  X(kNatPortsExhausted, "nat_ports_exhausted")   /* no free NAT source port */                              \
  X(kNatNoSession, "nat_no_session")             /* reply to a NAT port with no flow */                     \
  X(kHandoffFull, "handoff_full")                /* other worker's hand-off ring full */                    \
  X(kMartianSource, "martian_source")            /* to a VIP from 0/8, 127/8, multicast, ::, ::1, itself */ \
  X(kTtlExceeded, "ttl_exceeded")                /* TTL / hop limit 0 (NAT: 1, it decrements) */            \
  X(kIpv4BadChecksum, "ipv4_bad_checksum")       /* to a VIP with a wrong IPv4 header checksum */           \
  X(kIpv6SegmentsLeft, "ipv6_segments_left")     /* routing header not done: the VIP is a waypoint */       \
  X(kMtuExceeded, "mtu_exceeded")                /* DSR/NAT packet larger than forwarding.mtu */            \
  X(kForeignMac, "foreign_mac")                  /* to another station's MAC; group frame not link-scope */ \
  X(kFragmentTimeout, "fragment_timeout")        /* held for its first fragment, which never came */        \
  X(kNodeDraining, "node_draining")              /* a new flow while the node drains (dpctl drain) */

enum class DropReason : uint8_t {
#define EDGELB_DROP_ENUM(name, text) name,
  EDGELB_DROP_REASONS(EDGELB_DROP_ENUM)
#undef EDGELB_DROP_ENUM
      kCount
};

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

using MaybeDrop = std::optional<DropReason>;

constexpr std::string_view drop_reason_name(DropReason r) {
  constexpr std::string_view names[] = {
#define EDGELB_DROP_NAME(name, text) text,
      EDGELB_DROP_REASONS(EDGELB_DROP_NAME)
#undef EDGELB_DROP_NAME
  };
  return static_cast<size_t>(r) < kDropReasonCount ? names[static_cast<size_t>(r)] : "unknown";
}

}  // namespace edgelb
