// The log format and replay: byte layout, recovery modes, and sweeps that
// damage a log at every offset.
#include <random>
#include <string>
#include <vector>

#include "coding.h"
#include "crc32c.h"
#include "engine.h"
#include "gtest/gtest.h"
#include "log_format.h"
#include "log_reader.h"
#include "log_writer.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

using test::EntriesOf;

Status Replay(const std::string& log, RecoveryMode mode, Entries* entries,
              RecoveryReport* report) {
  EngineOptions options;
  options.recovery = mode;
  Engine engine(options);
  Status s = engine.Recover(log, report);
  *entries = EntriesOf(engine);
  return s;
}

// A log of a few records of every type; `ends` receives the offset after
// each record and `states` the map after it.
std::string SampleLog(std::vector<size_t>* ends, std::vector<Entries>* states) {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  std::string log = engine.TakePending();  // the header
  ends->assign(1, log.size());
  states->assign(1, Entries());
  auto step = [&](Status s) {
    ASSERT_TRUE(s.ok()) << s.ToString();
    log += engine.TakePending();
    ends->push_back(log.size());
    states->push_back(EntriesOf(engine));
  };
  step(engine.Put("alpha", "1"));
  step(engine.Put("beta", std::string(40, 'b')));
  step(engine.Put("alpha", "updated"));
  step(engine.Delete("beta"));
  WriteBatch batch;
  batch.Put("gamma", "3");
  batch.Put("delta", "");
  batch.Delete("alpha");
  step(engine.Write(batch));
  step(engine.Clear());
  step(engine.Put("", "empty key"));
  step(engine.Put("beta", "back"));
  return log;
}

TEST(LogFormatTest, HeaderAndPutRecordHaveTheDocumentedBytes) {
  std::string out;
  log::AppendFileHeader(7, &out);
  ASSERT_EQ(32u, out.size());
  EXPECT_EQ(std::string("PMAPLOG\0", 8), out.substr(0, 8));
  EXPECT_EQ(2u, DecodeFixed32(&out[8]));
  EXPECT_EQ(0u, DecodeFixed32(&out[12]));
  EXPECT_EQ(7u, DecodeFixed64(&out[16]));
  EXPECT_EQ(0u, DecodeFixed32(&out[24]));
  EXPECT_EQ(crc32c::Mask(crc32c::Value(out.data(), 28)), DecodeFixed32(&out[28]));

  std::string rec;
  log::AppendPut("key", "value", &rec);
  // crc(4) len(4) type(1) | varint 3, "key", "value"
  ASSERT_EQ(9u + 1 + 3 + 5, rec.size());
  EXPECT_EQ(9u, DecodeFixed32(&rec[4]));
  EXPECT_EQ(log::kPut, static_cast<uint8_t>(rec[8]));
  EXPECT_EQ(std::string("\x03keyvalue"), rec.substr(9));
  EXPECT_EQ(crc32c::Mask(crc32c::Value(&rec[8], 10)), DecodeFixed32(&rec[0]));
}

TEST(LogFormatTest, A16ByteKeyWith100ByteValueTakes126Bytes) {
  std::string rec;
  log::AppendPut(std::string(16, 'k'), std::string(100, 'v'), &rec);
  EXPECT_EQ(126u, rec.size());
}

TEST(LogFormatTest, VarintsRoundTripAndRejectOverlongEncodings) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0xffffffffu}) {
    std::string s;
    PutVarint32(&s, v);
    EXPECT_EQ(static_cast<size_t>(VarintLength(v)), s.size());
    std::string_view in(s);
    uint32_t out;
    ASSERT_TRUE(GetVarint32(&in, &out));
    EXPECT_EQ(v, out);
    EXPECT_TRUE(in.empty());
  }
  std::string_view too_big("\xff\xff\xff\xff\x1f", 5);
  uint32_t out;
  EXPECT_FALSE(GetVarint32(&too_big, &out));
  std::string_view cut("\x80\x80", 2);
  EXPECT_FALSE(GetVarint32(&cut, &out));
}

TEST(ReplayTest, ReplayRebuildsStateAndOrder) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  Entries got;
  RecoveryReport report;
  ASSERT_TRUE(Replay(log, RecoveryMode::kStrict, &got, &report).ok());
  EXPECT_EQ(states.back(), got);
  EXPECT_EQ(Entries({{"", "empty key"}, {"beta", "back"}}), got);
  EXPECT_EQ(log.size(), report.valid_bytes);
  EXPECT_TRUE(report.damaged.empty());
}

// The sweep: a log cut at every byte offset opens as exactly the
// prefix of whole records before the cut, and the cut is reported.
TEST(ReplayTest, TruncationAtEveryOffsetOpensAsThePrefixOfWholeRecords) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  for (size_t cut = 0; cut <= log.size(); ++cut) {
    Entries got;
    RecoveryReport report;
    Status s = Replay(log.substr(0, cut), RecoveryMode::kTolerateTornTail, &got, &report);
    ASSERT_TRUE(s.ok()) << "cut " << cut << ": " << s.ToString();
    size_t whole = 0;  // number of records entirely before the cut
    while (whole + 1 < ends.size() && ends[whole + 1] <= cut) ++whole;
    if (cut < ends[0]) {
      EXPECT_EQ(0u, report.valid_bytes);
      EXPECT_TRUE(got.empty());
    } else {
      EXPECT_EQ(states[whole], got) << "cut " << cut;
      EXPECT_EQ(ends[whole], report.valid_bytes) << "cut " << cut;
    }
    const bool torn = cut != 0 && cut != ends[whole] ;
    ASSERT_EQ(torn ? 1u : 0u, report.damaged.size()) << "cut " << cut;
    if (torn) {
      EXPECT_EQ(report.valid_bytes, report.damaged[0].begin);
      EXPECT_EQ(cut, report.damaged[0].end);
    }
    // Strict mode refuses every torn cut.
    Entries ignored;
    RecoveryReport strict_report;
    EXPECT_EQ(!torn, Replay(log.substr(0, cut), RecoveryMode::kStrict, &ignored,
                            &strict_report).ok()) << "cut " << cut;
  }
}

// A single flipped bit anywhere never yields a state that is not a prefix
// state: either it is dropped as a torn tail (and reported) or the open
// fails with Corruption.
TEST(ReplayTest, AFlippedBitAnywhereIsReportedNeverSilentlyLoaded) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  int refused = 0, dropped = 0;
  for (size_t byte = 0; byte < log.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = log;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      Entries got;
      RecoveryReport report;
      Status s = Replay(bad, RecoveryMode::kTolerateTornTail, &got, &report);
      if (!s.ok()) {
        EXPECT_TRUE(s.IsCorruption()) << s.ToString();
        ++refused;
        continue;
      }
      ++dropped;
      // Loaded: must be the state of some whole-record prefix, the damage
      // must be reported, and it must start at or before the flipped byte.
      ASSERT_FALSE(report.damaged.empty()) << "byte " << byte << " bit " << bit;
      EXPECT_LE(report.damaged[0].begin, byte);
      size_t whole = 0;
      while (whole + 1 < ends.size() && ends[whole + 1] <= report.valid_bytes) ++whole;
      EXPECT_EQ(ends[whole], report.valid_bytes);
      EXPECT_EQ(states[whole], got) << "byte " << byte << " bit " << bit;
    }
  }
  // Both outcomes occur: flips in the last record are a torn tail, the
  // rest are corruption.
  EXPECT_GT(refused, 0);
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(static_cast<int>(log.size()) * 8, refused + dropped);
}

TEST(ReplayTest, DamageFollowedByValidRecordsIsCorruptionNamingTheOffset) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  std::string bad = log;
  bad[ends[2] + 12] ^= 0x40;  // inside the payload of the third record
  Entries got;
  RecoveryReport report;
  Status s = Replay(bad, RecoveryMode::kTolerateTornTail, &got, &report);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos,
            s.message().find("log record at byte " + std::to_string(ends[2])))
      << s.message();
  EXPECT_NE(std::string::npos, s.message().find("bad checksum")) << s.message();
  EXPECT_TRUE(got.empty());
}

TEST(ReplayTest, SalvageSkipsEachDamagedRecordAndReportsIt) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  std::string bad = log;
  bad[ends[1] + 10] ^= 1;  // the record that puts beta = bbbb...
  Entries got;
  RecoveryReport report;
  ASSERT_TRUE(Replay(bad, RecoveryMode::kSalvage, &got, &report).ok());
  ASSERT_EQ(1u, report.damaged.size());
  EXPECT_EQ(ends[1], report.damaged[0].begin);
  EXPECT_EQ(ends[2], report.damaged[0].end);
  EXPECT_TRUE(report.needs_rewrite);
  EXPECT_EQ(states.back(), got);  // beta was deleted later anyway
}

TEST(ReplayTest, GarbageAfterValidDataIsATornTail) {
  std::vector<size_t> ends;
  std::vector<Entries> states;
  std::string log = SampleLog(&ends, &states);
  std::mt19937_64 rng(3);
  for (int round = 0; round < 50; ++round) {
    std::string bad = log;
    size_t n = 1 + rng() % 300;
    for (size_t i = 0; i < n; ++i) bad.push_back(static_cast<char>(rng()));
    Entries got;
    RecoveryReport report;
    ASSERT_TRUE(Replay(bad, RecoveryMode::kTolerateTornTail, &got, &report).ok());
    EXPECT_EQ(states.back(), got);
    EXPECT_EQ(log.size(), report.valid_bytes);
  }
  std::string zeros = log + std::string(4096, '\0');
  Entries got;
  RecoveryReport report;
  ASSERT_TRUE(Replay(zeros, RecoveryMode::kTolerateTornTail, &got, &report).ok());
  EXPECT_EQ(log.size(), report.valid_bytes);
}

TEST(ReplayTest, ACorruptLengthIsCheckedBeforeAnythingIsAllocated) {
  std::string log;
  log::AppendFileHeader(0, &log);
  std::string rec;
  log::AppendPut("k", "v", &rec);
  EncodeFixed32(&rec[4], 0xfffffff0u);  // 4 GiB
  for (RecoveryMode mode : {RecoveryMode::kTolerateTornTail, RecoveryMode::kSalvage}) {
    Entries got;
    RecoveryReport report;
    ASSERT_TRUE(Replay(log + rec, mode, &got, &report).ok());
    ASSERT_EQ(1u, report.damaged.size());
    EXPECT_EQ("length exceeds the maximum record size", report.damaged[0].reason);
  }
}

TEST(ReplayTest, UnknownRecordTypeAndMalformedPayloadAreDamage) {
  std::string header;
  log::AppendFileHeader(0, &header);
  auto record = [](uint8_t type, const std::string& payload) {
    std::string r(9, '\0');
    EncodeFixed32(&r[4], static_cast<uint32_t>(payload.size()));
    r[8] = static_cast<char>(type);
    r += payload;
    EncodeFixed32(&r[0], crc32c::Mask(crc32c::Value(&r[8], 1 + payload.size())));
    return r;
  };
  std::string ok;
  log::AppendPut("k", "v", &ok);
  for (const std::string& bad :
       {record(9, "x"), record(log::kPut, "\x05k"), record(log::kClear, "x"),
        record(log::kBatch, "\x02\x01\x01k\x01v"), record(log::kBatch, "\x01\x07\x01k")}) {
    Entries got;
    RecoveryReport report;
    Status s = Replay(header + bad + ok, RecoveryMode::kTolerateTornTail, &got, &report);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    s = Replay(header + bad + ok, RecoveryMode::kSalvage, &got, &report);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(Entries({{"k", "v"}}), got);
  }
}

TEST(ReplayTest, BadHeadersFailInEveryMode) {
  std::string good;
  log::AppendFileHeader(0, &good);
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string bad_version = good;
  EncodeFixed32(&bad_version[8], 3);
  EncodeFixed32(&bad_version[28], crc32c::Mask(crc32c::Value(bad_version.data(), 28)));
  std::string bad_crc = good;
  bad_crc[20] ^= 1;
  for (const auto& [bad, text] : std::vector<std::pair<std::string, std::string>>{
           {bad_magic, "bad magic"}, {bad_version, "version 3"}, {bad_crc, "checksum"}}) {
    for (RecoveryMode mode : {RecoveryMode::kTolerateTornTail, RecoveryMode::kStrict,
                              RecoveryMode::kSalvage}) {
      Entries got;
      RecoveryReport report;
      Status s = Replay(bad, mode, &got, &report);
      ASSERT_TRUE(s.IsCorruption());
      EXPECT_NE(std::string::npos, s.message().find(text)) << s.message();
    }
  }
}

TEST(ReplayTest, AShortFileThatIsNotTheStartOfAHeaderIsRefused) {
  for (RecoveryMode mode : {RecoveryMode::kTolerateTornTail, RecoveryMode::kSalvage}) {
    Entries got;
    RecoveryReport report;
    EXPECT_TRUE(Replay("hello", mode, &got, &report).IsCorruption());
    EXPECT_TRUE(Replay(std::string("PMAPLOG\0\x01", 9), mode, &got, &report).ok());
    EXPECT_TRUE(Replay("PMA", mode, &got, &report).ok());
  }
}

// A record over the opener's maximum record size: tests/record_limit_test.cc.

TEST(RecoveryModeTest, NamesParseAndPrint) {
  for (RecoveryMode m : {RecoveryMode::kTolerateTornTail, RecoveryMode::kStrict,
                         RecoveryMode::kSalvage}) {
    RecoveryMode parsed;
    ASSERT_TRUE(ParseRecoveryMode(RecoveryModeName(m), &parsed));
    EXPECT_EQ(m, parsed);
  }
  RecoveryMode parsed;
  EXPECT_FALSE(ParseRecoveryMode("lenient", &parsed));
}

}  // namespace
}  // namespace pmap
