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

uint16_t checksum_update(uint16_t check, const uint8_t* old_bytes, const uint8_t* new_bytes, size_t len) {
  // HC' = ~(~HC + ~m + m') over each 16-bit word m -> m'.
  uint64_t sum = uint16_t(~check);
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += uint16_t(~(uint32_t(old_bytes[i]) << 8 | old_bytes[i + 1]));
    sum += uint32_t(new_bytes[i]) << 8 | new_bytes[i + 1];
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace edgelb
