// Engine::Follow: applying the records another writer appended, with the
// checks of recovery, all or nothing, reporting every operation applied.
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "coding.h"
#include "crc32c.h"
#include "engine.h"
#include "gtest/gtest.h"
#include "log_format.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// What the visitor saw, one line per operation: "put k", "delete k",
// "clear", with " @<client>" for an operation of a TAGGED record.
using Seen = std::vector<std::string>;

std::string Describe(const AppliedOp& op) {
  std::string s;
  switch (op.kind) {
    case AppliedOp::Kind::kPut:
      s = "put " + std::string(op.key);
      break;
    case AppliedOp::Kind::kDelete:
      s = "delete " + std::string(op.key);
      break;
    case AppliedOp::Kind::kClear:
      s = "clear";
      break;
  }
  if (op.tagged) s += " @" + std::to_string(op.client);
  return s;
}

// A leader and a follower that both opened the same new log.
struct Pair {
  explicit Pair(uint32_t max_record_size = log::kDefaultMaxRecordSize) {
    EngineOptions options;
    options.max_record_size = max_record_size;
    leader = Engine(options);
    follower = Engine(options);
    RecoveryReport report;
    EXPECT_TRUE(leader.Recover("", &report).ok());
    header = leader.TakePending();
    EXPECT_TRUE(follower.Recover(header, &report).ok());
  }
  Status Follow(std::string_view run, Seen* seen = nullptr) {
    return follower.Follow(run, [seen](const AppliedOp& op) {
      if (seen != nullptr) seen->push_back(Describe(op));
    });
  }
  Engine leader, follower;
  std::string header;
};

TEST(FollowTest, AFollowerThatAppliesTheLeadersRecordsHasItsStateAndStats) {
  Pair p;
  ASSERT_TRUE(p.leader.Put("a", "1").ok());
  ASSERT_TRUE(p.leader.Put("b", "2").ok());
  std::string first = p.leader.TakePending();
  WriteBatch batch;
  batch.Put("c", "3");
  batch.Delete("a");
  ASSERT_TRUE(p.leader.Write(batch).ok());
  ASSERT_TRUE(p.leader.Put("b", "two").ok());
  std::string second = p.leader.TakePending();

  Seen seen;
  ASSERT_TRUE(p.Follow(first, &seen).ok());
  ASSERT_TRUE(p.Follow(second, &seen).ok());
  EXPECT_EQ((Seen{"put a", "put b", "put c", "delete a", "put b"}), seen);
  EXPECT_EQ(test::EntriesOf(p.leader), test::EntriesOf(p.follower));
  const EngineStats l = p.leader.stats(), f = p.follower.stats();
  EXPECT_EQ(l.total_records, f.total_records);
  EXPECT_EQ(l.live_records, f.live_records);
  EXPECT_EQ(l.log_bytes, f.log_bytes);
  EXPECT_EQ(0u, f.pending_bytes);
  EXPECT_EQ(p.leader.ShouldCompact(), p.follower.ShouldCompact());
}

TEST(FollowTest, TheVisitorSeesClearsAndTheClientOfTaggedRecords) {
  Pair p;
  ASSERT_TRUE(p.leader.Put("x", "1").ok());
  TaggedBatch tagged(0x0123456789abcdefULL, 7);
  tagged.Put("y", "2");
  tagged.Clear();
  WriteBatch batch;
  batch.Put("z", "3");
  batch.Delete("q");
  tagged.Write(batch);
  tagged.Delete("z");
  ASSERT_TRUE(p.leader.Write(tagged).ok());
  ASSERT_TRUE(p.leader.Delete("nothing-here").ok());  // writes nothing
  ASSERT_TRUE(p.leader.Put("w", "4").ok());
  Seen seen;
  ASSERT_TRUE(p.Follow(p.leader.TakePending(), &seen).ok());
  const std::string c = " @" + std::to_string(0x0123456789abcdefULL);
  EXPECT_EQ((Seen{"put x", "put y" + c, "clear" + c, "put z" + c,
                  "delete q" + c, "delete z" + c, "put w"}),
            seen);
  EXPECT_EQ((Entries{{"w", "4"}}), test::EntriesOf(p.follower));
  EXPECT_EQ(7u, p.follower.ClientSeq(0x0123456789abcdefULL));
  EXPECT_EQ(p.leader.stats().total_records, p.follower.stats().total_records);
}

TEST(FollowTest, AnEmptyRunAppliesNothing) {
  Pair p;
  Seen seen;
  ASSERT_TRUE(p.Follow("", &seen).ok());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(32u, p.follower.stats().log_bytes);
}

// A run of three records whose second is damaged by `damage`: nothing of
// it is applied, and the status names the second record's offset.
void ExpectRefused(const std::function<void(std::string*, size_t)>& damage,
                   const std::string& why) {
  Pair p;
  ASSERT_TRUE(p.leader.Put("before", "0").ok());
  ASSERT_TRUE(p.Follow(p.leader.TakePending()).ok());
  ASSERT_TRUE(p.leader.Put("a", "1").ok());
  const size_t second = p.leader.pending_size();
  ASSERT_TRUE(p.leader.Put("b", "2").ok());
  ASSERT_TRUE(p.leader.Put("c", "3").ok());
  std::string run = p.leader.TakePending();
  damage(&run, second);
  const EngineStats before = p.follower.stats();
  Seen seen;
  Status s = p.Follow(run, &seen);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos,
            s.message().find("byte " + std::to_string(second)))
      << s.message();
  EXPECT_NE(std::string::npos, s.message().find(why)) << s.message();
  EXPECT_NE(std::string::npos, s.message().find("nothing was applied"));
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ((Entries{{"before", "0"}}), test::EntriesOf(p.follower));
  EXPECT_EQ(before.total_records, p.follower.stats().total_records);
  EXPECT_EQ(before.log_bytes, p.follower.stats().log_bytes);
}

TEST(FollowTest, ADamagedRecordInTheRunAppliesNoneOfIt) {
  ExpectRefused([](std::string* run, size_t at) { (*run)[at + 10] ^= 1; },
                "bad checksum");
}

TEST(FollowTest, ARecordOfUnknownTypeAppliesNoneOfTheRun) {
  ExpectRefused([](std::string* run, size_t at) { (*run)[at + 8] = 9; },
                "unknown record type");
}

TEST(FollowTest, ALengthBeyondTheRunAppliesNoneOfIt) {
  ExpectRefused(
      [](std::string* run, size_t at) { EncodeFixed32(&(*run)[at + 4], 1000); },
      "length beyond end");
}

TEST(FollowTest, APayloadThatDoesNotParseAppliesNoneOfTheRun) {
  ExpectRefused(
      [](std::string* run, size_t at) {
        // A PUT whose key length runs past its payload, checksummed.
        (*run)[at + 9] = 100;
        const uint32_t n = DecodeFixed32(&(*run)[at + 4]);
        EncodeFixed32(&(*run)[at],
                      crc32c::Mask(crc32c::Value(&(*run)[at + 8], 1 + n)));
      },
      "malformed payload");
}

TEST(FollowTest, ARunCutInItsLastRecordAppliesNoneOfIt) {
  Pair p;
  ASSERT_TRUE(p.leader.Put("a", "1").ok());
  ASSERT_TRUE(p.leader.Put("b", "2").ok());
  std::string run = p.leader.TakePending();
  for (size_t cut = 1; cut < run.size(); ++cut) {
    if (cut == run.size() / 2) continue;  // a whole record
    Seen seen;
    Status s = p.Follow(std::string_view(run).substr(0, cut), &seen);
    ASSERT_TRUE(s.IsCorruption()) << cut << ": " << s.ToString();
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(0u, p.follower.index().size());
  }
}

TEST(FollowTest, AHeaderIsNotARunOfRecords) {
  Pair p;
  Status s = p.Follow(p.header);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(32u, p.follower.stats().log_bytes);
}

TEST(FollowTest, AnIntactRecordOverTheMaximumIsInvalidArgumentAndAppliesNothing) {
  Pair big;
  ASSERT_TRUE(big.leader.Put("a", "1").ok());
  ASSERT_TRUE(big.leader.Put("big", std::string(500, 'v')).ok());
  std::string run = big.leader.TakePending();
  Pair small(100);
  Seen seen;
  Status s = small.Follow(run, &seen);
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("maximum record size"));
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(0u, small.follower.index().size());
}

TEST(FollowTest, TaggedAndClientsRecordsAreDamageToAFollowerOfAVersion1Log) {
  // A follower of a version 1 log reads types 5 and 6 as unknown, as its
  // recovery would.
  Engine leader;
  RecoveryReport report;
  ASSERT_TRUE(leader.Recover("", &report).ok());
  leader.TakePending();
  TaggedBatch tagged(1, 1);
  tagged.Put("k", "v");
  ASSERT_TRUE(leader.Write(tagged).ok());
  std::string header;
  log::AppendFileHeader(0, &header);
  EncodeFixed32(&header[8], 1);
  EncodeFixed32(&header[28], crc32c::Mask(crc32c::Value(header.data(), 28)));
  Engine follower;
  ASSERT_TRUE(follower.Recover(header, &report).ok());
  ASSERT_EQ(1u, follower.format_version());
  Status s = follower.Follow(leader.TakePending(), [](const AppliedOp&) {});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("unknown record type"));
  EXPECT_EQ(0u, follower.index().size());
}

TEST(FollowTest, AFollowerThatReopensTheLogHasTheSameState) {
  Pair p;
  std::string log = p.header;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 5; ++i) {
      const std::string key = "k" + std::to_string(rng() % 20);
      switch (rng() % 4) {
        case 0:
          ASSERT_TRUE(p.leader.Delete(key).ok());
          break;
        case 1: {
          TaggedBatch t(rng() % 3, round);
          t.Put(key, std::to_string(round));
          if (rng() % 5 == 0) t.Clear();
          ASSERT_TRUE(p.leader.Write(t).ok());
          break;
        }
        default:
          ASSERT_TRUE(p.leader.Put(key, std::to_string(i)).ok());
      }
    }
    std::string run = p.leader.TakePending();
    log += run;
    ASSERT_TRUE(p.Follow(run).ok());
  }
  Engine reopened;
  RecoveryReport report;
  ASSERT_TRUE(reopened.Recover(log, &report).ok());
  EXPECT_EQ(test::EntriesOf(reopened), test::EntriesOf(p.follower));
  EXPECT_EQ(reopened.stats().total_records, p.follower.stats().total_records);
  EXPECT_EQ(reopened.stats().log_bytes, p.follower.stats().log_bytes);
  for (uint64_t c = 0; c < 3; ++c) {
    EXPECT_EQ(reopened.ClientSeq(c), p.follower.ClientSeq(c));
  }
}

}  // namespace
}  // namespace pmap
