// Why the pipeline handed a frame to the kernel (exception path) instead of balancing it.
// Stable snake_case names are used in stats JSON and metrics.
#pragma once

#include <cstdint>
#include <string_view>

namespace edgelb {

#define EDGELB_PUNT_REASONS(X)                                                            \
  X(kArp, "arp")                    /* ARP requests and replies */                        \
  X(kLinkScope, "link_scope")       /* broadcast, multicast, IPv6 link-local (ND, ...) */ \
  X(kLocalAddress, "local_address") /* to a host or VIP address, not an L4 service */     \
  X(kL7Vip, "l7_vip")               /* to an L7 VIP (HAProxy frontend) */

enum class PuntReason : uint8_t {
#define EDGELB_PUNT_ENUM(name, text) name,
  EDGELB_PUNT_REASONS(EDGELB_PUNT_ENUM)
#undef EDGELB_PUNT_ENUM
      kCount
};

constexpr size_t kPuntReasonCount = static_cast<size_t>(PuntReason::kCount);

constexpr std::string_view punt_reason_name(PuntReason r) {
  constexpr std::string_view names[] = {
#define EDGELB_PUNT_NAME(name, text) text,
      EDGELB_PUNT_REASONS(EDGELB_PUNT_NAME)
#undef EDGELB_PUNT_NAME
  };
  return static_cast<size_t>(r) < kPuntReasonCount ? names[static_cast<size_t>(r)] : "unknown";
}

}  // namespace edgelb
