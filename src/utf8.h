// UTF-8 validity (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), for code that must tell text from bytes. The one
// validator of the core; the WebAssembly bindings also take from it the
// UTF-16 length that JavaScript needs to cut strings out of one decode.
#ifndef PMAP_UTF8_H_
#define PMAP_UTF8_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace pmap {

// Whether `s` is valid UTF-8; if it is, *utf16_units (when not null) gets
// the number of UTF-16 code units of its text.
inline bool Utf8ToUtf16Length(std::string_view s, size_t* utf16_units) {
  size_t units = 0;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // ASCII, eight bytes at a time: most keys and JSON texts are ASCII.
    // (memcpy compiles to one load, also in WebAssembly.)
    uint64_t word;
    if (n - i >= 8 && (std::memcpy(&word, s.data() + i, 8),
                       (word & 0x8080808080808080ull) == 0)) {
      units += 8;
      i += 8;
      continue;
    }
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++units;
      ++i;
      continue;
    }
    int extra;
    // The allowed range of the second byte excludes overlong forms,
    // surrogates and code points above U+10FFFF.
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i <= static_cast<size_t>(extra)) return false;
    const auto c1 = static_cast<uint8_t>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (int k = 2; k <= extra; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    units += extra == 3 ? 2 : 1;  // four bytes: beyond U+FFFF, a pair
    i += extra + 1;
  }
  if (utf16_units != nullptr) *utf16_units = units;
  return true;
}

inline bool IsValidUtf8(std::string_view s) {
  return Utf8ToUtf16Length(s, nullptr);
}

}  // namespace pmap

#endif  // PMAP_UTF8_H_
