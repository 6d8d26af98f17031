// JSON text as JavaScript's JSON.parse reads it (ECMA-262 JSON grammar, the
// same as RFC 8259), and whether stored bytes are a value the default codec
// writes (docs/FORMAT.md, "Value encoding"). For a table-shaped store,
// whose rows another program may edit without a checksum to notice, the
// JavaScript map checks every value on open with these (wasm/bindings.cc).
#ifndef PMAP_JSON_TEXT_H_
#define PMAP_JSON_TEXT_H_

#include <string_view>

namespace pmap {

// True if `text` is exactly one JSON value with optional whitespace around
// it. `text` must be valid UTF-8 (see utf8.h). Like JSON.parse: any nesting
// depth, any \uXXXX escape (lone surrogates too), no byte below 0x20 inside
// a string, whitespace only tab, LF, CR and space.
bool IsJsonText(std::string_view text);

// True if `stored` is what the default codec writes: the byte-string tag
// 0x01 followed by any bytes, or valid UTF-8 that is JSON text, or the
// tagged-value tag 0x02 followed by that. (Whether the tags of a tagged
// value are well formed is checked where the value is read: the
// JavaScript codec, tagged_value.h.)
bool IsDefaultCodecValue(std::string_view stored);

}  // namespace pmap

#endif  // PMAP_JSON_TEXT_H_
