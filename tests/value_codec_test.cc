#include "value_codec.h"

#include "gtest/gtest.h"
#include "native/typed_map.h"
#include "test_util.h"

namespace pmap {
namespace {

using json = nlohmann::json;

TEST(ValueCodecTest, JsonValuesAreStoredAsTheirCompactText) {
  std::string stored;
  ASSERT_TRUE(EncodeValue(json::parse(R"({ "a" : [1, 2.5, "x"] })"), &stored).ok());
  EXPECT_EQ(R"({"a":[1,2.5,"x"]})", stored);
  json back;
  ASSERT_TRUE(DecodeValue(stored, &back).ok());
  EXPECT_EQ(json::parse(stored), back);
}

TEST(ValueCodecTest, BinaryValuesAreTaggedAndRoundTrip) {
  std::string stored;
  ASSERT_TRUE(EncodeValue(json::binary({0x00, 0x01, 0xff}), &stored).ok());
  EXPECT_EQ(std::string("\x01\x00\x01\xff", 4), stored);
  json back;
  ASSERT_TRUE(DecodeValue(stored, &back).ok());
  ASSERT_TRUE(back.is_binary());
  EXPECT_EQ(std::vector<uint8_t>({0x00, 0x01, 0xff}), back.get_binary());
  EXPECT_EQ(R"({"$bytes":"AAH/"})", ValueToText(stored));
  std::string again;
  ASSERT_TRUE(TextToValue(ValueToText(stored), &again).ok());
  EXPECT_EQ(stored, again);
}

TEST(ValueCodecTest, UndecodableBytesShowAsRawAndComeBackExactly) {
  const std::string custom("\x02not json\xff", 10);
  json ignored;
  EXPECT_TRUE(DecodeValue(custom, &ignored).IsCorruption());
  std::string text = ValueToText(custom);
  EXPECT_EQ(0u, text.find(R"({"$raw":")"));
  std::string back;
  ASSERT_TRUE(TextToValue(text, &back).ok());
  EXPECT_EQ(custom, back);
}

TEST(ValueCodecTest, InvalidTextIsRefusedWithItsPosition) {
  std::string stored = "unchanged";
  Status s = TextToValue("{\"a\": tru}", &stored);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(std::string::npos, s.message().find("byte")) << s.message();
  EXPECT_TRUE(TextToValue(R"({"$bytes":"***"})", &stored).IsInvalidArgument());
  EXPECT_TRUE(EncodeValue(json("bad utf-8 \xff"), &stored).IsInvalidArgument());
}

TEST(ValueCodecTest, ANumberBeyondADoubleIsRefusedNotThrown) {
  for (const char* text : {"1e999", "-1e400", "[1, {\"a\": 2e308}]"}) {
    std::string stored = "unchanged";
    Status s = TextToValue(text, &stored);
    ASSERT_TRUE(s.IsInvalidArgument()) << text;
    EXPECT_NE(std::string::npos, s.message().find("out of range"))
        << s.message();
    EXPECT_EQ("unchanged", stored);
  }
  std::string stored;
  ASSERT_TRUE(TextToValue("1e-999", &stored).ok());  // underflow is 0, not lost
  EXPECT_EQ("0.0", stored);
}

TEST(ValueCodecTest, ValuesNestedDeeperThanTheLimitAreRefusedWithoutRecursing) {
  auto nested = [](size_t depth, const char* open, const char* close) {
    std::string text;
    for (size_t i = 0; i < depth; ++i) text += open;
    text += "1";
    for (size_t i = 0; i < depth; ++i) text += close;
    return text;
  };
  std::string stored;
  ASSERT_TRUE(TextToValue(nested(kMaxValueDepth, "[", "]"), &stored).ok());
  ASSERT_TRUE(
      TextToValue(nested(kMaxValueDepth, "{\"a\":", "}"), &stored).ok());
  // Far deeper than the stack would survive if anything recursed.
  for (size_t depth : {kMaxValueDepth + 1, size_t{60000}, size_t{1000000}}) {
    for (const auto& [open, close] :
         {std::pair{"[", "]"}, std::pair{"{\"a\":", "}"}}) {
      stored = "unchanged";
      Status s = TextToValue(nested(depth, open, close), &stored);
      ASSERT_TRUE(s.IsInvalidArgument()) << depth;
      EXPECT_NE(std::string::npos,
                s.message().find("more than 1000 levels deep"))
          << s.message();
      EXPECT_EQ("unchanged", stored);
    }
  }
  json deep = 1;
  for (size_t i = 0; i < 60000; ++i) deep = json::array({std::move(deep)});
  EXPECT_TRUE(EncodeValue(deep, &stored).IsInvalidArgument());
}

TEST(ValueCodecTest, AnEscapedLoneSurrogateIsKeptAsJavaScriptKeepsIt) {
  // What JSON.stringify writes for "a\uD800b": shown as it is, not as $raw.
  EXPECT_EQ(R"("a\ud800b")", ValueToText(R"("a\ud800b")"));
  std::string stored;
  ASSERT_TRUE(TextToValue(R"( { "k" : [ "\uDC00 x", 1.5 ] } )", &stored).ok());
  EXPECT_EQ(R"({"k":["\uDC00 x",1.5]})", stored);
  EXPECT_EQ(stored, ValueToText(stored));
  json value;
  ASSERT_TRUE(DecodeValue(R"("a\ud800b")", &value).ok());
  EXPECT_EQ(
      "a\xEF\xBF\xBD"
      "b",
      value.get<std::string>());  // U+FFFD
  // A pair, and a backslash before "ud800", are ordinary text.
  ASSERT_TRUE(TextToValue(R"("\ud83d\ude00 \\ud800")", &stored).ok());
  EXPECT_EQ("\"\xF0\x9F\x98\x80 \\\\ud800\"", stored);
  // The other checks still apply.
  EXPECT_TRUE(TextToValue(R"(["\ud800", 1e999])", &stored).IsInvalidArgument());
  EXPECT_TRUE(TextToValue(R"(["\ud800",])", &stored).IsInvalidArgument());
}

TEST(ValueCodecTest, Base64RoundTripsEveryLengthAndRejectsJunk) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string in;
    for (int i = 0; i < n; ++i) in.push_back(static_cast<char>(i * 37));
    ASSERT_TRUE(Base64Decode(Base64Encode(in), &bytes));
    EXPECT_EQ(in, bytes);
  }
  EXPECT_EQ("Zm9vYmFy", Base64Encode("foobar"));
  EXPECT_FALSE(Base64Decode("abc", &bytes));
  EXPECT_FALSE(Base64Decode("ab=c", &bytes));
  EXPECT_FALSE(Base64Decode("a===", &bytes));
}

struct User {
  std::string name;
  int visits = 0;
};
void to_json(json& j, const User& u) { j = json{{"name", u.name}, {"visits", u.visits}}; }
void from_json(const json& j, User& u) {
  j.at("name").get_to(u.name);
  j.at("visits").get_to(u.visits);
}

TEST(TypedMapTest, UserTypesRoundTripThroughToJsonAndFromJson) {
  test::TempDir dir;
  {
    std::unique_ptr<TypedMap<User>> users;
    ASSERT_TRUE(TypedMap<User>::Open(dir.File("db"), {}, &users).ok());
    ASSERT_TRUE(users->Insert("ada", {"Ada", 1}).ok());
    ASSERT_TRUE(users->Insert("grace", {"Grace", 5}).ok());
    ASSERT_TRUE(users->Modify("ada", [](User& u) { ++u.visits; }).ok());
    EXPECT_TRUE(users->Modify("nobody", [](User&) {}).IsNotFound());
    EXPECT_EQ(2u, users->Len());
    EXPECT_FALSE(users->IsEmpty());
    ASSERT_TRUE(users->Flush().ok());
  }
  std::unique_ptr<TypedMap<User>> users;
  ASSERT_TRUE(TypedMap<User>::Open(dir.File("db"), {}, &users).ok());
  User u;
  ASSERT_TRUE(users->Get("ada", &u).ok());
  EXPECT_EQ("Ada", u.name);
  EXPECT_EQ(2, u.visits);
  std::string key;
  ASSERT_TRUE(users->GetIndex(1, &key, &u).ok());
  EXPECT_EQ("grace", key);
  EXPECT_TRUE(users->GetIndex(2, &key, &u).IsNotFound());
  EXPECT_TRUE(users->Get("nobody", &u).IsNotFound());
  bool existed;
  ASSERT_TRUE(users->Remove("ada", &existed).ok());
  EXPECT_TRUE(existed);
  EXPECT_FALSE(users->ContainsKey("ada"));
}

TEST(TypedMapTest, AStoredValueOfTheWrongShapeIsAnErrorNotACrash) {
  test::TempDir dir;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(dir.File("db"), {}, &store).ok());
    ASSERT_TRUE(store->Put("ada", R"({"name":"Ada"})").ok());
    ASSERT_TRUE(store->Put("junk", "\x02 custom codec bytes").ok());
  }
  std::unique_ptr<TypedMap<User>> users;
  ASSERT_TRUE(TypedMap<User>::Open(dir.File("db"), {}, &users).ok());
  User u;
  EXPECT_TRUE(users->Get("ada", &u).IsInvalidArgument());
  EXPECT_TRUE(users->Get("junk", &u).IsCorruption());
}

}  // namespace
}  // namespace pmap
