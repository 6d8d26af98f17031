#include "json_text.h"

#include <vector>

#include "utf8.h"
#include "value_kind.h"

namespace pmap {
namespace {

// A cursor over the text; every method returns false on a syntax error.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : p_(text.data()), end_(p_ + text.size()) {}

  bool AtEnd() const { return p_ == end_; }
  bool Peek(char c) const { return p_ != end_ && *p_ == c; }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  // A string, from its opening quote.
  bool String() {
    if (!Take('"')) return false;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (p_ == end_) return false;
      const char e = *p_++;
      if (e == 'u') {
        for (int i = 0; i < 4; ++i) {
          if (p_ == end_ || !IsHex(*p_++)) return false;
        }
      } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                 e != 'r' && e != 't') {
        return false;
      }
    }
    return false;  // unterminated
  }

  bool Number() {
    Take('-');
    if (Take('0')) {
      // no leading zeros
    } else if (!Digits()) {
      return false;
    }
    if (Take('.') && !Digits()) return false;
    if (Take('e') || Take('E')) {
      if (!Take('+')) Take('-');
      if (!Digits()) return false;
    }
    return true;
  }

  bool Word(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // true, false, null, a number or a string.
  bool Scalar() {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        return String();
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        return Number();
    }
  }

 private:
  static bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  // One or more decimal digits.
  bool Digits() {
    const char *start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  const char *p_;
  const char *end_;
};

}  // namespace

bool IsJsonText(std::string_view text) {
  JsonScanner s(text);
  // The open containers, innermost last: true for an object. A stack
  // rather than recursion, so that deep nesting cannot overflow the stack
  // (JSON.parse accepts any depth).
  std::vector<bool> open;
  for (;;) {
    // A value is expected here.
    s.SkipSpace();
    if (s.Peek('{') || s.Peek('[')) {
      const bool object = s.Take('{');
      if (!object) s.Take('[');
      s.SkipSpace();
      if (!s.Take(object ? '}' : ']')) {
        open.push_back(object);
        if (object && !(s.String() && (s.SkipSpace(), s.Take(':')))) return false;
        continue;
      }
    } else if (!s.Scalar()) {
      return false;
    }
    // A value is complete: close containers until another value follows.
    for (;;) {
      s.SkipSpace();
      if (open.empty()) return s.AtEnd();
      const bool object = open.back();
      if (s.Take(',')) {
        s.SkipSpace();
        if (object && !(s.String() && (s.SkipSpace(), s.Take(':')))) return false;
        break;
      }
      if (!s.Take(object ? '}' : ']')) return false;
      open.pop_back();
    }
  }
}

bool IsDefaultCodecValue(std::string_view stored) {
  if (!stored.empty() && stored[0] == kBytesTag) return true;
  if (!stored.empty() && stored[0] == kTaggedTag) stored.remove_prefix(1);
  return IsValidUtf8(stored) && IsJsonText(stored);
}

}  // namespace pmap
