#include "json_text.h"

#include <string>

#include "gtest/gtest.h"

namespace pmap {
namespace {

TEST(JsonTextTest, AcceptsEveryKindOfValueWithSurroundingWhitespace) {
  for (const char *text :
       {"0", "-0", "12", "-3.25e+10", "1E5", "0.5e-3", "true", "false", "null", "\"\"",
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\"", "[]", "{}",
        " \t\r\n[ 1 , { \"a\" : [ ] } ] \n", R"({"a":{"b":[1,"x",null,true]},"c":"d"})",
        "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""}) {
    EXPECT_TRUE(IsJsonText(text)) << text;
  }
}

TEST(JsonTextTest, AcceptsLoneSurrogateEscapesAsJavaScriptDoes) {
  // JSON.stringify("\ud800") is "\"\\ud800\"", and JSON.parse reads it back.
  EXPECT_TRUE(IsJsonText("\"\\ud800\""));
  EXPECT_TRUE(IsJsonText("\"\\uDC00x\""));
}

TEST(JsonTextTest, AcceptsNestingDeeperThanAnyStackWouldHold) {
  const int depth = 1 << 20;
  EXPECT_TRUE(IsJsonText(std::string(depth, '[') + std::string(depth, ']')));
  std::string objects;
  for (int i = 0; i < depth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(depth, '}');
  EXPECT_TRUE(IsJsonText(objects));
  EXPECT_FALSE(IsJsonText(std::string(depth, '[') + std::string(depth - 1, ']')));
}

TEST(JsonTextTest, RefusesWhatJsonParseRefuses) {
  for (const char *text : {"",
                           " ",
                           "not json",
                           "'a'",
                           "01",
                           "-",
                           "1.",
                           ".5",
                           "+1",
                           "1e",
                           "1e+",
                           "0x10",
                           "NaN",
                           "Infinity",
                           "tru",
                           "nul",
                           "True",
                           "\"abc",
                           "\"a\\x\"",
                           "\"\\u12\"",
                           "\"\\u12g4\"",
                           "\"tab\there\"",
                           "[1,]",
                           "[,1]",
                           "{\"a\":1,}",
                           "{a:1}",
                           "{\"a\" 1}",
                           "{\"a\":}",
                           "[1 2]",
                           "{\"a\":1]",
                           "[1}",
                           "1 2",
                           "[]]",
                           "{}}",
                           "\xc2\xa0"
                           "1",
                           "\x0b"
                           "1",
                           "\"a\"x",
                           "//\n1"}) {
    EXPECT_FALSE(IsJsonText(text)) << text;
  }
  EXPECT_FALSE(IsJsonText(std::string("\"nul\0\"", 6)));
  EXPECT_FALSE(IsJsonText(std::string("1\0", 2)));
}

TEST(JsonTextTest, DefaultCodecValuesAreTaggedBytesOrUtf8JsonText) {
  EXPECT_TRUE(IsDefaultCodecValue("{\"a\":1}"));
  EXPECT_TRUE(IsDefaultCodecValue(std::string("\x01\xff\x00", 3)));
  EXPECT_TRUE(IsDefaultCodecValue("\x01"));
  EXPECT_FALSE(IsDefaultCodecValue(""));
  EXPECT_FALSE(IsDefaultCodecValue("not json"));
  EXPECT_FALSE(IsDefaultCodecValue("\x02"));
  EXPECT_FALSE(IsDefaultCodecValue("\"\xff\""));  // JSON-shaped, but not UTF-8
  EXPECT_FALSE(IsDefaultCodecValue("\xff"));
}

}  // namespace
}  // namespace pmap
