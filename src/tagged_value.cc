#include "tagged_value.h"

#include <cstdint>
#include <set>
#include <string_view>
#include <utility>

#include "value_codec.h"

namespace pmap {
namespace {

using Json = OrderedJson;

// The one member's name if `j` reads as a tag, else an empty view.
std::string_view TagName(const Json& j) {
  if (!j.is_object() || j.size() != 1) return {};
  const std::string& name = j.begin().key();
  if (name.empty() || name[0] != '$') return {};
  return name;
}

// Typed array tags and their element sizes (1 for the byte views).
int ElementSize(std::string_view tag) {
  static const std::pair<const char*, int> kViews[] = {
      {"$bytes", 1},          {"$arraybuffer", 1},    {"$dataview", 1},
      {"$int8array", 1},      {"$uint8clampedarray", 1},
      {"$int16array", 2},     {"$uint16array", 2},    {"$int32array", 4},
      {"$uint32array", 4},    {"$float32array", 4},   {"$float64array", 8},
      {"$bigint64array", 8},  {"$biguint64array", 8},
  };
  for (const auto& [name, size] : kViews) {
    if (tag == name) return size;
  }
  return 0;
}

bool IsIndexName(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s[0] == '0' && s.size() > 1)) return false;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n < 4294967295u;
}

// "-"? then decimal digits without leading zeros, not "-0".
bool IsBigIntText(std::string_view s) {
  const std::string_view digits = !s.empty() && s[0] == '-' ? s.substr(1) : s;
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || s[0] == '-'))) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// A time as Date.prototype.toISOString writes it, within a Date's range.
bool IsIsoTime(std::string_view s) {
  size_t year_digits = 4;
  int64_t sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    year_digits = 6;
  }
  // YYYY-MM-DDTHH:MM:SS.sssZ after the year's digits.
  static constexpr std::string_view kShape = "-00-00T00:00:00.000Z";
  if (s.size() != year_digits + kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char shape = i < year_digits ? '0' : kShape[i - year_digits];
    if (shape == '0' ? (s[i] < '0' || s[i] > '9') : s[i] != shape) return false;
  }
  auto num = [&](size_t at, size_t n) {
    int64_t v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const size_t o = year_digits;
  const int64_t year = sign * num(0, year_digits);
  if (sign < 0 && year == 0) return false;  // -000000 is not a year
  const int64_t month = num(o + 1, 2), day = num(o + 4, 2);
  const int64_t hour = num(o + 7, 2), minute = num(o + 10, 2);
  const int64_t second = num(o + 13, 2), ms = num(o + 16, 3);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1] + (month == 2 && leap)) return false;
  const int64_t t = ((DaysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60000 +
                    second * 1000 + ms;
  return t >= -8640000000000000 && t <= 8640000000000000;
}

bool IsPairList(const Json& j) {
  if (!j.is_array()) return false;
  for (const Json& p : j) {
    if (!p.is_array() || p.size() != 2) return false;
  }
  return true;
}

// Walks tagged JSON, numbering objects as docs/FORMAT.md does.
class TaggedChecker {
 public:
  Status Check(const Json& j) {
    if (!j.is_structured()) return Status::OK();
    const std::string_view tag = TagName(j);
    if (tag.empty()) {
      ++objects_;
      for (const Json& child : j) {
        Status s = Check(child);
        if (!s.ok()) return s;
      }
      return Status::OK();
    }
    return CheckTag(tag, j.begin().value());
  }

 private:
  static Status Bad(std::string_view tag, const std::string& what) {
    return Status::InvalidArgument("tagged value: " + std::string(tag) + " " + what);
  }

  Status CheckPairs(const Json& pairs, bool keys_too) {
    for (const Json& p : pairs) {
      Status s = keys_too ? Check(p[0]) : Status::OK();
      if (s.ok()) s = Check(p[1]);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  Status CheckTag(std::string_view tag, const Json& t) {
    if (tag == "$undefined") return t.is_null() ? Status::OK() : Bad(tag, "needs null");
    if (tag == "$number") {
      const bool ok = t.is_string() && (t == "NaN" || t == "Infinity" || t == "-Infinity" || t == "-0");
      return ok ? Status::OK() : Bad(tag, "needs \"NaN\", \"Infinity\", \"-Infinity\" or \"-0\"");
    }
    if (tag == "$bigint") {
      return t.is_string() && IsBigIntText(t.get_ref<const std::string&>())
                 ? Status::OK()
                 : Bad(tag, "needs decimal digits");
    }
    if (tag == "$ref") {
      const bool ok = t.is_number_unsigned() && t.get<uint64_t>() < objects_;
      return ok ? Status::OK() : Bad(tag, t.dump() + " names no object before it");
    }
    ++objects_;  // every other tag is an object
    if (tag == "$date") {
      const bool ok = t.is_null() || (t.is_string() && IsIsoTime(t.get_ref<const std::string&>()));
      return ok ? Status::OK() : Bad(tag, "needs an ISO 8601 time (as toISOString writes) or null");
    }
    if (tag == "$regexp") {
      bool ok = t.is_array() && t.size() == 2 && t[0].is_string() && t[1].is_string();
      std::set<char> seen;
      for (char c : ok ? t[1].get<std::string>() : std::string()) {
        ok = ok && std::string_view("dgimsuvy").find(c) != std::string_view::npos && seen.insert(c).second;
      }
      return ok ? Status::OK() : Bad(tag, "needs [source, flags] (flags from dgimsuvy, each once)");
    }
    if (tag == "$map") return IsPairList(t) ? CheckPairs(t, true) : Bad(tag, "needs a list of [key, value] pairs");
    if (tag == "$set") {
      if (!t.is_array()) return Bad(tag, "needs a list");
      for (const Json& v : t) {
        Status s = Check(v);
        if (!s.ok()) return s;
      }
      return Status::OK();
    }
    if (tag == "$array") return CheckArray(t);
    if (tag == "$object") {
      if (!IsPairList(t)) return Bad(tag, "needs a list of [name, value] pairs");
      std::set<std::string> names;
      for (const Json& p : t) {
        if (!p[0].is_string() || !names.insert(p[0].get<std::string>()).second) {
          return Bad(tag, "needs distinct string names");
        }
      }
      return CheckPairs(t, false);
    }
    if (tag == "$error") return CheckError(t);
    if (const int size = ElementSize(tag); size > 0) {
      std::string bytes;
      if (!t.is_string() || !Base64Decode(t.get_ref<const std::string&>(), &bytes)) {
        return Bad(tag, "needs base64 text");
      }
      if (bytes.size() % size != 0) return Bad(tag, "holds a byte count that is not a multiple of its element size");
      return Status::OK();
    }
    return Status::InvalidArgument("tagged value: unknown tag " + std::string(tag));
  }

  Status CheckArray(const Json& t) {
    const std::string_view tag = "$array";
    if (!t.is_array() || t.size() != 2 || !t[0].is_number_unsigned() ||
        t[0].get<uint64_t>() >= 4294967296u || !IsPairList(t[1])) {
      return Bad(tag, "needs [length, [[key, value], ...]]");
    }
    const uint64_t length = t[0].get<uint64_t>();
    bool names = false;  // indices come first, ascending, then names
    uint64_t next = 0;
    std::set<std::string> seen;
    for (const Json& p : t[1]) {
      if (p[0].is_number_unsigned() && !names) {
        const uint64_t i = p[0].get<uint64_t>();
        if (i < next || i >= length) return Bad(tag, "needs ascending indices below its length");
        next = i + 1;
      } else if (p[0].is_string()) {
        const std::string& name = p[0].get_ref<const std::string&>();
        if (IsIndexName(name) || name == "length" || !seen.insert(name).second) {
          return Bad(tag, "has a bad property name");
        }
        names = true;
      } else {
        return Bad(tag, "keys are indices, then property names");
      }
    }
    return CheckPairs(t[1], false);
  }

  Status CheckError(const Json& t) {
    const std::string_view tag = "$error";
    static const std::set<std::string> kNames = {"Error",          "EvalError", "RangeError",
                                                 "ReferenceError", "SyntaxError", "TypeError",
                                                 "URIError"};
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
        kNames.count(t["name"].get<std::string>()) == 0) {
      return Bad(tag, "needs the name of a standard error");
    }
    for (const auto& [k, v] : t.items()) {
      if (k != "name" && k != "message" && k != "stack" && k != "cause") return Bad(tag, "has a member " + k);
      if ((k == "message" || k == "stack") && !v.is_string()) return Bad(tag, k + " needs a string");
    }
    return t.contains("cause") ? Check(t["cause"]) : Status::OK();
  }

  uint64_t objects_ = 0;
};

// Rewrites checked tagged JSON to the forms JavaScript writes: a $array
// without holes or names is an array, an $object whose members would not
// read as a tag is an object. With `plain`, every $object becomes an
// object (for a value JSON holds).
Json Canonical(const Json& j, bool plain) {
  if (!j.is_structured()) return j;
  const std::string_view tag = TagName(j);
  if (tag.empty()) {
    Json out = j.is_array() ? Json::array() : Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (j.is_array()) {
        out.push_back(Canonical(*it, plain));
      } else {
        out[it.key()] = Canonical(it.value(), plain);
      }
    }
    return out;
  }
  const Json& t = j.begin().value();
  if (tag == "$object") {
    Json members = Json::object();
    for (const Json& p : t) members[p[0].get<std::string>()] = Canonical(p[1], plain);
    if (plain || TagName(members).empty()) return members;
    return Json{{"$object", Json::array({Json::array({members.begin().key(), members.begin().value()})})}};
  }
  if (tag == "$array") {
    bool dense = t[1].size() == t[0].get<uint64_t>();
    Json items = Json::array();
    Json pairs = Json::array();
    for (const Json& p : t[1]) {
      dense = dense && p[0].is_number_unsigned() && p[0].get<uint64_t>() == items.size();
      items.push_back(Canonical(p[1], plain));
      pairs.push_back(Json::array({p[0], items.back()}));
    }
    if (dense) return items;
    return Json{{"$array", Json::array({t[0], std::move(pairs)})}};
  }
  if (tag == "$map" || tag == "$set" || tag == "$error") {
    Json out = j;
    Json& o = out.begin().value();
    if (tag == "$map") {
      for (Json& p : o) p = Json::array({Canonical(p[0], plain), Canonical(p[1], plain)});
    } else if (tag == "$set") {
      for (Json& v : o) v = Canonical(v, plain);
    } else if (o.contains("cause")) {
      o["cause"] = Canonical(o["cause"], plain);
    }
    return out;
  }
  return j;
}

// True if the value of checked tagged JSON is one JSON holds: its only tags
// are $objects and $arrays without holes or names.
bool HoldsOnlyJson(const Json& j) {
  if (!j.is_structured()) return true;
  const std::string_view tag = TagName(j);
  if (tag.empty()) {
    for (const Json& child : j) {
      if (!HoldsOnlyJson(child)) return false;
    }
    return true;
  }
  const Json& t = j.begin().value();
  if (tag == "$object") {
    for (const Json& p : t) {
      if (!HoldsOnlyJson(p[1])) return false;
    }
    return true;
  }
  if (tag == "$array") {
    if (t[1].size() != t[0].get<uint64_t>()) return false;
    uint64_t i = 0;
    for (const Json& p : t[1]) {
      if (!p[0].is_number_unsigned() || p[0].get<uint64_t>() != i++ || !HoldsOnlyJson(p[1])) return false;
    }
    return true;
  }
  return false;
}

}  // namespace

bool HasTags(const Json& j) {
  if (!j.is_structured()) return false;
  if (!TagName(j).empty()) return true;
  for (const Json& child : j) {
    if (HasTags(child)) return true;
  }
  return false;
}

Status CheckTagged(const Json& tagged) { return TaggedChecker().Check(tagged); }

Json EscapeTagLookalikes(const Json& plain) {
  if (!plain.is_structured()) return plain;
  if (plain.is_array()) {
    Json out = Json::array();
    for (const Json& v : plain) out.push_back(EscapeTagLookalikes(v));
    return out;
  }
  if (!TagName(plain).empty()) {
    const auto it = plain.begin();
    return Json{{"$object", Json::array({Json::array({it.key(), EscapeTagLookalikes(it.value())})})}};
  }
  Json out = Json::object();
  for (auto it = plain.begin(); it != plain.end(); ++it) out[it.key()] = EscapeTagLookalikes(it.value());
  return out;
}

std::string TaggedToStored(const Json& tagged) {
  if (TagName(tagged) == "$bytes") {
    std::string bytes;
    Base64Decode(tagged.begin().value().get_ref<const std::string&>(), &bytes);
    return std::string(1, kBytesTag) + bytes;
  }
  if (HoldsOnlyJson(tagged)) return Canonical(tagged, /*plain=*/true).dump();
  return std::string(1, kTaggedTag) + Canonical(tagged, /*plain=*/false).dump();
}

}  // namespace pmap
