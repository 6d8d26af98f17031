// What a stored value is under the default codec (docs/FORMAT.md, "Value
// encoding"): text (JSON text, or a tagged value: kTaggedTag, then tagged
// JSON text), a byte string (the tag byte, then the bytes), or neither (raw
// bytes a custom codec or another program wrote). The one place the tags
// are defined and the one classifier every reader uses.
#ifndef PMAP_VALUE_KIND_H_
#define PMAP_VALUE_KIND_H_

#include <cstdint>
#include <string_view>

#include "utf8.h"

namespace pmap {

// The first byte of a stored byte string. JSON text never starts with it.
constexpr char kBytesTag = '\x01';
// The first byte of a stored tagged value (tagged_value.h), which
// JavaScript reads as text: the string "\u0002" + its tagged JSON text.
constexpr char kTaggedTag = '\x02';

// The numbers are part of the WebAssembly bindings' interface (js/core.js).
enum class ValueKind : uint32_t {
  kText = 0,   // valid UTF-8 not starting with kBytesTag (kTaggedTag too)
  kBytes = 1,  // kBytesTag, then the bytes
  kRaw = 2,    // anything else
};

// Classifies `stored`. For kText, *utf16_units (when not null) gets the
// text's length in UTF-16 code units.
inline ValueKind ClassifyValue(std::string_view stored, size_t* utf16_units) {
  if (!stored.empty() && stored[0] == kBytesTag) return ValueKind::kBytes;
  return Utf8ToUtf16Length(stored, utf16_units) ? ValueKind::kText
                                                : ValueKind::kRaw;
}

}  // namespace pmap

#endif  // PMAP_VALUE_KIND_H_
