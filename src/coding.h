// Little-endian fixed-width integers and LEB128 varints, the only integer
// encodings the log format uses (docs/FORMAT.md). Byte-by-byte so the result
// never depends on the host's endianness or alignment rules.
#ifndef PMAP_CODING_H_
#define PMAP_CODING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace pmap {

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) |
         (static_cast<uint32_t>(u[3]) << 24);
}

inline uint64_t DecodeFixed64(const char* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) |
         (static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32);
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

// Varints (LEB128): 7 bits per byte, least significant group first, the
// high bit set on every byte but the last.
template <typename T>
inline int VarintLengthOf(T v) {
  int len = 1;
  while (v >= 128) {
    v >>= 7;
    ++len;
  }
  return len;
}

template <typename T>
inline void PutVarintOf(std::string* dst, T v) {
  char buf[10];
  int n = 0;
  while (v >= 128) {
    buf[n++] = static_cast<char>(v | 128);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

// Parses a varint of at most kMaxBytes bytes whose last may hold at most
// kLastByteMax (so that the value fits T) from the front of *input and
// advances it. Returns false, leaving *input unspecified, on a truncated or
// over-long encoding.
template <typename T, int kMaxBytes, unsigned kLastByteMax>
inline bool GetVarintOf(std::string_view* input, T* value) {
  T result = 0;
  for (int shift = 0, i = 0; i < kMaxBytes && i < static_cast<int>(input->size());
       ++i, shift += 7) {
    T byte = static_cast<unsigned char>((*input)[i]);
    if (i == kMaxBytes - 1 && byte > kLastByteMax) return false;  // bits beyond T
    result |= (byte & 127) << shift;
    if ((byte & 128) == 0) {
      *value = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// Number of bytes PutVarint32 writes for `v` (1..5).
inline int VarintLength(uint32_t v) { return VarintLengthOf(v); }
inline void PutVarint32(std::string* dst, uint32_t v) { PutVarintOf(dst, v); }
// At most 5 bytes, value < 2^32.
inline bool GetVarint32(std::string_view* input, uint32_t* value) {
  return GetVarintOf<uint32_t, 5, 0x0f>(input, value);
}

// Number of bytes PutVarint64 writes for `v` (1..10).
inline int VarintLength64(uint64_t v) { return VarintLengthOf(v); }
inline void PutVarint64(std::string* dst, uint64_t v) { PutVarintOf(dst, v); }
// At most 10 bytes, value < 2^64.
inline bool GetVarint64(std::string_view* input, uint64_t* value) {
  return GetVarintOf<uint64_t, 10, 0x01>(input, value);
}

// Parses a varint32 length followed by that many bytes.
inline bool GetLengthPrefixed(std::string_view* input, std::string_view* out) {
  uint32_t len;
  if (!GetVarint32(input, &len) || len > input->size()) return false;
  *out = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace pmap

#endif  // PMAP_CODING_H_
