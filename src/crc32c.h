// CRC32C (Castagnoli), the checksum of every header and record of the log.
#ifndef PMAP_CRC32C_H_
#define PMAP_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace pmap {
namespace crc32c {

// Returns the CRC32C of concat(A, data[0..n-1]) where init_crc is the CRC32C
// of A. Extend(0, ...) is the CRC of data alone. Uses the SSE4.2 instruction
// when the CPU has it (native x86-64 builds), a portable table otherwise.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

namespace internal {
// The table-driven implementation, exposed so tests can compare it with the
// hardware one on the same machine.
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);
}  // namespace internal

// Masking, as in LevelDB: a CRC stored inside data that is itself
// checksummed (a log stored as a value) would otherwise be easy to confuse.
constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace crc32c
}  // namespace pmap

#endif  // PMAP_CRC32C_H_
