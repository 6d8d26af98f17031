// Tagged JSON text (docs/FORMAT.md, "Value encoding"): the stored form of
// values JSON cannot hold (undefined, NaN, BigInt, Date, Map, Set, typed
// arrays, shared and cyclic references ...), which JavaScript writes and
// the native tools show, check and read back. In tagged JSON text an object
// with exactly one member whose name starts with '$' is a tag.
#ifndef PMAP_TAGGED_VALUE_H_
#define PMAP_TAGGED_VALUE_H_

#include <nlohmann/json.hpp>
#include <string>

#include "status.h"

namespace pmap {

// Object member order is part of tagged text ($ref numbers count objects
// in the order their text begins), so it is kept.
using OrderedJson = nlohmann::ordered_json;

// True if `j` holds an object that reads as a tag (one member, named $...).
bool HasTags(const OrderedJson& j);

// OK if `tagged` is tagged JSON text as docs/FORMAT.md defines it: known
// tags with well-formed operands, every $ref naming an object before it.
// Else InvalidArgument saying what is wrong. `tagged` must nest at most
// kMaxValueDepth deep (value_codec.h).
Status CheckTagged(const OrderedJson& tagged);

// `plain` (a JSON value) as tagged JSON: each object that would read as a
// tag written as {"$object":[[name, value]]}.
OrderedJson EscapeTagLookalikes(const OrderedJson& plain);

// The stored form a writer gives the value of checked tagged JSON: a byte
// string for a top-level $bytes, the JSON text of a value JSON holds (its
// tags are only $objects, $arrays without holes, and so on), else the tag
// byte 0x02 and the compact tagged text, with the forms JavaScript writes
// ($object and $array only where needed).
std::string TaggedToStored(const OrderedJson& tagged);

}  // namespace pmap

#endif  // PMAP_TAGGED_VALUE_H_
