#include "value_codec.h"

#include <utility>
#include <vector>

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
bool SpecialObject(const json& j, const char* name, std::string* b64) {
  if (!j.is_object() || j.size() != 1) return false;
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return false;
  *b64 = it->get<std::string>();
  return true;
}

// True if `value` nests arrays and objects more than `limit` deep. Walks
// with its own stack: the value may be far deeper than the C++ stack allows.
bool NestedDeeperThan(const json& value, size_t limit) {
  std::vector<std::pair<const json*, size_t>> todo = {{&value, 0}};
  while (!todo.empty()) {
    const auto [j, outer] = todo.back();  // outer: enclosing arrays/objects
    todo.pop_back();
    if (!j->is_structured()) continue;
    if (outer + 1 > limit) return true;
    for (const json& child : *j) todo.emplace_back(&child, outer + 1);
  }
  return false;
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
  if (NestedDeeperThan(value, kMaxValueDepth)) {
    return Status::InvalidArgument("value nests arrays and objects more than " +
                                   std::to_string(kMaxValueDepth) +
                                   " levels deep");
  }
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
  json parsed = json::parse(stored, nullptr, /*allow_exceptions=*/false);
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
  if (json::accept(stored)) return std::string(stored);
  return "{\"$raw\":\"" + Base64Encode(stored) + "\"}";
}

Status TextToValue(std::string_view text, std::string* stored) {
  json parsed;
  try {
    parsed = json::parse(text);
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
  if (SpecialObject(parsed, "$bytes", &b64) || SpecialObject(parsed, "$raw", &b64)) {
    std::string bytes;
    if (!Base64Decode(b64, &bytes)) {
      return Status::InvalidArgument("value of \"$bytes\"/\"$raw\" is not valid base64");
    }
    if (parsed.contains("$bytes")) {
      *stored = std::string(1, kBytesTag) + bytes;
    } else {
      *stored = std::move(bytes);
    }
    return Status::OK();
  }
  return EncodeValue(parsed, stored);
}

}  // namespace pmap
