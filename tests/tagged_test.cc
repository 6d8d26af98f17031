// Format version 2 (docs/FORMAT.md): TAGGED and CLIENTS records, the client
// table they keep, snapshots that carry it, version 1 logs that refuse
// them, and the TAGGED operation of the operation stream.
#include <string>
#include <utility>
#include <vector>

#include "coding.h"
#include "crc32c.h"
#include "engine.h"
#include "gtest/gtest.h"
#include "log_format.h"
#include "op_stream.h"
#include "record_size.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

Engine NewEngine(uint32_t max_record_size = log::kDefaultMaxRecordSize) {
  EngineOptions options;
  options.max_record_size = max_record_size;
  Engine engine(options);
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  return engine;
}

Engine Reopen(const std::string& log, RecoveryReport* report = nullptr) {
  Engine engine;
  RecoveryReport r;
  EXPECT_TRUE(engine.Recover(log, report ? report : &r).ok());
  return engine;
}

// A version 1 log holding PUT a=1.
std::string Version1Log() {
  std::string log;
  log::AppendFileHeader(0, &log);
  EncodeFixed32(&log[8], 1);
  EncodeFixed32(&log[28], crc32c::Mask(crc32c::Value(log.data(), 28)));
  log::AppendPut("a", "1", &log);
  return log;
}

TEST(TaggedTest, ATaggedWriteReplaysItsInnerRecordsAndSetsItsClient) {
  Engine engine = NewEngine();
  TaggedBatch t(42, 9);
  t.Put("a", "1");
  t.Put("b", "2");
  t.Delete("a");
  WriteBatch batch;
  batch.Put("c", "3");
  t.Write(batch);
  ASSERT_TRUE(engine.Write(t).ok());
  EXPECT_EQ((Entries{{"b", "2"}, {"c", "3"}}), test::EntriesOf(engine));
  EXPECT_EQ(4u, engine.stats().total_records);
  EXPECT_EQ(9u, engine.ClientSeq(42));
  EXPECT_EQ(0u, engine.ClientSeq(43));
  Engine reopened = Reopen(engine.TakePending());
  EXPECT_EQ(test::EntriesOf(engine), test::EntriesOf(reopened));
  EXPECT_EQ(4u, reopened.stats().total_records);
  EXPECT_EQ(9u, reopened.ClientSeq(42));
}

TEST(TaggedTest, TheClientTableKeepsTheHighestSequenceNumber) {
  Engine engine = NewEngine();
  for (uint64_t seq : {5u, 3u, 7u, 6u}) {
    TaggedBatch t(1, seq);
    t.Clear();
    ASSERT_TRUE(engine.Write(t).ok());
  }
  EXPECT_EQ(7u, engine.ClientSeq(1));
  EXPECT_EQ(7u, Reopen(engine.TakePending()).ClientSeq(1));
}

TEST(TaggedTest, TheTaggedPayloadIsTheDocumentedBytes) {
  Engine engine = NewEngine();
  engine.TakePending();
  TaggedBatch t(0x0102030405060708ULL, 300);
  t.Put("k", "v");
  t.Clear();
  ASSERT_TRUE(engine.Write(t).ok());
  const std::string rec = engine.TakePending();
  const std::string payload = rec.substr(9);
  EXPECT_EQ(log::kTagged, static_cast<uint8_t>(rec[8]));
  EXPECT_EQ(payload.size(), DecodeFixed32(&rec[4]));
  EXPECT_EQ(t.PayloadSize(), payload.size());
  const std::string expected = std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
                               "\xac\x02" +          // varint64 300
                               "\x01\x03\x01kv" +    // PUT, 3 bytes: 1 k v
                               std::string("\x03\x00", 2);  // CLEAR, 0 bytes
  EXPECT_EQ(expected, payload);
}

TEST(TaggedTest, AnEmptyTaggedWriteIsRefused) {
  Engine engine = NewEngine();
  EXPECT_TRUE(engine.Write(TaggedBatch(1, 1)).IsInvalidArgument());
  EXPECT_EQ(0u, engine.ClientSeq(1));
}

TEST(TaggedTest, ATaggedWriteOverTheMaximumIsRefusedAndChangesNothing) {
  Engine engine = NewEngine(64);
  TaggedBatch t(1, 1);
  t.Put("k", std::string(60, 'v'));
  const size_t before = engine.pending_size();
  EXPECT_TRUE(engine.Write(t).IsInvalidArgument());
  EXPECT_EQ(before, engine.pending_size());
  EXPECT_EQ(0u, engine.index().size());
  EXPECT_EQ(0u, engine.ClientSeq(1));
}

TEST(TaggedTest, AVersion1LogRefusesATaggedWriteUntilASnapshotReplacesIt) {
  Engine engine = Reopen(Version1Log());
  ASSERT_EQ(1u, engine.format_version());
  TaggedBatch t(1, 1);
  t.Put("b", "2");
  Status s = engine.Write(t);
  ASSERT_TRUE(s.IsFailedPrecondition()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("version 1"));
  EXPECT_FALSE(engine.has_pending());
  EXPECT_EQ((Entries{{"a", "1"}}), test::EntriesOf(engine));
  EXPECT_EQ(0u, engine.ClientSeq(1));
  // Untagged writes go on as before.
  ASSERT_TRUE(engine.Put("c", "3").ok());
  engine.TakePending();
  Engine::Snapshot info;
  const std::string snapshot = engine.EncodeSnapshot(&info);
  EXPECT_EQ(2u, DecodeFixed32(&snapshot[8]));
  engine.SnapshotInstalled(info);
  EXPECT_EQ(2u, engine.format_version());
  EXPECT_TRUE(engine.Write(t).ok());
}

TEST(TaggedTest, AVersion1LogReadsTaggedAndClientsRecordsAsDamage) {
  Engine v2 = NewEngine();
  v2.TakePending();
  TaggedBatch t(1, 1);
  t.Put("b", "2");
  ASSERT_TRUE(v2.Write(t).ok());
  const std::string log = Version1Log() + v2.TakePending();
  Engine engine;
  RecoveryReport report;
  ASSERT_TRUE(engine.Recover(log, &report).ok());  // a torn tail, dropped
  ASSERT_EQ(1u, report.damaged.size());
  EXPECT_EQ("unknown record type", report.damaged[0].reason);
  EXPECT_EQ((Entries{{"a", "1"}}), test::EntriesOf(engine));
  EngineOptions strict;
  strict.recovery = RecoveryMode::kStrict;
  Engine strict_engine(strict);
  EXPECT_TRUE(strict_engine.Recover(log, &report).IsCorruption());
}

TEST(TaggedTest, MalformedTaggedAndClientsPayloadsAreDamage) {
  auto record = [](uint8_t type, const std::string& payload) {
    std::string log;
    log::AppendFileHeader(0, &log);
    std::string rec(8, '\0');
    rec.push_back(static_cast<char>(type));
    rec += payload;
    EncodeFixed32(&rec[4], static_cast<uint32_t>(payload.size()));
    EncodeFixed32(&rec[0], crc32c::Mask(crc32c::Value(&rec[8], 1 + payload.size())));
    return log + rec;
  };
  const std::string id(8, '\x01');
  for (const auto& [type, payload] : std::vector<std::pair<uint8_t, std::string>>{
           {log::kTagged, id + "\x01"},                       // no inner record
           {log::kTagged, id.substr(0, 7)},                   // id cut short
           {log::kTagged, id + "\x01" + "\x05\x00"},          // inner TAGGED
           {log::kTagged, id + "\x01" + "\x03\x01x"},         // CLEAR with a payload
           {log::kTagged, id + "\x01" + "\x02\x05" "ab"},      // length past the end
           {log::kClients, "\x02" + id + "\x01"},             // fewer entries than the count
           {log::kClients, "\x01" + id + "\x01" + "x"},       // bytes after the last
       }) {
    Engine engine;
    EngineOptions strict;
    strict.recovery = RecoveryMode::kStrict;
    engine = Engine(strict);
    RecoveryReport report;
    Status s = engine.Recover(record(type, payload), &report);
    EXPECT_TRUE(s.IsCorruption()) << int(type) << " " << s.ToString();
    EXPECT_NE(std::string::npos, s.message().find("malformed payload")) << s.message();
  }
}

TEST(TaggedTest, ASnapshotCarriesTheClientTableInAClientsRecord) {
  Engine engine = NewEngine();
  for (uint64_t c = 1; c <= 3; ++c) {
    TaggedBatch t(c, 10 * c);
    t.Put("k" + std::to_string(c), "v");
    ASSERT_TRUE(engine.Write(t).ok());
  }
  engine.TakePending();
  Engine::Snapshot info;
  const std::string snapshot = engine.EncodeSnapshot(&info);
  EXPECT_EQ(log::kClients, static_cast<uint8_t>(snapshot[32 + 8]));
  EXPECT_EQ(3u, info.records);
  RecoveryReport report;
  Engine reopened = Reopen(snapshot, &report);
  EXPECT_EQ(4u, report.records);
  EXPECT_EQ(1u, report.client_records);
  EXPECT_EQ(3u, reopened.stats().total_records);
  for (uint64_t c = 1; c <= 3; ++c) EXPECT_EQ(10 * c, reopened.ClientSeq(c));
  engine.SnapshotInstalled(info);
  EXPECT_EQ(3u, engine.stats().total_records);
  EXPECT_EQ(snapshot.size(), engine.stats().log_bytes);
}

TEST(TaggedTest, ASnapshotKeepsTheLatest4096ClientsOldestFirst) {
  Engine engine = NewEngine();
  const uint64_t n = log::kMaxSnapshotClients + 100;
  for (uint64_t c = 0; c < n; ++c) {
    TaggedBatch t(c, c + 1);
    t.Delete("x");
    ASSERT_TRUE(engine.Write(t).ok());
  }
  // Client 0 writes again: it is among the latest now, 1..100 are not.
  TaggedBatch again(0, 1000000);
  again.Delete("x");
  ASSERT_TRUE(engine.Write(again).ok());
  engine.TakePending();
  Engine::Snapshot info;
  const std::string snapshot = engine.EncodeSnapshot(&info);
  Engine reopened = Reopen(snapshot);
  EXPECT_EQ(log::kMaxSnapshotClients, reopened.clients().size());
  EXPECT_EQ(1000000u, reopened.ClientSeq(0));
  EXPECT_EQ(0u, reopened.ClientSeq(1));
  EXPECT_EQ(0u, reopened.ClientSeq(100));
  EXPECT_EQ(102u, reopened.ClientSeq(101));
  EXPECT_EQ(n, reopened.ClientSeq(n - 1));
  // Oldest first: a second snapshot of the reopened engine is the same.
  Engine::Snapshot info2;
  std::string again_snapshot = reopened.EncodeSnapshot(&info2);
  EXPECT_EQ(snapshot.substr(32), again_snapshot.substr(32));
  // The engine that compacted forgets the same clients.
  engine.SnapshotInstalled(info);
  EXPECT_EQ(log::kMaxSnapshotClients, engine.clients().size());
  EXPECT_EQ(0u, engine.ClientSeq(100));
  EXPECT_EQ(102u, engine.ClientSeq(101));
}

TEST(TaggedTest, ASmallMaximumRecordSizeSplitsTheClientsRecord) {
  Engine engine = NewEngine(64);
  for (uint64_t c = 1; c <= 10; ++c) {
    TaggedBatch t(c, c);
    t.Clear();
    ASSERT_TRUE(engine.Write(t).ok());
  }
  engine.TakePending();
  Engine::Snapshot info;
  const std::string snapshot = engine.EncodeSnapshot(&info);
  EngineOptions options;
  options.max_record_size = 64;
  Engine reopened(options);
  RecoveryReport report;
  ASSERT_TRUE(reopened.Recover(snapshot, &report).ok());
  EXPECT_EQ(2u, report.client_records);  // 7 + 3 entries of 9 bytes
  for (uint64_t c = 1; c <= 10; ++c) EXPECT_EQ(c, reopened.ClientSeq(c));
}

TEST(TaggedTest, APieceSnapshotCarriesTheClientTableToo) {
  Engine engine = NewEngine();
  for (uint64_t c = 1; c <= 3; ++c) {
    TaggedBatch t(c, c);
    t.Put("k" + std::to_string(c), std::string(100, 'v'));
    ASSERT_TRUE(engine.Write(t).ok());
  }
  engine.TakePending();
  Engine::Snapshot whole_info;
  const std::string whole = engine.EncodeSnapshot(&whole_info);
  engine.BeginSnapshot();
  std::string pieces, piece;
  while (!engine.EncodeSnapshotPiece(64, &piece)) pieces += piece;
  pieces += piece;
  engine.EndSnapshot();
  EXPECT_EQ(whole, pieces);
}

// Op stream: u8 5, u32 client lo, hi, seq lo, hi, u32 n, n bytes.
std::string TaggedOp(uint64_t client, uint64_t seq, const std::string& inner) {
  std::string s(1, '\x05');
  PutFixed64(&s, client);
  PutFixed64(&s, seq);
  PutFixed32(&s, static_cast<uint32_t>(inner.size()));
  return s + inner;
}

std::string PutOp(const std::string& k, const std::string& v) {
  std::string s(1, '\x01');
  PutFixed32(&s, static_cast<uint32_t>(k.size()));
  s += k;
  PutFixed32(&s, static_cast<uint32_t>(v.size()));
  return s + v;
}

TEST(TaggedOpStreamTest, ATaggedOperationBecomesOneTaggedRecord) {
  Engine engine = NewEngine();
  engine.TakePending();
  std::string batch = std::string(1, '\x04');
  PutFixed32(&batch, 1);
  batch += std::string(1, '\x02') + std::string("\x01\0\0\0y", 5);
  const std::string inner = PutOp("x", "1") + std::string(1, '\x03') + batch;
  const std::string stream = TaggedOp(7, 3, inner) + PutOp("z", "2");
  ASSERT_TRUE(ApplyOpStream(stream, &engine).ok());
  EXPECT_EQ((Entries{{"z", "2"}}), test::EntriesOf(engine));
  EXPECT_EQ(3u, engine.ClientSeq(7));
  const std::string log = engine.TakePending();
  EXPECT_EQ(log::kTagged, static_cast<uint8_t>(log[8]));
  TaggedBatch expected(7, 3);
  expected.Put("x", "1");
  expected.Clear();
  WriteBatch wb;
  wb.Delete("y");
  expected.Write(wb);
  EXPECT_EQ(expected.PayloadSize(), DecodeFixed32(&log[4]));
  size_t oversize = 0;
  EXPECT_TRUE(CheckOpStream(stream, expected.PayloadSize(), &oversize).ok());
  EXPECT_TRUE(CheckOpStream(stream, expected.PayloadSize() - 1, &oversize)
                  .IsInvalidArgument());
  EXPECT_EQ(expected.PayloadSize(), oversize);
}

TEST(TaggedOpStreamTest, MalformedTaggedOperationsAreRefusedAndChangeNothing) {
  const std::string put = PutOp("a", "1");
  for (const auto& [stream, why] : std::vector<std::pair<std::string, std::string>>{
           {TaggedOp(1, 1, ""), "byte 0: a TAGGED holds no operations"},
           {TaggedOp(1, 1, put).substr(0, 30), "byte 0: a TAGGED is cut short"},
           {TaggedOp(1, 1, put).substr(0, 10), "byte 0: a TAGGED is cut short"},
           {put + TaggedOp(1, 1, TaggedOp(2, 2, put)),
            "byte 32: a TAGGED holds a TAGGED"},
           {TaggedOp(1, 1, put + "\x09"), "byte 32: unknown operation code"},
       }) {
    Engine engine = NewEngine();
    const size_t before = engine.pending_size();
    Status s = ApplyOpStream(stream, &engine);
    ASSERT_TRUE(s.IsInvalidArgument()) << why;
    EXPECT_NE(std::string::npos, s.message().find(why)) << s.message();
    EXPECT_EQ(before, engine.pending_size());
    EXPECT_EQ(0u, engine.index().size());
  }
}

TEST(TaggedOpStreamTest, AVersion1LogRefusesAStreamWithATaggedOperationWhole) {
  Engine engine = Reopen(Version1Log());
  const std::string stream = PutOp("b", "2") + TaggedOp(1, 1, PutOp("c", "3"));
  Status s = ApplyOpStream(stream, &engine);
  EXPECT_TRUE(s.IsFailedPrecondition()) << s.ToString();
  EXPECT_EQ("FAILED_PRECONDITION", std::string(s.CodeName()));
  EXPECT_FALSE(engine.has_pending());
  EXPECT_EQ((Entries{{"a", "1"}}), test::EntriesOf(engine));
}

}  // namespace
}  // namespace pmap
