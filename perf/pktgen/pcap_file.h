// A classic pcap capture (libpcap's format, as tcpdump -w and Wireshark's "pcap" write it) read
// whole into memory for edgelb-pktgen --pcap to replay. Not on any hot path: reading fails
// loudly, naming the file and the frame.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgelb::pktgen {

struct PcapFrames {
  std::vector<uint8_t> bytes;     // every frame, back to back
  std::vector<uint32_t> offsets;  // frame i is bytes[offsets[i], offsets[i + 1]); offsets.back() == bytes.size()
  size_t count() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  const uint8_t* frame(size_t i) const { return bytes.data() + offsets[i]; }
  uint32_t length(size_t i) const { return offsets[i + 1] - offsets[i]; }
};

// Reads an Ethernet (link type 1) capture, microsecond or nanosecond, either byte order. Each
// frame must be whole (captured length == original length), 14..max_frame bytes; at most
// max_frames frames and max_bytes in all. Throws std::runtime_error ("FILE: frame N: ...")
// for a pcapng file, another link type, a truncated file or frame, an empty capture, or one
// past the limits.
PcapFrames read_pcap(const std::string& path, uint32_t max_frame, size_t max_frames = 1000000,
                     size_t max_bytes = size_t(512) << 20);

}  // namespace edgelb::pktgen
