// Every reason the dataplane can drop a packet for. Each has a stable snake_case name used in
// stats JSON and metrics; add new ones at the end of the list (before kCount).
#pragma once

#include <cstdint>
#include <string_view>

namespace edgelb {

#define EDGELB_DROP_REASONS(X)                                                      \
  X(kNone, "none")                                                                  \
  X(kL2Truncated, "l2_truncated")              /* frame shorter than its L2 header */ \
  X(kVlanTooDeep, "vlan_too_deep")             /* more than two 802.1Q/ad tags */    \
  X(kNonIp, "non_ip")                          /* ARP, LLDP, ... (punted later) */   \
  X(kIpv4Truncated, "ipv4_truncated")                                               \
  X(kIpv4BadVersion, "ipv4_bad_version")                                            \
  X(kIpv4BadIhl, "ipv4_bad_ihl")                                                    \
  X(kIpv4BadTotalLength, "ipv4_bad_total_length")                                   \
  X(kIpv6Truncated, "ipv6_truncated")                                               \
  X(kIpv6BadVersion, "ipv6_bad_version")                                            \
  X(kIpv6BadPayloadLength, "ipv6_bad_payload_length")                               \
  X(kIpv6ExtHeaderTruncated, "ipv6_ext_header_truncated")                           \
  X(kIpv6TooManyExtHeaders, "ipv6_too_many_ext_headers")                            \
  X(kTcpBadHeader, "tcp_bad_header")                                                \
  X(kUdpBadHeader, "udp_bad_header")                                                \
  X(kIcmpTruncated, "icmp_truncated")                                               \
  X(kIcmpInnerMalformed, "icmp_inner_malformed") /* too-big to a VIP, bad inner */  \
  X(kIpFragment, "ip_fragment")                /* fragments to a VIP (punted later) */\
  X(kNonVip, "non_vip")                        /* IP not addressed to a VIP */      \
  X(kVipUnhandled, "vip_unhandled")            /* VIP address, no such port/proto */ \
  X(kNoBackend, "no_backend")                  /* service has no usable backend */   \
  X(kNoNextHop, "no_next_hop")                 /* backend MAC and gateway unknown */ \
  X(kNoHeadroom, "no_headroom")                /* cannot prepend encapsulation */    \
  X(kEncapTooBig, "encap_too_big")             /* encapsulated packet exceeds MTU */ \
  X(kTxFull, "tx_full")                        /* NIC TX ring full */               \
  X(kNoSnapshot, "no_service_table")           /* no table published yet */       \
  X(kMultiSegment, "multi_segment")            /* chained mbuf (jumbo), unsupported */

enum class DropReason : uint8_t {
#define EDGELB_DROP_ENUM(name, text) name,
  EDGELB_DROP_REASONS(EDGELB_DROP_ENUM)
#undef EDGELB_DROP_ENUM
      kCount
};

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

constexpr std::string_view drop_reason_name(DropReason r) {
  constexpr std::string_view names[] = {
#define EDGELB_DROP_NAME(name, text) text,
      EDGELB_DROP_REASONS(EDGELB_DROP_NAME)
#undef EDGELB_DROP_NAME
  };
  return static_cast<size_t>(r) < kDropReasonCount ? names[static_cast<size_t>(r)] : "unknown";
}

}  // namespace edgelb
