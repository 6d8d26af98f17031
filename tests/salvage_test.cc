// Salvage and values that hold log bytes: a damaged record whose extent is
// known (its header is plausible, or one flipped bit away from a record
// whose checksum matches) is skipped whole, so records embedded in its value
// are never loaded.
#include <string>
#include <vector>

#include "engine.h"
#include "gtest/gtest.h"
#include "log_writer.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

using test::EntriesOf;

// A log whose middle record (at *outer_at, ending at *outer_end) puts a
// byte value holding a well-formed PUT of admin = true; with `record_after`
// another record follows it.
std::string LogWithAnEmbeddedRecord(bool record_after, size_t* outer_at,
                                    size_t* outer_end) {
  std::string embedded;
  log::AppendPut("admin", "true", &embedded);
  const std::string value =
      "\x01"
      "backup:" +
      embedded + "end";
  Engine writer;
  RecoveryReport report;
  EXPECT_TRUE(writer.Recover("", &report).ok());
  EXPECT_TRUE(writer.Put("a", "1").ok());
  std::string log = writer.TakePending();
  *outer_at = log.size();
  EXPECT_TRUE(writer.Put("backup", value).ok());
  log += writer.TakePending();
  *outer_end = log.size();
  if (record_after) {
    EXPECT_TRUE(writer.Put("z", "2").ok());
    log += writer.TakePending();
  }
  return log;
}

Status Salvage(const std::string& log, Entries* entries,
               RecoveryReport* report) {
  EngineOptions options;
  options.recovery = RecoveryMode::kSalvage;
  Engine engine(options);
  Status s = engine.Recover(log, report);
  *entries = EntriesOf(engine);
  return s;
}

TEST(SalvageTest, ARecordEmbeddedInAValueWithABadChecksumIsNotLoaded) {
  size_t at = 0, end = 0;
  std::string log = LogWithAnEmbeddedRecord(true, &at, &end);
  log[at] ^= 0x01;  // the outer record's checksum
  Entries got;
  RecoveryReport report;
  ASSERT_TRUE(Salvage(log, &got, &report).ok());
  EXPECT_EQ(Entries({{"a", "1"}, {"z", "2"}}), got);
  ASSERT_EQ(1u, report.damaged.size());
  EXPECT_EQ(at, report.damaged[0].begin);
  EXPECT_EQ(end, report.damaged[0].end);
  EXPECT_TRUE(report.needs_rewrite);
}

// Every bit of the outer record, its envelope (checksum, length, type) and
// its payload: salvage drops exactly that record and never loads the one
// inside its value.
TEST(SalvageTest, AFlippedBitAnywhereInTheOuterRecordNeverLoadsTheEmbeddedOne) {
  for (bool record_after : {true, false}) {
    size_t at = 0, end = 0;
    const std::string log = LogWithAnEmbeddedRecord(record_after, &at, &end);
    const Entries want = record_after ? Entries({{"a", "1"}, {"z", "2"}})
                                      : Entries({{"a", "1"}});
    for (size_t byte = at; byte < end; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        SCOPED_TRACE("byte " + std::to_string(byte - at) + " bit " +
                     std::to_string(bit) +
                     (record_after ? ", a record after" : ", last record"));
        std::string bad = log;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        Entries got;
        RecoveryReport report;
        ASSERT_TRUE(Salvage(bad, &got, &report).ok());
        EXPECT_EQ(want, got);
        ASSERT_EQ(1u, report.damaged.size());
        EXPECT_EQ(at, report.damaged[0].begin);
        EXPECT_EQ(record_after ? end : bad.size(), report.damaged[0].end);
      }
    }
  }
}

// The default mode refuses such a log rather than calling it a torn tail:
// the record inside the value reads as a valid record after the damage.
TEST(SalvageTest, TolerateTornTailRefusesADamagedRecordHoldingAValidOne) {
  size_t at = 0, end = 0;
  std::string log = LogWithAnEmbeddedRecord(false, &at, &end);
  log[at + 8] ^= 0x04;  // the outer record's type: PUT becomes 5
  EngineOptions options;
  Engine engine(options);
  RecoveryReport report;
  Status s = engine.Recover(log, &report);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos,
            s.message().find("log record at byte " + std::to_string(at)))
      << s.message();
}

// Where the damaged header gives no extent (here a run of zeros over the
// whole header), salvage resynchronises at the next valid record.
TEST(SalvageTest, AnUnreadableHeaderResynchronisesAtTheNextValidRecord) {
  Engine writer;
  RecoveryReport report;
  ASSERT_TRUE(writer.Recover("", &report).ok());
  ASSERT_TRUE(writer.Put("a", "1").ok());
  std::string log = writer.TakePending();
  const size_t at = log.size();
  ASSERT_TRUE(writer.Put("b", "2").ok());
  ASSERT_TRUE(writer.Put("c", "3").ok());
  log += writer.TakePending();
  for (size_t i = at; i < at + 9; ++i) log[i] = '\0';
  Entries got;
  ASSERT_TRUE(Salvage(log, &got, &report).ok());
  EXPECT_EQ(Entries({{"a", "1"}, {"c", "3"}}), got);
  ASSERT_EQ(1u, report.damaged.size());
  EXPECT_EQ(at, report.damaged[0].begin);
  EXPECT_EQ(at + 12, report.damaged[0].end);
}

}  // namespace
}  // namespace pmap
