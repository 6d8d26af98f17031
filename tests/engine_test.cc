// The sans-I/O Engine: pending bytes, refusal without change, compaction
// policy and snapshot accounting.
#include "engine.h"

#include "gtest/gtest.h"

namespace pmap {
namespace {

Engine NewEngine(EngineOptions options = {}) {
  Engine engine(options);
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  return engine;
}

TEST(EngineTest, ANewLogStartsWithAHeaderInThePendingBytes) {
  Engine engine = NewEngine();
  EXPECT_EQ(32u, engine.pending_size());
  EXPECT_EQ(32u, engine.stats().log_bytes);
}

TEST(EngineTest, NoOpsWriteNothing) {
  Engine engine = NewEngine();
  engine.TakePending();
  bool existed = true;
  ASSERT_TRUE(engine.Delete("absent", &existed).ok());
  EXPECT_FALSE(existed);
  ASSERT_TRUE(engine.Clear().ok());  // already empty
  ASSERT_TRUE(engine.Write(WriteBatch()).ok());
  EXPECT_FALSE(engine.has_pending());
  EXPECT_EQ(0u, engine.stats().total_records);
}

TEST(EngineTest, RefusedWritesLeaveStateAndPendingBytesUnchanged) {
  EngineOptions options;
  options.max_record_size = 64;
  Engine engine = NewEngine(options);
  ASSERT_TRUE(engine.Put("k", "v").ok());
  const std::string pending = engine.TakePending();
  EXPECT_TRUE(engine.Put("k", std::string(100, 'x')).IsInvalidArgument());
  WriteBatch batch;
  batch.Put("a", std::string(40, 'x'));
  batch.Put("b", std::string(40, 'x'));
  EXPECT_TRUE(engine.Write(batch).IsInvalidArgument());
  EXPECT_FALSE(engine.has_pending());
  EXPECT_EQ(1u, engine.index().size());
  std::string_view v;
  ASSERT_TRUE(engine.index().Get("k", &v));
  EXPECT_EQ("v", v);
  EXPECT_FALSE(engine.index().Contains("a"));
}

TEST(EngineTest, CompactionIsDueAtTheRatioOnceTheLogIsBigEnough) {
  EngineOptions options;
  options.compaction.min_log_bytes = 1000;
  options.compaction.ratio = 2.0;
  Engine engine = NewEngine(options);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(engine.Put("k" + std::to_string(i), "v").ok());
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(engine.Put("k0", std::string(200, 'x')).ok());
  // 19 records for 10 live: not yet 2.0.
  EXPECT_FALSE(engine.ShouldCompact());
  ASSERT_TRUE(engine.Put("k0", "y").ok());
  EXPECT_TRUE(engine.ShouldCompact());

  EngineOptions manual = options;
  manual.compaction.automatic = false;
  Engine quiet = NewEngine(manual);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(quiet.Put("k", std::string(100, 'x')).ok());
  EXPECT_FALSE(quiet.ShouldCompact());
}

TEST(EngineTest, ASmallLogIsNeverCompactedAutomatically) {
  Engine engine = NewEngine();  // 1 MiB minimum
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(engine.Put("k", "v").ok());
  EXPECT_FALSE(engine.ShouldCompact());
}

TEST(EngineTest, SnapshotInstallationAccountsForWritesMadeMeanwhile) {
  Engine engine = NewEngine();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(engine.Put("k", std::to_string(i)).ok());
  engine.TakePending();
  Engine::Snapshot snapshot;
  const std::string bytes = engine.EncodeSnapshot(&snapshot);
  EXPECT_EQ(1u, snapshot.generation);
  EXPECT_EQ(1u, snapshot.records);
  EXPECT_EQ(bytes.size(), snapshot.bytes);
  ASSERT_TRUE(engine.Put("late", "write").ok());  // while the snapshot is stored
  engine.SnapshotInstalled(snapshot);
  EngineStats st = engine.stats();
  EXPECT_EQ(2u, st.total_records);
  EXPECT_EQ(1u, st.generation);
  const std::string late = engine.TakePending();
  EXPECT_EQ(bytes.size() + late.size(), engine.stats().log_bytes);

  Engine reopened;
  RecoveryReport report;
  ASSERT_TRUE(reopened.Recover(bytes + late, &report).ok());
  EXPECT_EQ(2u, reopened.index().size());
  EXPECT_EQ(1u, report.generation);
}

TEST(EngineTest, BytesTakenWhileTheSnapshotIsStoredBecomeTheNewLogsTail) {
  Engine engine = NewEngine();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(engine.Put("k", std::to_string(i)).ok());
  engine.TakePending();
  Engine::Snapshot snapshot;
  const std::string bytes = engine.EncodeSnapshot(&snapshot);
  // Taken meanwhile: appended to the old log and to the new one's tail.
  ASSERT_TRUE(engine.Put("late", "write").ok());
  ASSERT_TRUE(engine.Delete("k").ok());
  const std::string tail = engine.TakePending();
  engine.SnapshotInstalled(snapshot);
  EngineStats st = engine.stats();
  EXPECT_EQ(bytes.size() + tail.size(), st.log_bytes);
  EXPECT_EQ(3u, st.total_records);
  EXPECT_EQ(1u, st.live_records);

  Engine reopened;
  RecoveryReport report;
  ASSERT_TRUE(reopened.Recover(bytes + tail, &report).ok());
  EXPECT_EQ(bytes.size() + tail.size(), report.valid_bytes);
  EXPECT_EQ(reopened.stats().total_records, st.total_records);
  EXPECT_EQ(1u, reopened.index().size());
}

TEST(EngineTest, SnapshotChunksConcatenateToTheWholeSnapshot) {
  Engine engine = NewEngine();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(engine.Put("key" + std::to_string(i), "value").ok());
  Engine::Snapshot whole_info;
  const std::string whole = engine.EncodeSnapshot(&whole_info);
  std::string joined;
  int pieces = 0;
  engine.EncodeSnapshot(100, [&](std::string_view piece) {
    joined.append(piece);
    ++pieces;
  });
  EXPECT_EQ(whole, joined);
  EXPECT_GT(pieces, 10);
}

TEST(EngineTest, RecoverReplacesEarlierState) {
  Engine engine = NewEngine();
  ASSERT_TRUE(engine.Put("old", "state").ok());
  RecoveryReport report;
  ASSERT_TRUE(engine.Recover("", &report).ok());
  EXPECT_EQ(0u, engine.index().size());
  ASSERT_TRUE(engine.Put("old", "state").ok());
  EXPECT_TRUE(engine.Recover("not a log file, definitely", &report).IsCorruption());
  EXPECT_EQ(0u, engine.index().size());
}

}  // namespace
}  // namespace pmap
