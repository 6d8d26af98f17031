// Tagged values (docs/FORMAT.md, "Value encoding"): the native tools show
// them as tagged JSON text and read that back exactly, check every tag,
// store the form JavaScript writes, and keep plain JSON values as before.
#include "tagged_value.h"

#include "gtest/gtest.h"
#include "value_codec.h"

namespace pmap {
namespace {

std::string Tagged(const std::string& text) { return std::string(1, kTaggedTag) + text; }

// Tagged text as JavaScript's codec writes it (tests/js/rich_values.test.js
// checks the same strings from the JavaScript side).
const char* const kCanonical[] = {
    R"({"$undefined":null})",
    R"({"a":{"$number":"NaN"},"b":[{"$number":"-0"},{"$number":"-Infinity"}]})",
    R"({"$bigint":"-123456789012345678901234567890"})",
    R"({"at":{"$date":"2024-05-01T12:00:00.000Z"},"bad":{"$date":null},"old":{"$date":"-000001-01-01T00:00:00.000Z"}})",
    R"({"$map":[[{"$date":"1970-01-01T00:00:00.000Z"},{"$set":[1,"x",{"$ref":2}]}]]})",
    R"({"$array":[5,[[0,1],[3,{"$undefined":null}],["extra",true]]]})",
    R"({"o":{"$object":[["$date","not a date"]]},"r":{"$regexp":["a+\\/b","gi"]}})",
    R"([{"$bytes":"AAH/"},{"$arraybuffer":""},{"$float64array":"AAAAAAAA8D8="},{"$dataview":"AQI="}])",
    R"({"$error":{"name":"TypeError","message":"boom","cause":{"$ref":0}}})",
    R"({"p":{"x":1},"q":{"$ref":1},"self":{"$ref":0}})",
};

TEST(TaggedValueTest, TaggedValuesShowAsTheirTextAndComeBackByteForByte) {
  for (const char* text : kCanonical) {
    const std::string stored = Tagged(text);
    EXPECT_EQ(text, ValueToText(stored));
    std::string back;
    ASSERT_TRUE(TextToValue(ValueToText(stored), &back).ok()) << text;
    EXPECT_EQ(stored, back) << text;
  }
}

TEST(TaggedValueTest, PlainJsonValuesAreStoredAsBeforeEvenWhenWrittenWithTags) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"b":1,"a":[2,3]})", R"({"b":1,"a":[2,3]})"},  // member order kept
      {R"({"$object":[["a",1],["b",2]]})", R"({"a":1,"b":2})"},
      {R"({"$array":[2,[[0,"x"],[1,"y"]]]})", R"(["x","y"])"},
      {R"({"k":{"$object":[["$date","x"]]}})", R"({"k":{"$date":"x"}})"},
  };
  for (const auto& [text, want] : cases) {
    std::string stored;
    ASSERT_TRUE(TextToValue(text, &stored).ok()) << text;
    EXPECT_EQ(want, stored) << text;
  }
  std::string stored;
  ASSERT_TRUE(TextToValue(R"({"$bytes":"AAH/"})", &stored).ok());
  EXPECT_EQ(std::string("\x01\x00\x01\xff", 4), stored);
}

TEST(TaggedValueTest, APlainObjectThatWouldReadAsATagIsShownEscapedAndComesBackExactly) {
  for (const char* plain : {R"({"$bytes":"AAH/"})", R"({"$raw":"AA=="})", R"([{"$date":"2024"},{"$x":{"$y":1}}])"}) {
    const std::string text = ValueToText(plain);
    EXPECT_NE(std::string::npos, text.find("$object")) << text;
    std::string back;
    ASSERT_TRUE(TextToValue(text, &back).ok()) << text;
    EXPECT_EQ(plain, back);
  }
  EXPECT_EQ(R"({"$a":1,"$b":2})", ValueToText(R"({"$a":1,"$b":2})"));  // two members: no tag
}

TEST(TaggedValueTest, ABadTagIsRefusedAndChangesNothing) {
  const char* const bad[] = {
      R"({"$nope":1})",
      R"({"$undefined":0})",
      R"({"$number":"nan"})",
      R"({"$bigint":"012"})",
      R"({"$bigint":"-0"})",
      R"({"$date":"2024-02-30T00:00:00.000Z"})",
      R"({"$date":"2024-05-01"})",
      R"({"$date":"+275761-01-01T00:00:00.000Z"})",
      R"({"$regexp":["a","gg"]})",
      R"({"$map":[[1]]})",
      R"({"$set":{}})",
      R"({"$array":[2,[[2,1]]]})",
      R"({"$array":[3,[[1,1],[0,1]]]})",
      R"({"$array":[1,[["0",1]]]})",
      R"({"$object":[["a",1],["a",2]]})",
      R"({"$float32array":"AAA="})",
      R"({"$bytes":"***"})",
      R"({"$error":{"name":"MyError"}})",
      R"({"$error":{"name":"Error","code":1}})",
      R"({"$ref":0})",
      R"([{"$ref":1}])",
      R"([1,{"$raw":"AA=="}])",
  };
  for (const char* text : bad) {
    std::string stored = "unchanged";
    Status s = TextToValue(text, &stored);
    EXPECT_TRUE(s.IsInvalidArgument()) << text;
    EXPECT_EQ("unchanged", stored) << text;
    EXPECT_EQ(0u, ValueToText(Tagged(text)).find(R"({"$raw":")")) << text;
  }
}

TEST(TaggedValueTest, DatesAtTheEndsOfTheirRangeAreAccepted) {
  for (const char* iso : {"+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z", "2024-02-29T23:59:59.999Z"}) {
    std::string stored;
    EXPECT_TRUE(TextToValue(std::string(R"({"$date":")") + iso + "\"}", &stored).ok()) << iso;
  }
}

TEST(TaggedValueTest, TheTypedApiRefusesATaggedValueClearly) {
  nlohmann::json j;
  Status s = DecodeValue(Tagged(R"({"$undefined":null})"), &j);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(std::string::npos, s.message().find("tagged value")) << s.message();
}

}  // namespace
}  // namespace pmap
