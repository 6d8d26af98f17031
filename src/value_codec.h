// The default value codec (docs/FORMAT.md, "Value encoding"): how JSON
// values and byte strings are stored as log values, and how a stored value
// (tagged values too, tagged_value.h) is shown as tagged JSON text (the
// CLIs' dump, CSV) and read back.
#ifndef PMAP_VALUE_CODEC_H_
#define PMAP_VALUE_CODEC_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "status.h"
#include "value_kind.h"

namespace pmap {

// The deepest nesting of arrays and objects a value may have ([] is 1 deep,
// [[]] 2). Deeper values are refused, here and by the JavaScript codec, so
// that no reader has to recurse deeper (docs/FORMAT.md, "Value encoding").
constexpr size_t kMaxValueDepth = 1000;

// JSON value -> stored bytes. A binary json value becomes kBytesTag + its bytes;
// anything else its compact JSON text. InvalidArgument if the json holds
// text that is not valid UTF-8 (it could not be read back) or nests deeper
// than kMaxValueDepth; *out is unchanged then.
Status EncodeValue(const nlohmann::json& value, std::string* out);
// Stored bytes -> JSON value. InvalidArgument for a tagged value (a Date,
// Map, undefined ... written by JavaScript), which JSON cannot hold;
// Corruption if the bytes are none of the default codec's forms.
Status DecodeValue(std::string_view stored, nlohmann::json* value);

// Stored bytes -> one line of tagged JSON text (docs/FORMAT.md, "As
// text"): JSON values as stored (objects that would read as tags as
// {"$object":...}), byte strings as {"$bytes":"<base64>"}, tagged values as
// their tagged text, undecodable bytes (a custom codec's) as
// {"$raw":"<base64>"}.
std::string ValueToText(std::string_view stored);
// The inverse of ValueToText for any JSON text a person may write: text
// with tags is checked (tagged_value.h) and stored in the form a writer
// gives that value. Errors (InvalidArgument) name the position in `text`
// or the bad tag; a number beyond the range of a double (1e999) is
// refused. Object members keep their order. A \u escape of a lone UTF-16
// surrogate (which JavaScript strings may hold) is kept: such text is
// stored as written, less the whitespace between tokens, and ValueToText
// shows it as it is; DecodeValue reads each lone surrogate as U+FFFD.
Status TextToValue(std::string_view text, std::string* stored);

std::string Base64Encode(std::string_view bytes);
bool Base64Decode(std::string_view text, std::string* bytes);

}  // namespace pmap

#endif  // PMAP_VALUE_CODEC_H_
