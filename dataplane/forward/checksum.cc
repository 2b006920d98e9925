#include "forward/checksum.h"

namespace edgelb {

uint64_t checksum_partial(const uint8_t* data, size_t len, uint64_t sum) {
  while (len >= 2) {
    sum += uint32_t(data[0]) << 8 | data[1];
    data += 2;
    len -= 2;
  }
  if (len) sum += uint32_t(data[0]) << 8;
  return sum;
}

uint16_t checksum_finish(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

}  // namespace edgelb
