#include "value_codec.h"

#include <utility>
#include <vector>

#include "tagged_value.h"

namespace pmap {
namespace {

using json = nlohmann::json;

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// {"$bytes": "..."} or {"$raw": "..."} with exactly that one member.
bool SpecialObject(const OrderedJson& j, const char* name, std::string* b64) {
  if (!j.is_object() || j.size() != 1) return false;
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return false;
  *b64 = it->get<std::string>();
  return true;
}

// True if `value` nests arrays and objects more than `limit` deep. Walks
// with its own stack: the value may be far deeper than the C++ stack allows.
template <typename Json>
bool NestedDeeperThan(const Json& value, size_t limit) {
  std::vector<std::pair<const Json*, size_t>> todo = {{&value, 0}};
  while (!todo.empty()) {
    const auto [j, outer] = todo.back();  // outer: enclosing arrays/objects
    todo.pop_back();
    if (!j->is_structured()) continue;
    if (outer + 1 > limit) return true;
    for (const Json& child : *j) todo.emplace_back(&child, outer + 1);
  }
  return false;
}

Status TooDeep() {
  return Status::InvalidArgument("value nests arrays and objects more than " +
                                 std::to_string(kMaxValueDepth) + " levels deep");
}

size_t ReplaceLoneSurrogateEscapes(std::string* text);  // below

// Parses JSON text that may escape lone surrogates (read as U+FFFD here).
bool ParseOrdered(std::string_view text, OrderedJson* out) {
  *out = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    std::string replaced(text);
    if (ReplaceLoneSurrogateEscapes(&replaced) > 0) {
      *out = OrderedJson::parse(replaced, nullptr, /*allow_exceptions=*/false);
    }
  }
  return !out->is_discarded();
}

// True if `text` is tagged JSON text that a reader takes.
bool IsTaggedText(std::string_view text) {
  OrderedJson parsed;
  return IsValidUtf8(text) && ParseOrdered(text, &parsed) &&
         !NestedDeeperThan(parsed, kMaxValueDepth) && CheckTagged(parsed).ok();
}

// The code unit of the escape \uXXXX at text[i], or -1 if none is there.
int EscapedUnit(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int unit = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    const char c = text[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

// JSON text may escape a lone UTF-16 surrogate (\ud800, which JavaScript's
// JSON.stringify writes for one), but nlohmann::json refuses it. Rewrites
// each such escape inside a string of *text to \ufffd (same length, so
// byte positions hold) and returns how many it rewrote. Text that is not
// JSON is left for the parser to report.
size_t ReplaceLoneSurrogateEscapes(std::string* text) {
  size_t replaced = 0;
  bool in_string = false;
  for (size_t i = 0; i < text->size(); ++i) {
    const char c = (*text)[i];
    if (c == '"') {
      in_string = !in_string;
    } else if (in_string && c == '\\') {
      const int unit = EscapedUnit(*text, i);
      const int next = EscapedUnit(*text, i + 6);
      if (unit < 0) {
        ++i;  // a two-character escape, such as the one of a quote
      } else if (unit >= 0xD800 && unit <= 0xDBFF && next >= 0xDC00 &&
                 next <= 0xDFFF) {
        i += 11;  // a surrogate pair
      } else {
        if (unit >= 0xD800 && unit <= 0xDFFF) {
          text->replace(i + 2, 4, "fffd");
          ++replaced;
        }
        i += 5;
      }
    }
  }
  return replaced;
}

// `text` without the whitespace between JSON tokens.
std::string WithoutWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(c);
      in_string = c == '"';
    }
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                 (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[n >> 18]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[n >> 18]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 4) {
    int d[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        d[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return false;
        d[k] = Base64Digit(c);
        if (d[k] < 0) return false;
      }
    }
    uint32_t n = (d[0] << 18) | (d[1] << 12) | (d[2] << 6) | d[3];
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

Status EncodeValue(const json& value, std::string* out) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    out->clear();
    out->reserve(bytes.size() + 1);
    out->push_back(kBytesTag);
    out->append(bytes.begin(), bytes.end());
    return Status::OK();
  }
  if (value.is_discarded()) return Status::InvalidArgument("value is not a JSON value");
  if (NestedDeeperThan(value, kMaxValueDepth)) return TooDeep();
  try {
    std::string text = value.dump();
    *out = std::move(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("value cannot be stored: ") + e.what());
  }
  return Status::OK();
}

Status DecodeValue(std::string_view stored, json* value) {
  if (!stored.empty() && stored[0] == kBytesTag) {
    *value = json::binary(std::vector<uint8_t>(stored.begin() + 1, stored.end()));
    return Status::OK();
  }
  if (!stored.empty() && stored[0] == kTaggedTag && IsTaggedText(stored.substr(1))) {
    return Status::InvalidArgument(
        "stored value is a tagged value (such as a Date, Map or undefined, "
        "written by JavaScript), which a JSON value cannot hold; ValueToText "
        "shows it as tagged JSON text");
  }
  json parsed = json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // A lone surrogate has no UTF-8: it becomes U+FFFD, as a lenient
    // decoder would make it.
    std::string replaced(stored);
    if (ReplaceLoneSurrogateEscapes(&replaced) > 0) {
      parsed = json::parse(replaced, nullptr, /*allow_exceptions=*/false);
    }
  }
  if (parsed.is_discarded()) {
    return Status::Corruption("stored value is neither JSON nor bytes (written by a custom codec?)");
  }
  *value = std::move(parsed);
  return Status::OK();
}

std::string ValueToText(std::string_view stored) {
  if (!stored.empty() && stored[0] == kBytesTag) {
    return "{\"$bytes\":\"" + Base64Encode(stored.substr(1)) + "\"}";
  }
  const std::string raw = "{\"$raw\":\"" + Base64Encode(stored) + "\"}";
  if (!stored.empty() && stored[0] == kTaggedTag) {
    return IsTaggedText(stored.substr(1)) ? std::string(stored.substr(1)) : raw;
  }
  if (!json::accept(stored)) {
    std::string replaced(stored);
    if (ReplaceLoneSurrogateEscapes(&replaced) == 0 || !json::accept(replaced)) return raw;
  }
  // JSON text (perhaps with a lone surrogate escaped) is shown as it is,
  // unless an object in it would read as a tag: then as tagged text.
  OrderedJson parsed;
  if (stored.find("\"$") == std::string_view::npos || !ParseOrdered(stored, &parsed) ||
      NestedDeeperThan(parsed, kMaxValueDepth) || !HasTags(parsed)) {
    return std::string(stored);
  }
  return EscapeTagLookalikes(parsed).dump();
}

Status TextToValue(std::string_view text, std::string* stored) {
  std::string checked(text);
  const bool lone_surrogates = ReplaceLoneSurrogateEscapes(&checked) > 0;
  OrderedJson parsed;
  try {
    parsed = OrderedJson::parse(checked);
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("value is not valid JSON (byte " +
                                   std::to_string(e.byte) + "): " + e.what());
  } catch (const json::exception& e) {
    // out_of_range 406: a number literal beyond a double (1e999), which
    // JSON text allows but no reader of the log could hold.
    return Status::InvalidArgument(
        "value has a number out of range (a double holds at most "
        "1.7976931348623157e308): " +
        std::string(e.what()));
  }
  std::string b64;
  if (SpecialObject(parsed, "$raw", &b64)) {
    if (!Base64Decode(b64, stored)) {
      return Status::InvalidArgument("value of \"$raw\" is not valid base64");
    }
    return Status::OK();
  }
  if (NestedDeeperThan(parsed, kMaxValueDepth)) return TooDeep();
  const bool tagged = HasTags(parsed);
  if (tagged) {
    Status s = CheckTagged(parsed);
    if (!s.ok()) return s;
  }
  try {
    // nlohmann::json cannot hold the lone surrogates, so the text itself is
    // stored, as JavaScript keeps such a string, once it passed every check.
    if (lone_surrogates) {
      *stored = (tagged ? std::string(1, kTaggedTag) : std::string()) + WithoutWhitespace(text);
    } else {
      *stored = tagged ? TaggedToStored(parsed) : parsed.dump();
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("value cannot be stored: ") + e.what());
  }
  return Status::OK();
}

}  // namespace pmap
