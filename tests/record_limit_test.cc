// A log that holds an intact record larger than the maximum record size it
// is opened with: the open is refused with InvalidArgument in every recovery
// mode and nothing is dropped (the store is fine, the limit is too small).
#include <string>
#include <vector>

#include "engine.h"
#include "gtest/gtest.h"
#include "log_format.h"
#include "log_writer.h"
#include "native/store.h"
#include "record_size.h"
#include "test_util.h"

namespace pmap {
namespace {

constexpr RecoveryMode kAllModes[] = {RecoveryMode::kTolerateTornTail,
                                      RecoveryMode::kStrict,
                                      RecoveryMode::kSalvage};

// A log written with a 1 MiB limit: "small", then a 200 KB value under
// "big" (at *big_at, with a payload of *big_payload bytes), then `after`
// more small records.
std::string LogWithABigRecord(int after, size_t* big_at, size_t* big_payload) {
  EngineOptions options;
  options.max_record_size = 1u << 20;
  Engine writer(options);
  RecoveryReport report;
  EXPECT_TRUE(writer.Recover("", &report).ok());
  EXPECT_TRUE(writer.Put("small", "1").ok());
  std::string log = writer.TakePending();
  *big_at = log.size();
  const std::string value(200000, 'v');
  *big_payload = log::PutPayloadSize("big", value);
  EXPECT_TRUE(writer.Put("big", value).ok());
  for (int i = 0; i < after; ++i) {
    EXPECT_TRUE(writer.Put("after" + std::to_string(i), "2").ok());
  }
  log += writer.TakePending();
  return log;
}

Status RecoverWithLimit(const std::string& log, uint32_t limit,
                        RecoveryMode mode, Engine* engine,
                        RecoveryReport* report) {
  EngineOptions options;
  options.max_record_size = limit;
  options.recovery = mode;
  *engine = Engine(options);
  return engine->Recover(log, report);
}

void ExpectRefusalNaming(const Status& s, size_t offset, size_t payload) {
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos,
            s.message().find("log record at byte " + std::to_string(offset)))
      << s.message();
  EXPECT_NE(std::string::npos, s.message().find(std::to_string(payload)))
      << s.message();
  EXPECT_NE(std::string::npos, s.message().find("maxRecordSize"))
      << s.message();
  EXPECT_NE(std::string::npos, s.message().find("max_record_size"))
      << s.message();
}

TEST(RecordLimitTest, AnIntactLastRecordOverTheLimitIsRefusedInEveryMode) {
  size_t at = 0, payload = 0;
  const std::string log = LogWithABigRecord(0, &at, &payload);
  for (RecoveryMode mode : kAllModes) {
    SCOPED_TRACE(RecoveryModeName(mode));
    Engine engine;
    RecoveryReport report;
    Status s = RecoverWithLimit(log, 64u << 10, mode, &engine, &report);
    ExpectRefusalNaming(s, at, payload);
    EXPECT_EQ(0u, engine.index().size());
  }
}

TEST(RecordLimitTest, AnIntactMiddleRecordOverTheLimitIsRefusedInEveryMode) {
  size_t at = 0, payload = 0;
  const std::string log = LogWithABigRecord(3, &at, &payload);
  for (RecoveryMode mode : kAllModes) {
    SCOPED_TRACE(RecoveryModeName(mode));
    Engine engine;
    RecoveryReport report;
    ExpectRefusalNaming(
        RecoverWithLimit(log, 64u << 10, mode, &engine, &report), at, payload);
  }
}

TEST(RecordLimitTest, TheSameLogOpensWithALimitLargeEnough) {
  size_t at = 0, payload = 0;
  const std::string log = LogWithABigRecord(1, &at, &payload);
  for (RecoveryMode mode : kAllModes) {
    Engine engine;
    RecoveryReport report;
    ASSERT_TRUE(RecoverWithLimit(log, static_cast<uint32_t>(payload), mode,
                                 &engine, &report)
                    .ok());
    EXPECT_EQ(3u, engine.index().size());
    EXPECT_EQ(log.size(), report.valid_bytes);
  }
}

TEST(RecordLimitTest, ABigRecordCutShortIsStillATornTail) {
  size_t at = 0, payload = 0;
  const std::string log = LogWithABigRecord(0, &at, &payload);
  const std::string torn = log.substr(0, log.size() - 1000);
  for (RecoveryMode mode :
       {RecoveryMode::kTolerateTornTail, RecoveryMode::kSalvage}) {
    Engine engine;
    RecoveryReport report;
    ASSERT_TRUE(RecoverWithLimit(torn, 64u << 10, mode, &engine, &report).ok());
    EXPECT_EQ(at, report.valid_bytes);
    EXPECT_EQ(1u, engine.index().size());
  }
}

// Damage before the big record: tolerate-torn-tail must not take the big
// record for part of a torn tail, and salvage must not skip it.
TEST(RecordLimitTest, AnIntactRecordOverTheLimitAfterDamageIsNeverDropped) {
  size_t at = 0, payload = 0;
  std::string log = LogWithABigRecord(0, &at, &payload);
  log[at - 2] ^= 0x10;  // inside the record of "small"
  Engine engine;
  RecoveryReport report;
  Status s = RecoverWithLimit(log, 64u << 10, RecoveryMode::kTolerateTornTail,
                              &engine, &report);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(
      std::string::npos,
      s.message().find("valid records follow at byte " + std::to_string(at)))
      << s.message();
  EXPECT_TRUE(
      RecoverWithLimit(log, 64u << 10, RecoveryMode::kStrict, &engine, &report)
          .IsCorruption());
  ExpectRefusalNaming(RecoverWithLimit(log, 64u << 10, RecoveryMode::kSalvage,
                                       &engine, &report),
                      at, payload);
}

TEST(RecordLimitTest, AStoreOpenedWithATooSmallLimitIsRefusedAndUnchanged) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  StoreOptions big;
  big.engine.max_record_size = 1u << 20;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(path, big, &store).ok());
    ASSERT_TRUE(store->Put("big", std::string(200000, 'v')).ok());
    ASSERT_TRUE(store->Close().ok());
  }
  const std::string before = test::ReadFileOrDie(path);
  for (RecoveryMode mode : kAllModes) {
    StoreOptions small;
    small.engine.max_record_size = 64u << 10;
    small.engine.recovery = mode;
    std::unique_ptr<Store> store;
    Status s = Store::Open(path, small, &store);
    ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(std::string::npos, s.message().find(path)) << s.message();
    EXPECT_NE(std::string::npos, s.message().find("max_record_size"))
        << s.message();
    EXPECT_EQ(nullptr, store);
    EXPECT_EQ(before, test::ReadFileOrDie(path));
  }
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(path, big, &store).ok());
  std::string value;
  ASSERT_TRUE(store->Get("big", &value));
  EXPECT_EQ(200000u, value.size());
}

}  // namespace
}  // namespace pmap
