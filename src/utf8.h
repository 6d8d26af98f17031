// UTF-8 validity (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), for code that must tell text from bytes.
#ifndef PMAP_UTF8_H_
#define PMAP_UTF8_H_

#include <cstdint>
#include <string_view>

namespace pmap {

inline bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
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
    i += extra + 1;
  }
  return true;
}

}  // namespace pmap

#endif  // PMAP_UTF8_H_
