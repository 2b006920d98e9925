#include "pcap_file.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace edgelb::pktgen {
namespace {

uint32_t u32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

}  // namespace

PcapFrames read_pcap(const std::string& path, uint32_t max_frame, size_t max_frames, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  const auto fail = [&](const std::string& why) { throw std::runtime_error(path + ": " + why); };
  uint8_t hdr[24];
  if (!in.read(reinterpret_cast<char*>(hdr), sizeof hdr)) fail("shorter than a pcap file header");
  uint32_t magic;
  std::memcpy(&magic, hdr, 4);
  bool swap;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
    swap = false;
  else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
    swap = true;
  else if (magic == 0x0a0d0d0a)
    fail("a pcapng file; convert it with: editcap -F pcap IN OUT");
  else
    fail("not a pcap file (magic number)");
  const uint32_t linktype = u32(hdr + 20, swap) & 0x0fffffff;
  if (linktype != 1) fail("link type " + std::to_string(linktype) + ", not Ethernet (1)");
  PcapFrames out;
  out.offsets.push_back(0);
  for (size_t n = 1;; ++n) {
    uint8_t rec[16];
    in.read(reinterpret_cast<char*>(rec), sizeof rec);
    if (in.gcount() == 0 && in.eof()) break;
    const std::string at = "frame " + std::to_string(n) + ": ";
    if (in.gcount() != sizeof rec) fail(at + "record header cut short (truncated file)");
    const uint32_t caplen = u32(rec + 8, swap), len = u32(rec + 12, swap);
    if (caplen != len)
      fail(at + "captured " + std::to_string(caplen) + " of its " + std::to_string(len) +
           " bytes (snap length); replaying it would send another frame");
    if (caplen < 14 || caplen > max_frame)
      fail(at + std::to_string(caplen) + " bytes; frames must be 14.." + std::to_string(max_frame));
    if (out.count() == max_frames) fail(at + "more than " + std::to_string(max_frames) + " frames");
    if (out.bytes.size() + caplen > max_bytes) fail(at + "more than " + std::to_string(max_bytes) + " bytes in all");
    const size_t off = out.bytes.size();
    out.bytes.resize(off + caplen);
    if (!in.read(reinterpret_cast<char*>(out.bytes.data() + off), caplen)) fail(at + "cut short (truncated file)");
    out.offsets.push_back(uint32_t(out.bytes.size()));
  }
  if (out.count() == 0) fail("no frames");
  return out;
}

}  // namespace edgelb::pktgen
