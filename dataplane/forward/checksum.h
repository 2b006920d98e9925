// Internet checksum helpers (RFC 1071). Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgelb {

// One's-complement sum of `len` bytes (big-endian 16-bit words), not folded or inverted.
uint64_t checksum_partial(const uint8_t* data, size_t len, uint64_t sum = 0);
// Folds a partial sum to 16 bits and inverts it: the value to store in a checksum field.
uint16_t checksum_finish(uint64_t sum);
// IPv4 header checksum of a header of `len` bytes whose checksum field is zero.
inline uint16_t ipv4_header_checksum(const uint8_t* hdr, size_t len) {
  return checksum_finish(checksum_partial(hdr, len));
}

// RFC 1624 incremental update: the new checksum field value after `len` bytes (an even
// number, starting on a 16-bit boundary of the checksummed data) changed from old to new.
uint16_t checksum_update(uint16_t check, const uint8_t* old_bytes, const uint8_t* new_bytes, size_t len);

}  // namespace edgelb
