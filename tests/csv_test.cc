#include "csv.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace pmap {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Feeds `chunks` then Finish()es; returns the status, rows in *rows.
Status ParseChunks(const std::vector<std::string>& chunks, Rows* rows,
                   std::vector<int64_t>* lines = nullptr) {
  CsvReader reader;
  auto on_row = [&](std::vector<std::string>&& row) {
    rows->push_back(std::move(row));
    if (lines != nullptr) lines->push_back(reader.row_start_line());
    return Status::OK();
  };
  for (const std::string& chunk : chunks) {
    Status s = reader.Feed(chunk, on_row);
    if (!s.ok()) return s;
  }
  return reader.Finish(on_row);
}

Status Parse(const std::string& text, Rows* rows) {
  return ParseChunks({text}, rows);
}

Status ParseByteAtATime(const std::string& text, Rows* rows) {
  std::vector<std::string> chunks;
  for (char c : text) chunks.emplace_back(1, c);
  return ParseChunks(chunks, rows);
}

std::string Encode(const Rows& rows, const CsvOptions& options = {}) {
  std::string out;
  for (const auto& row : rows) {
    std::vector<std::string_view> views(row.begin(), row.end());
    AppendCsvRow(views, options, &out);
  }
  return out;
}

// Parses `text`, expects InvalidArgument with exactly `message`.
void ExpectError(const std::string& text, const std::string& message) {
  Rows rows;
  Status s = Parse(text, &rows);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.message(), message) << "input: " << text;
  Rows rows2;
  Status s2 = ParseByteAtATime(text, &rows2);
  EXPECT_EQ(s2.message(), message) << "byte at a time, input: " << text;
}

const std::vector<std::string>& HostileFields() {
  static const std::vector<std::string> fields = {
      "plain",
      "",
      "say \"hi\"",
      "\"",
      "\"\"",
      "a,b",
      ",",
      "line\rbreak",
      "line\nbreak",
      "line\r\nbreak",
      "\r\n",
      "\n",
      "\r",
      "caf\xC3\xA9 \xE2\x82\xAC \xE4\xB8\xAD",  // é € 中
      "\xF0\x9F\x98\x80 emoji",                 // U+1F600
      " leading",
      "trailing ",
      " ",
      "=1+2",
      "+1",
      "-1",
      "@SUM(A1)",
      "\tTab",
      "=HYPERLINK(\"http://x\",\"y\")",
      "'already",
      std::string("nul\0byte", 8),
  };
  return fields;
}

TEST(CsvTest, HostileFieldsRoundTripByteExactWithNeutralizeOff) {
  Rows rows;
  for (const std::string& f : HostileFields()) {
    rows.push_back({f, "k"});
    rows.push_back({"k", f});
  }
  Rows back;
  ASSERT_TRUE(Parse(Encode(rows), &back).ok());
  EXPECT_EQ(back, rows);
}

TEST(CsvTest, EveryHostileFieldRoundTripsAsASingleFieldRow) {
  for (const std::string& f : HostileFields()) {
    Rows rows = {{f}};
    Rows back;
    ASSERT_TRUE(Parse(Encode(rows), &back).ok()) << f;
    EXPECT_EQ(back, rows) << f;
  }
}

TEST(CsvTest, AllHostileFieldsInOneRowRoundTrip) {
  Rows rows = {HostileFields(), HostileFields()};
  Rows back;
  ASSERT_TRUE(Parse(Encode(rows), &back).ok());
  EXPECT_EQ(back, rows);
}

TEST(CsvTest, WriterQuotesOnlyWhenNeeded) {
  EXPECT_EQ(Encode({{"a", "b c", ""}}), "a,b c,\r\n");
  EXPECT_EQ(Encode({{""}}), "\"\"\r\n");
  EXPECT_EQ(Encode({{"", ""}}), ",\r\n");
  EXPECT_EQ(Encode({{"a\"b", "x,y"}}), "\"a\"\"b\",\"x,y\"\r\n");
  EXPECT_EQ(Encode({{" a", "a ", "a\nb"}}), "\" a\",\"a \",\"a\nb\"\r\n");
  EXPECT_EQ(Encode({{"=1", "-1"}}), "=1,-1\r\n");
}

TEST(CsvTest, NeutralizeFormulasPrefixesASingleQuote) {
  CsvOptions options;
  options.neutralize_formulas = true;
  EXPECT_EQ(
      Encode({{"=1+2", "+1", "-1", "@x", "\tt", "\rr", "ok", "a=b"}}, options),
      "\"'=1+2\",\"'+1\",\"'-1\",\"'@x\",\"'\tt\",\"'\rr\",ok,a=b\r\n");
  EXPECT_EQ(Encode({{"=\"q\""}}, options), "\"'=\"\"q\"\"\"\r\n");

  Rows back;
  ASSERT_TRUE(Parse(Encode({{"=cmd", "x"}}, options), &back).ok());
  EXPECT_EQ(back, (Rows{{"'=cmd", "x"}}));
}

TEST(CsvTest, StartsLikeFormulaMatchesTheOwaspCharacters) {
  for (std::string_view s : {"=", "+a", "-", "@", "\t", "\r"}) {
    EXPECT_TRUE(StartsLikeFormula(s)) << s;
  }
  for (std::string_view s : {"", "a=", " =", "'=", "\n"}) {
    EXPECT_FALSE(StartsLikeFormula(s)) << s;
  }
}

TEST(CsvTest, FeedingOneByteAtATimeGivesTheSameRowsAsFeedingWhole) {
  const std::vector<std::string> documents = {
      "a,b\r\n1,2\r\n",
      "a,b\n1,2",
      "\"x\"\"y\",\"\r\n\"\r\n\"\",\r\n",
      "k,v\r\n\"multi\nline\",\"\xF0\x9F\x98\x80\"\r\n,\r\n",
      "\r\n\nh\r\n\r\n\"\"\n",
      Encode({HostileFields(), HostileFields()}),
      "a,b\r\n\"unterminated,x\r\n",
      "a\"b\r\n",
      "\"a\"b\r\n",
      "a\xE2\x82",
      "a,b\r\n1,2,3\r\n",
  };
  for (const std::string& doc : documents) {
    Rows whole, bytes;
    Status s1 = Parse(doc, &whole);
    Status s2 = ParseByteAtATime(doc, &bytes);
    EXPECT_EQ(s1.ToString(), s2.ToString()) << doc;
    EXPECT_EQ(whole, bytes) << doc;
    // And split at every point into two chunks.
    for (size_t i = 0; i <= doc.size(); ++i) {
      Rows split;
      Status s3 = ParseChunks({doc.substr(0, i), doc.substr(i)}, &split);
      EXPECT_EQ(s1.ToString(), s3.ToString()) << doc << " split at " << i;
      EXPECT_EQ(whole, split) << doc << " split at " << i;
    }
  }
}

TEST(CsvTest, ALastRecordWithoutALineBreakIsAccepted) {
  Rows rows;
  ASSERT_TRUE(Parse("a,b\r\nc,d", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"c", "d"}}));
  rows.clear();
  ASSERT_TRUE(Parse("a,b\r\n\"c\",\"d\"", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"c", "d"}}));
  rows.clear();
  ASSERT_TRUE(Parse("a,", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"a", ""}}));
}

TEST(CsvTest, AByteOrderMarkAtTheStartIsSkippedWhereverTheChunksSplitIt) {
  const std::string text = "\xEF\xBB\xBFkey,value\r\n\xEF\xBB\xBFk,1\r\n";
  const Rows expected = {{"key", "value"}, {"\xEF\xBB\xBFk", "1"}};
  Rows rows;
  ASSERT_TRUE(Parse(text, &rows).ok());
  EXPECT_EQ(rows, expected);  // only the first one: later it is text
  rows.clear();
  ASSERT_TRUE(ParseByteAtATime(text, &rows).ok());
  EXPECT_EQ(rows, expected);
  // Columns on line 1 count from after it.
  ExpectError("\xEF\xBB\xBF\"a\"x\n",
              "CSV line 1, column 4: unexpected character 'x' after closing "
              "quote (expected ',' or a line break)");
  // The start of a BOM that is not one is text: U+FEC0 here, a truncated
  // sequence there.
  rows.clear();
  ASSERT_TRUE(ParseByteAtATime("\xEF\xBB\x80\n", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"\xEF\xBB\x80"}}));
  ExpectError("\xEF\xBB",
              "CSV line 1, column 1: truncated UTF-8 sequence starting with "
              "byte 0xEF at end of input");
  rows.clear();
  ASSERT_TRUE(Parse("\xEF\xBB\xBF", &rows).ok());
  EXPECT_TRUE(rows.empty());
  // So the writer quotes a field that starts with one: the first field of
  // a file reads back whole.
  const Rows bom_first = {{"\xEF\xBB\xBFk", "v"}};
  EXPECT_EQ("\"\xEF\xBB\xBFk\",v\r\n", Encode(bom_first));
  rows.clear();
  ASSERT_TRUE(Parse(Encode(bom_first), &rows).ok());
  EXPECT_EQ(rows, bom_first);
}

TEST(CsvTest, LoneLfIsARecordTerminatorAndMayMixWithCrlf) {
  Rows rows;
  ASSERT_TRUE(Parse("a,b\n1,2\r\n3,4\n", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
}

TEST(CsvTest, LineBreaksInsideQuotesAreKeptVerbatim) {
  Rows rows;
  ASSERT_TRUE(Parse("\"a\r\nb\",\"c\nd\",\"e\rf\"\r\n", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"a\r\nb", "c\nd", "e\rf"}}));
}

TEST(CsvTest, BlankLinesAreSkippedButAQuotedEmptyFieldIsARow) {
  Rows rows;
  ASSERT_TRUE(Parse("\r\nh\r\n\n\"\"\r\n\r\n", &rows).ok());
  EXPECT_EQ(rows, (Rows{{"h"}, {""}}));
  rows.clear();
  ASSERT_TRUE(Parse("", &rows).ok());
  EXPECT_TRUE(rows.empty());
}

TEST(CsvTest, RowStartLineIsThePhysicalLineWhereEachRecordStarts) {
  Rows rows;
  std::vector<int64_t> lines;
  ASSERT_TRUE(
      ParseChunks({"k,v\r\n\r\n\"a\nb\",1\r\nc,\"2\n\n\"\nd,3"}, &rows, &lines)
          .ok());
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 3, 5, 8}));
}

TEST(CsvTest, TextAfterAClosingQuoteIsAnErrorWithLineAndColumn) {
  ExpectError("a,b\r\nc,d\r\n\"e\",\"f\"x\r\n",
              "CSV line 3, column 8: unexpected character 'x' after closing "
              "quote (expected ',' or a line break)");
  ExpectError("\"a\" ,b\n",
              "CSV line 1, column 4: unexpected character ' ' after closing "
              "quote (expected ',' or a line break)");
  ExpectError("\"a\"\xC3\xA9\n",
              "CSV line 1, column 4: unexpected character byte 0xC3 after "
              "closing quote (expected ',' or a line break)");
}

TEST(CsvTest, AQuoteInsideAnUnquotedFieldIsAnError) {
  ExpectError("k,v\nab\"c,d\n",
              "CSV line 2, column 3: quote '\"' inside an unquoted field "
              "(enclose the field in quotes and double each quote in it)");
}

TEST(CsvTest, AnUnterminatedQuotedFieldIsReportedAtEndOfInput) {
  ExpectError("a,b\r\nc,d\r\ne,f\r\nxxxxxxxxx,\"oops\r\n",
              "CSV line 5, column 1: unterminated quoted field starting at "
              "line 4, column 11");
  ExpectError("\"abc",
              "CSV line 1, column 5: unterminated quoted field starting at "
              "line 1, column 1");
}

TEST(CsvTest, InvalidUtf8IsReportedAtTheFirstByteOfTheBadSequence) {
  ExpectError("k\nab\xFF\n", "CSV line 2, column 3: invalid UTF-8 (byte 0xFF)");
  ExpectError("k\n\"a\xC3(\"\n",
              "CSV line 2, column 3: invalid UTF-8 sequence starting with "
              "byte 0xC3");
  ExpectError("\xC0\xAF\n", "CSV line 1, column 1: invalid UTF-8 (byte 0xC0)");
  ExpectError("a\xE0\x80\x80\n",  // overlong
              "CSV line 1, column 2: invalid UTF-8 sequence starting with "
              "byte 0xE0");
  ExpectError("a\xED\xA0\x80\n",  // surrogate U+D800
              "CSV line 1, column 2: invalid UTF-8 sequence starting with "
              "byte 0xED");
  ExpectError("\xF4\x90\x80\x80\n",  // above U+10FFFF
              "CSV line 1, column 1: invalid UTF-8 sequence starting with "
              "byte 0xF4");
  ExpectError("ok,\xF0\x9F\x98",
              "CSV line 1, column 4: truncated UTF-8 sequence starting with "
              "byte 0xF0 at end of input");
}

TEST(CsvTest, ABareCarriageReturnOutsideQuotesIsAnError) {
  ExpectError("a\rb\n",
              "CSV line 1, column 2: carriage return (CR) not followed by LF "
              "outside quotes");
  ExpectError("a,b\r",
              "CSV line 1, column 4: carriage return (CR) not followed by LF "
              "outside quotes");
}

TEST(CsvTest, ARowWithADifferentNumberOfFieldsThanTheHeaderIsReported) {
  ExpectError("a,b\r\n1,2\r\n\"x\ny\",2,3\r\n",
              "CSV line 3: row has 3 fields but the header has 2");
  ExpectError("a,b\r\n1\r\n",
              "CSV line 2: row has 1 field but the header has 2");
}

TEST(CsvTest, RowsBeforeAnErrorAreEmittedAndNoneAfter) {
  Rows rows;
  Status s = Parse("a\nb\n\"c\"x\nd\n", &rows);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(rows, (Rows{{"a"}, {"b"}}));
}

TEST(CsvTest, AFailedReaderStaysFailed) {
  CsvReader reader;
  int calls = 0;
  auto on_row = [&](std::vector<std::string>&&) {
    ++calls;
    return Status::OK();
  };
  Status first = reader.Feed("a\"b\n", on_row);
  ASSERT_TRUE(first.IsInvalidArgument());
  Status again = reader.Feed("c\nd\n", on_row);
  EXPECT_TRUE(again.IsInvalidArgument());
  EXPECT_EQ(again.message(), first.message());
  Status fin = reader.Finish(on_row);
  EXPECT_EQ(fin.message(), first.message());
  EXPECT_EQ(calls, 0);
}

TEST(CsvTest, AnErrorFromOnRowStopsParsingAndIsReturned) {
  CsvReader reader;
  int calls = 0;
  auto on_row = [&](std::vector<std::string>&& row) {
    ++calls;
    if (row[0] == "bad") {
      return Status::InvalidArgument("line " +
                                     std::to_string(reader.row_start_line()) +
                                     ": value is not valid JSON");
    }
    return Status::OK();
  };
  Status s = reader.Feed("ok\nbad\nnever\n", on_row);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "line 2: value is not valid JSON");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(reader.Feed("more\n", on_row).message(), s.message());
  EXPECT_EQ(reader.Finish(on_row).message(), s.message());
  EXPECT_EQ(calls, 2);

  CsvReader other;
  auto io_error = [](std::vector<std::string>&&) {
    return Status::IOError("disk full");
  };
  Status from_finish = other.Feed("no newline", io_error);
  ASSERT_TRUE(from_finish.ok());
  EXPECT_TRUE(other.Finish(io_error).IsIOError());
}

TEST(CsvTest, FeedAfterFinishIsAnError) {
  CsvReader reader;
  auto on_row = [](std::vector<std::string>&&) { return Status::OK(); };
  ASSERT_TRUE(reader.Finish(on_row).ok());
  EXPECT_TRUE(reader.Feed("a\n", on_row).IsInvalidArgument());
  EXPECT_TRUE(reader.Finish(on_row).IsInvalidArgument());
}

}  // namespace
}  // namespace pmap
