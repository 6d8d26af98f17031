// CSV (RFC 4180) for export and import, sans I/O: the writer appends to a
// string and the reader is fed chunks, so callers own files, pipes and
// buffering. Text is UTF-8; the reader rejects anything else.
//
// Dialect: fields are separated by ',', records end with CRLF (the writer
// always writes CRLF; the reader also accepts a lone LF), a field that holds
// '"', ',', CR or LF is enclosed in '"' and each '"' inside it is doubled.
#ifndef PMAP_CSV_H_
#define PMAP_CSV_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace pmap {

struct CsvOptions {
  // When true, a field that StartsLikeFormula() is written as '\'' + field
  // (always quoted), so that spreadsheets show it as text instead of running
  // it (OWASP "CSV injection"). The reader never removes the quote, so this
  // breaks exact round-trips (a value -1 comes back as '-1): off by default.
  bool neutralize_formulas = false;
};

// True if `field` starts with '=', '+', '-', '@', TAB (0x09) or CR (0x0D).
bool StartsLikeFormula(std::string_view field);

// Appends one record holding `fields`, terminated by CRLF, to *out. A field
// is quoted when it contains '"', ',', CR or LF, starts or ends with a space,
// starts with U+FEFF (which CsvReader skips as a BOM at the start of a file),
// is neutralized (see CsvOptions), or is the only field of the row and empty
// (so a row [""] is written as `""`, never as a blank line). Bytes are copied
// unchanged and not validated: pass UTF-8 for CsvReader to read them back.
// `fields` should not be empty: that writes a blank line, which CsvReader
// skips.
void AppendCsvRow(const std::vector<std::string_view>& fields,
                  const CsvOptions& options, std::string* out);

// Incremental parser. Feed() any number of chunks, split anywhere (inside a
// quoted field, between the two quotes of a doubled quote, inside a CRLF or a
// UTF-8 sequence), then Finish() once. Each complete record is passed to
// on_row as it is recognized, from inside Feed() or Finish(); the first
// record is the header and every later record must have as many fields.
//
// A UTF-8 byte order mark (EF BB BF) at the very start of the input, as
// spreadsheet programs write, is skipped; columns on line 1 count from after
// it.
//
// Blank lines (an empty line between two line breaks) carry no record and are
// skipped; a record of one empty field is written `""`. A last record without
// a line break is accepted. A CR outside quotes must be followed by LF.
//
// Errors are Status::InvalidArgument with a message such as
//   "CSV line 3, column 7: unexpected character 'x' after closing quote".
// Lines are 1-based and counted by LF bytes (also LFs inside quoted fields,
// so they are the lines an editor shows); columns are 1-based BYTE offsets
// within the line, not characters. If on_row returns an error, parsing stops
// and that error is returned. After any error the reader is failed: every
// later Feed() or Finish() returns the same error and emits nothing.
//
// Not thread-safe. Memory grows with the longest record (no limit).
class CsvReader {
 public:
  using RowCallback = std::function<Status(std::vector<std::string>&& row)>;

  CsvReader() = default;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Parses `chunk`, calling on_row for each record it completes.
  Status Feed(std::string_view chunk, const RowCallback& on_row);

  // Ends the input: emits the last record if it had no line break, or fails
  // if the input stops inside a quoted field or a UTF-8 sequence. Call it
  // once; afterwards Feed() and Finish() return InvalidArgument.
  Status Finish(const RowCallback& on_row);

  // The 1-based line on which the record most recently passed to on_row
  // starts (its first byte), 0 before the first record. Valid inside on_row,
  // for messages like "line 12: value is not valid JSON".
  int64_t row_start_line() const { return row_start_line_; }

 private:
  enum class State {
    kFieldStart,     // at the first byte of a field
    kUnquoted,       // inside an unquoted field
    kQuoted,         // inside a quoted field
    kQuoteInQuoted,  // just after a '"' inside a quoted field
    kCarriageReturn  // just after a CR outside quotes; LF must follow
  };

  // Feeds one byte through CheckUtf8 and Step and advances the position.
  Status Consume(unsigned char c, const RowCallback& on_row);
  // The input did not start with a whole BOM: consumes the bytes of one
  // held back so far.
  Status EndStart(const RowCallback& on_row);
  Status Step(unsigned char c, const RowCallback& on_row);
  Status CheckUtf8(unsigned char c);
  Status EndRecord(const RowCallback& on_row);
  Status Fail(int64_t line, int64_t column, const std::string& what);

  State state_ = State::kFieldStart;
  std::vector<std::string> row_;
  std::string field_;
  bool row_started_ = false;  // the current record has a byte besides CR/LF
  int64_t line_ = 1;          // position of the next byte
  int64_t column_ = 1;
  int64_t pending_row_line_ = 0;  // first line of the record being parsed
  int64_t row_start_line_ = 0;    // first line of the last record emitted
  int64_t mark_line_ = 0;         // where the open quote or the CR is
  int64_t mark_column_ = 0;
  size_t expected_fields_ = 0;  // fields in the header; 0 before it

  // UTF-8 validation across chunk boundaries.
  int utf8_needed_ = 0;  // continuation bytes still expected
  unsigned char utf8_lo_ = 0x80, utf8_hi_ = 0xBF;  // range of the next one
  unsigned char utf8_lead_ = 0;
  int64_t utf8_line_ = 0, utf8_column_ = 0;  // where the sequence starts

  static constexpr unsigned char kByteOrderMark[3] = {0xEF, 0xBB, 0xBF};
  bool at_start_ = true;    // no byte but part of a BOM seen yet
  size_t bom_matched_ = 0;  // bytes of a BOM held back

  bool finished_ = false;
  Status error_;  // sticky: once not OK, returned by every call
};

}  // namespace pmap

#endif  // PMAP_CSV_H_
