// What the pipeline does with a packet, apart from why it drops one (DropReason): VPP keeps
// its next-node choice (LB_NEXT_*) apart from its error counters the same way.
#pragma once

#include <cstdint>

namespace edgelb {

enum class Verdict : uint8_t {
  kForward,  // rewritten in place: send it on the port it came from
  kPunt,     // the host owns it: hand the unchanged frame to the kernel (counted per PuntReason)
  kHandoff,  // a NAT reply whose session another worker owns: pass it there
  kDrop,     // dropped, and counted under its DropReason
  kHeld,     // a fragment that came before its first: the pipeline keeps the view (see Pipeline)
};

}  // namespace edgelb
