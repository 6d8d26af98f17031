// The operation stream (src/op_stream.h) and the record-size rule
// (src/record_size.h) it shares with every writer: parsing, exact sizes,
// the boundary at the maximum record size, refusal without change.
#include "op_stream.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "coding.h"
#include "gtest/gtest.h"
#include "log_format.h"
#include "record_size.h"
#include "recovery_mode.h"
#include "value_kind.h"
#include "write_batch.h"

namespace pmap {
namespace {

// Builds operation streams the way js/op_writer.js does.
class Stream {
 public:
  Stream& Put(std::string_view key, std::string_view value) {
    s_.push_back(log::kPut);
    return Field(key).Field(value);
  }
  Stream& Delete(std::string_view key) {
    s_.push_back(log::kDelete);
    return Field(key);
  }
  Stream& Clear() {
    s_.push_back(log::kClear);
    return *this;
  }
  // A TAGGED of client `client`'s write `seq` holding the stream `inner`.
  Stream& Tagged(uint64_t client, uint64_t seq, const std::string& inner) {
    s_.push_back(log::kTagged);
    PutFixed32(&s_, static_cast<uint32_t>(client));
    PutFixed32(&s_, static_cast<uint32_t>(client >> 32));
    PutFixed32(&s_, static_cast<uint32_t>(seq));
    PutFixed32(&s_, static_cast<uint32_t>(seq >> 32));
    PutFixed32(&s_, static_cast<uint32_t>(inner.size()));
    s_.append(inner);
    return *this;
  }
  Stream& Batch(uint32_t count) {
    s_.push_back(log::kBatch);
    PutFixed32(&s_, count);
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  Stream& Field(std::string_view f) {
    PutFixed32(&s_, static_cast<uint32_t>(f.size()));
    s_.append(f);
    return *this;
  }
  std::string s_;
};

Engine NewEngine(uint32_t max_record_size = log::kDefaultMaxRecordSize) {
  EngineOptions options;
  options.max_record_size = max_record_size;
  Engine engine(options);
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  engine.TakePending();  // the header
  return engine;
}

std::vector<std::pair<std::string, std::string>> Entries(const Engine& e) {
  std::vector<std::pair<std::string, std::string>> out;
  e.index().ForEach([&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  });
  return out;
}

TEST(OpStreamTest, EveryOperationAppliesAsTheRecordItNames) {
  Engine engine = NewEngine();
  Stream s;
  s.Put("a", "1").Put("b", "2").Delete("a").Batch(2).Put("c", "3").Delete("b");
  ASSERT_TRUE(ApplyOpStream(s.str(), &engine).ok());
  EXPECT_EQ((std::vector<std::pair<std::string, std::string>>{{"c", "3"}}),
            Entries(engine));
  EXPECT_EQ(4u,
            engine.stats().total_records - 1);  // 2 puts, delete, batch of 2
  ASSERT_TRUE(ApplyOpStream(Stream().Clear().str(), &engine).ok());
  EXPECT_EQ(0u, engine.index().size());
}

TEST(OpStreamTest, TheLogItWritesReplaysToTheSameEntries) {
  Engine engine(EngineOptions{});
  RecoveryReport report;
  ASSERT_TRUE(engine.Recover("", &report).ok());
  Stream s;
  s.Put("k1", "v1")
      .Batch(3)
      .Put("k2", "v2")
      .Put("k1", "w")
      .Delete("k2")
      .Put("k3", std::string(300, 'x'));
  ASSERT_TRUE(ApplyOpStream(s.str(), &engine).ok());
  Engine replayed(EngineOptions{});
  ASSERT_TRUE(replayed.Recover(engine.TakePending(), &report).ok());
  EXPECT_EQ(Entries(engine), Entries(replayed));
}

TEST(OpStreamTest, PayloadSizeIsTheLengthOfTheRecordWritten) {
  const std::string big(200, 'v');  // a two-byte length varint
  const std::vector<std::string> streams = {
      Stream().Put("k", "v").str(),
      Stream().Put(std::string(130, 'k'), big).str(),
      Stream().Put("k", "").str(),
      Stream().Batch(2).Put("k", big).Put(std::string(128, 'q'), "").str(),
  };
  for (const std::string& stream : streams) {
    Engine engine = NewEngine();
    OpStreamReader reader(stream);
    StreamOp op;
    ASSERT_TRUE(reader.Next(&op));
    ASSERT_TRUE(ApplyOpStream(stream, &engine).ok());
    EXPECT_EQ(op.payload_size + log::kRecordHeaderSize, engine.pending_size());
    EXPECT_EQ(stream.size(), op.stream_bytes);
    EXPECT_LE(op.payload_size, op.stream_bytes + kMaxPayloadExcess);
  }
  // A DELETE writes only when the key is there.
  Engine engine = NewEngine();
  ASSERT_TRUE(engine.Put("gone", "x").ok());
  engine.TakePending();
  const std::string del = Stream().Delete("gone").str();
  OpStreamReader reader(del);
  StreamOp op;
  ASSERT_TRUE(reader.Next(&op));
  ASSERT_TRUE(ApplyOpStream(del, &engine).ok());
  EXPECT_EQ(op.payload_size + log::kRecordHeaderSize, engine.pending_size());
}

// maxRecordSize 1024 and key "k": the payload is 1 (key length) + 1 + the
// value, so a value of 1022 bytes makes a record of exactly 1024.
TEST(OpStreamTest, ARecordOfExactlyTheMaximumIsAcceptedAndOneByteMoreRefused) {
  Engine engine = NewEngine(1024);
  size_t oversize = 7;
  const std::string fits = Stream().Put("k", std::string(1022, 'v')).str();
  EXPECT_TRUE(CheckOpStream(fits, 1024, &oversize).ok());
  EXPECT_EQ(7u, oversize);
  EXPECT_TRUE(ApplyOpStream(fits, &engine).ok());

  const std::string over = Stream().Put("k", std::string(1023, 'v')).str();
  Status s = CheckOpStream(over, 1024, &oversize);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(1025u, oversize);
  EXPECT_EQ(
      "record of 1025 bytes exceeds the maximum record size of 1024 bytes",
      s.message());
  EXPECT_EQ(s.message(), ApplyOpStream(over, &engine).message());
}

TEST(OpStreamTest, TheNativeEngineDrawsTheSameLine) {
  Engine engine = NewEngine(1024);
  EXPECT_TRUE(engine.Put("k", std::string(1022, 'v')).ok());
  Status s = engine.Put("k", std::string(1023, 'v'));
  EXPECT_EQ(
      "record of 1025 bytes exceeds the maximum record size of 1024 bytes",
      s.message());
  EXPECT_TRUE(engine.Delete(std::string(1024, 'k')).ok());
  EXPECT_TRUE(engine.Delete(std::string(1025, 'k')).IsInvalidArgument());
}

TEST(OpStreamTest, ABatchAtTheMaximumIsAcceptedAndOneByteMoreRefused) {
  // count (1) + put: op (1) + key length (1) + key (1) + value length (2)
  // + value: 6 + value bytes.
  size_t oversize = 0;
  const std::string fits =
      Stream().Batch(1).Put("k", std::string(1018, 'v')).str();
  EXPECT_TRUE(CheckOpStream(fits, 1024, &oversize).ok());
  const std::string over =
      Stream().Batch(1).Put("k", std::string(1019, 'v')).str();
  EXPECT_TRUE(CheckOpStream(over, 1024, &oversize).IsInvalidArgument());
  EXPECT_EQ(1025u, oversize);
  WriteBatch batch;
  batch.Put("k", std::string(1019, 'v'));
  EXPECT_EQ(1025u, batch.PayloadSize());
}

TEST(OpStreamTest, ARefusedStreamChangesNothing) {
  Engine engine = NewEngine(64);
  ASSERT_TRUE(engine.Put("kept", "1").ok());
  const size_t pending = engine.pending_size();
  Stream s;
  s.Put("a", "1").Delete("kept").Put("b", std::string(100, 'x'));
  EXPECT_TRUE(ApplyOpStream(s.str(), &engine).IsInvalidArgument());
  EXPECT_EQ(pending, engine.pending_size());
  EXPECT_EQ((std::vector<std::pair<std::string, std::string>>{{"kept", "1"}}),
            Entries(engine));
}

TEST(OpStreamTest, MalformedStreamsAreRefusedNamingTheByte) {
  const std::string put = Stream().Put("key", "value").str();
  struct Case {
    std::string stream;
    std::string message;
  } cases[] = {
      {put.substr(0, put.size() - 1), "at byte 0: a PUT is cut short"},
      {put + "\x09", "at byte 17: unknown operation code"},
      {put + std::string("\x02\x05\x00\x00\x00" "ab", 7),
       "at byte 17: a DELETE is cut short"},
      {Stream().Batch(2).Put("a", "b").str(),
       "at byte 0: a BATCH has fewer operations than its count"},
      {Stream().Batch(1).Clear().str(),
       "at byte 0: a BATCH holds an operation other than PUT or DELETE"},
      {std::string("\x04\x01\x00", 3), "at byte 0: a BATCH is cut short"},
  };
  for (const Case& c : cases) {
    Engine engine = NewEngine();
    Status s = ApplyOpStream(c.stream, &engine);
    EXPECT_TRUE(s.IsInvalidArgument());
    EXPECT_NE(std::string::npos, s.message().find(c.message)) << s.message();
    EXPECT_EQ(0u, engine.index().size());
    EXPECT_FALSE(engine.has_pending());
  }
}

TEST(OpStreamTest, AnEmptyStreamIsValidAndChangesNothing) {
  Engine engine = NewEngine();
  EXPECT_TRUE(ApplyOpStream("", &engine).ok());
  EXPECT_FALSE(engine.has_pending());
}

TEST(OpStreamTest, EncodingAStreamGivesTheRecordsApplyingItLogs) {
  Engine engine = NewEngine();
  Stream inner;
  inner.Put("t", "1").Clear().Batch(2).Put("u", "2").Delete("t");
  Stream s;
  s.Put("a", "1").Delete("a").Batch(2).Put("b", "2").Put("c", "3").Tagged(
      0x0102030405060708ULL, 300, inner.str());
  std::string encoded = "prefix";
  ASSERT_TRUE(
      EncodeOpStream(s.str(), log::kDefaultMaxRecordSize, &encoded).ok());
  ASSERT_TRUE(ApplyOpStream(s.str(), &engine).ok());
  EXPECT_EQ("prefix" + engine.TakePending(), encoded);
}

TEST(OpStreamTest, EncodingAppliesNothingSoADeleteOfAnAbsentKeyIsARecord) {
  std::string encoded;
  ASSERT_TRUE(EncodeOpStream(Stream().Delete("gone").str(),
                             log::kDefaultMaxRecordSize, &encoded)
                  .ok());
  EXPECT_EQ(9u + 4u, encoded.size());
  EXPECT_EQ(log::kDelete, static_cast<uint8_t>(encoded[8]));
}

TEST(OpStreamTest, EncodingARefusedStreamAppendsNothing) {
  std::string encoded = "kept";
  EXPECT_TRUE(EncodeOpStream(Stream().Put("k", std::string(100, 'v')).str(),
                             64, &encoded)
                  .IsInvalidArgument());
  std::string malformed = Stream().Put("k", "v").str();
  malformed.pop_back();
  EXPECT_FALSE(
      EncodeOpStream(malformed, log::kDefaultMaxRecordSize, &encoded).ok());
  EXPECT_EQ("kept", encoded);
}

TEST(RecordSizeTest, BatchOperationSizesMatchWriteBatchEncoding) {
  const std::string key(200, 'k'), value(20000, 'v');
  WriteBatch batch;
  batch.Put(key, value);
  EXPECT_EQ(log::BatchPutSize(key, value), batch.ops().size());
  batch.Delete(key);
  EXPECT_EQ(log::BatchPutSize(key, value) + log::BatchDeleteSize(key),
            batch.ops().size());
  EXPECT_EQ(log::BatchPayloadSize(2, batch.ops().size()), batch.PayloadSize());
}

TEST(RecoveryModeTest, EveryNameParsesToItsModeAndBack) {
  for (RecoveryMode mode : {RecoveryMode::kTolerateTornTail,
                            RecoveryMode::kStrict, RecoveryMode::kSalvage}) {
    RecoveryMode parsed = RecoveryMode::kStrict;
    ASSERT_TRUE(ParseRecoveryMode(RecoveryModeName(mode), &parsed));
    EXPECT_EQ(mode, parsed);
    EXPECT_NE(nullptr,
              std::strstr(RecoveryModeNames(), RecoveryModeName(mode)));
  }
  RecoveryMode unchanged = RecoveryMode::kSalvage;
  EXPECT_FALSE(ParseRecoveryMode("Strict", &unchanged));
  EXPECT_FALSE(ParseRecoveryMode("", &unchanged));
  EXPECT_EQ(RecoveryMode::kSalvage, unchanged);
}

TEST(ValueKindTest, TaggedBytesTextAndRawAreToldApart) {
  size_t units = 0;
  EXPECT_EQ(ValueKind::kBytes, ClassifyValue("\x01\xff", &units));
  EXPECT_EQ(ValueKind::kText,
            ClassifyValue("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", &units));
  EXPECT_EQ(9u, units);  // quotes, c a f é, space, a surrogate pair
  EXPECT_EQ(ValueKind::kText, ClassifyValue("", &units));
  EXPECT_EQ(0u, units);
  EXPECT_EQ(ValueKind::kRaw, ClassifyValue("\xc0\x80", &units));  // overlong
  EXPECT_EQ(ValueKind::kRaw,
            ClassifyValue("\xed\xa0\x80", nullptr));  // surrogate
  EXPECT_EQ(16u, (Utf8ToUtf16Length(std::string(16, 'a'), &units), units));
}

}  // namespace
}  // namespace pmap
