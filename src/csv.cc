#include "csv.h"

#include <cstdio>
#include <utility>

namespace pmap {

namespace {

bool NeedsQuotes(std::string_view field) {
  if (field.empty()) return false;
  if (field.front() == ' ' || field.back() == ' ') return true;
  // U+FEFF first: at the start of a file a reader would drop it as a BOM.
  if (field.compare(0, 3, "\xEF\xBB\xBF") == 0) return true;
  return field.find_first_of("\",\r\n") != std::string_view::npos;
}

void AppendQuoted(std::string_view prefix, std::string_view field,
                  std::string* out) {
  out->push_back('"');
  out->append(prefix.data(), prefix.size());
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// "'x'" for printable ASCII, "byte 0xC3" otherwise.
std::string Fields(size_t n) {
  return std::to_string(n) + (n == 1 ? " field" : " fields");
}

std::string Describe(unsigned char c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7F) {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "byte 0x%02X", c);
  }
  return buf;
}

}  // namespace

bool StartsLikeFormula(std::string_view field) {
  if (field.empty()) return false;
  switch (field.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void AppendCsvRow(const std::vector<std::string_view>& fields,
                  const CsvOptions& options, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string_view f = fields[i];
    if (i > 0) out->push_back(',');
    if (options.neutralize_formulas && StartsLikeFormula(f)) {
      AppendQuoted("'", f, out);
    } else if (NeedsQuotes(f) || (f.empty() && fields.size() == 1)) {
      AppendQuoted("", f, out);
    } else {
      out->append(f.data(), f.size());
    }
  }
  out->append("\r\n");
}

Status CsvReader::Fail(int64_t line, int64_t column, const std::string& what) {
  error_ =
      Status::InvalidArgument("CSV line " + std::to_string(line) + ", column " +
                              std::to_string(column) + ": " + what);
  return error_;
}

Status CsvReader::Feed(std::string_view chunk, const RowCallback& on_row) {
  if (!error_.ok()) return error_;
  if (finished_) {
    return Status::InvalidArgument("CsvReader::Feed called after Finish");
  }
  for (char ch : chunk) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (at_start_) {
      if (c == kByteOrderMark[bom_matched_]) {
        if (++bom_matched_ == sizeof(kByteOrderMark)) at_start_ = false;
        continue;
      }
      Status s = EndStart(on_row);  // not a BOM: what was held back is text
      if (!s.ok()) return s;
    }
    Status s = Consume(c, on_row);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status CsvReader::EndStart(const RowCallback& on_row) {
  at_start_ = false;
  for (size_t i = 0; i < bom_matched_; ++i) {
    Status s = Consume(kByteOrderMark[i], on_row);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status CsvReader::Consume(unsigned char c, const RowCallback& on_row) {
  Status s = CheckUtf8(c);
  if (s.ok()) s = Step(c, on_row);
  if (!s.ok()) {
    error_ = s;
    return s;
  }
  if (c == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  return Status::OK();
}

Status CsvReader::Finish(const RowCallback& on_row) {
  if (!error_.ok()) return error_;
  if (finished_) {
    return Status::InvalidArgument("CsvReader::Finish called twice");
  }
  finished_ = true;
  if (at_start_) {
    Status s = EndStart(on_row);
    if (!s.ok()) return s;
  }
  if (utf8_needed_ > 0) {
    return Fail(utf8_line_, utf8_column_,
                "truncated UTF-8 sequence starting with " +
                    Describe(utf8_lead_) + " at end of input");
  }
  switch (state_) {
    case State::kQuoted:
      return Fail(line_, column_,
                  "unterminated quoted field starting at line " +
                      std::to_string(mark_line_) + ", column " +
                      std::to_string(mark_column_));
    case State::kCarriageReturn:
      return Fail(mark_line_, mark_column_,
                  "carriage return (CR) not followed by LF outside quotes");
    default: {
      Status s = EndRecord(on_row);
      if (!s.ok()) error_ = s;
      return s;
    }
  }
}

// Validates one byte of UTF-8 (RFC 3629: no overlongs, no surrogates, nothing
// above U+10FFFF). The first byte of a bad sequence is the reported position.
Status CsvReader::CheckUtf8(unsigned char c) {
  if (utf8_needed_ > 0) {
    if (c < utf8_lo_ || c > utf8_hi_) {
      return Fail(
          utf8_line_, utf8_column_,
          "invalid UTF-8 sequence starting with " + Describe(utf8_lead_));
    }
    --utf8_needed_;
    utf8_lo_ = 0x80;
    utf8_hi_ = 0xBF;
    return Status::OK();
  }
  if (c < 0x80) return Status::OK();
  utf8_lo_ = 0x80;
  utf8_hi_ = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    utf8_needed_ = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    utf8_needed_ = 2;
    if (c == 0xE0) utf8_lo_ = 0xA0;  // overlong
    if (c == 0xED) utf8_hi_ = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    utf8_needed_ = 3;
    if (c == 0xF0) utf8_lo_ = 0x90;  // overlong
    if (c == 0xF4) utf8_hi_ = 0x8F;  // above U+10FFFF
  } else {
    return Fail(line_, column_, "invalid UTF-8 (" + Describe(c) + ")");
  }
  utf8_lead_ = c;
  utf8_line_ = line_;
  utf8_column_ = column_;
  return Status::OK();
}

Status CsvReader::Step(unsigned char c, const RowCallback& on_row) {
  switch (state_) {
    case State::kFieldStart:
      if (c == '\n') return EndRecord(on_row);
      if (c == '\r') break;
      if (!row_started_) {
        row_started_ = true;
        pending_row_line_ = line_;
      }
      if (c == '"') {
        mark_line_ = line_;
        mark_column_ = column_;
        state_ = State::kQuoted;
      } else if (c == ',') {
        row_.push_back(std::move(field_));
        field_.clear();
      } else {
        field_.push_back(static_cast<char>(c));
        state_ = State::kUnquoted;
      }
      return Status::OK();
    case State::kUnquoted:
      if (c == '"') {
        return Fail(line_, column_,
                    "quote '\"' inside an unquoted field (enclose the field "
                    "in quotes and double each quote in it)");
      }
      if (c == ',') {
        row_.push_back(std::move(field_));
        field_.clear();
        state_ = State::kFieldStart;
        return Status::OK();
      }
      if (c == '\n') return EndRecord(on_row);
      if (c == '\r') break;
      field_.push_back(static_cast<char>(c));
      return Status::OK();
    case State::kQuoted:
      if (c == '"') {
        state_ = State::kQuoteInQuoted;
      } else {
        field_.push_back(static_cast<char>(c));
      }
      return Status::OK();
    case State::kQuoteInQuoted:
      if (c == '"') {  // a doubled quote stands for one
        field_.push_back('"');
        state_ = State::kQuoted;
        return Status::OK();
      }
      if (c == ',') {
        row_.push_back(std::move(field_));
        field_.clear();
        state_ = State::kFieldStart;
        return Status::OK();
      }
      if (c == '\n') return EndRecord(on_row);
      if (c == '\r') break;
      return Fail(line_, column_,
                  "unexpected character " + Describe(c) +
                      " after closing quote (expected ',' or a line break)");
    case State::kCarriageReturn:
      if (c == '\n') return EndRecord(on_row);
      return Fail(mark_line_, mark_column_,
                  "carriage return (CR) not followed by LF outside quotes");
  }
  // A CR outside quotes: the record ends if LF follows.
  mark_line_ = line_;
  mark_column_ = column_;
  state_ = State::kCarriageReturn;
  return Status::OK();
}

Status CsvReader::EndRecord(const RowCallback& on_row) {
  state_ = State::kFieldStart;
  if (!row_started_) return Status::OK();  // a blank line
  row_started_ = false;
  row_.push_back(std::move(field_));
  field_.clear();
  if (expected_fields_ == 0) {
    expected_fields_ = row_.size();
  } else if (row_.size() != expected_fields_) {
    error_ = Status::InvalidArgument(
        "CSV line " + std::to_string(pending_row_line_) + ": row has " +
        Fields(row_.size()) + " but the header has " +
        std::to_string(expected_fields_));
    return error_;
  }
  row_start_line_ = pending_row_line_;
  Status s = on_row(std::move(row_));
  row_.clear();
  return s;
}

}  // namespace pmap
