// libFuzzer harness for the CSV reader and writer. Checks, aborting on a
// mismatch:
//   1. parsing the input whole, split in two at a point derived from the
//      data, and (for small inputs) one byte at a time gives the same rows
//      and the same status;
//   2. rows that parse, re-encoded with AppendCsvRow, parse back equal;
//      encoded with neutralize_formulas, they parse back with "'" prepended
//      exactly to the fields that StartsLikeFormula().
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "csv.h"

namespace {

using Rows = std::vector<std::vector<std::string>>;

struct Result {
  pmap::Status status;
  Rows rows;
};

Result Parse(const std::vector<std::string_view>& chunks) {
  Result r;
  pmap::CsvReader reader;
  auto on_row = [&r](std::vector<std::string>&& row) {
    if (row.empty()) std::abort();  // a record always has a field
    r.rows.push_back(std::move(row));
    return pmap::Status::OK();
  };
  for (std::string_view chunk : chunks) {
    r.status = reader.Feed(chunk, on_row);
    if (!r.status.ok()) return r;
  }
  r.status = reader.Finish(on_row);
  return r;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "csv_fuzz: %s\n", what);
    std::abort();
  }
}

void CheckSame(const Result& a, const Result& b, const char* what) {
  Check(a.status.ToString() == b.status.ToString(), what);
  Check(a.rows == b.rows, what);
}

std::string Encode(const Rows& rows, bool neutralize) {
  pmap::CsvOptions options;
  options.neutralize_formulas = neutralize;
  std::string out;
  for (const auto& row : rows) {
    std::vector<std::string_view> views(row.begin(), row.end());
    pmap::AppendCsvRow(views, options, &out);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Result whole = Parse({input});

  size_t split = 0;
  if (size > 0)
    split = (data[0] * 131u + data[size - 1] * 7u + size) % (size + 1);
  CheckSame(whole, Parse({input.substr(0, split), input.substr(split)}),
            "split parse differs from whole parse");

  if (size <= 512) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < size; ++i) bytes.push_back(input.substr(i, 1));
    CheckSame(whole, Parse(bytes), "byte-at-a-time parse differs");
  }

  if (!whole.status.ok()) {
    Check(whole.status.IsInvalidArgument(), "error is not InvalidArgument");
    Check(whole.status.message().rfind("CSV line ", 0) == 0,
          "error message does not start with 'CSV line '");
    return 0;
  }

  const Result again = Parse({Encode(whole.rows, false)});
  Check(again.status.ok(), "re-encoded rows do not parse");
  Check(again.rows == whole.rows, "re-encoded rows parse differently");

  Rows expected = whole.rows;
  for (auto& row : expected) {
    for (auto& field : row) {
      if (pmap::StartsLikeFormula(field)) field.insert(0, 1, '\'');
    }
  }
  const Result neutral = Parse({Encode(whole.rows, true)});
  Check(neutral.status.ok(), "neutralized rows do not parse");
  Check(neutral.rows == expected, "neutralized rows parse unexpectedly");
  return 0;
}
