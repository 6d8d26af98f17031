// A snapshot encoded a piece at a time while writes go on between the
// pieces (Engine::BeginSnapshot / EncodeSnapshotPiece / EndSnapshot): the
// snapshot followed by the bytes taken meanwhile (the tail) replays to the
// engine's own state, entries and order, whatever the writes were.
#include <random>
#include <string>

#include "engine.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace pmap {
namespace {

Engine NewEngine() {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  engine.TakePending();
  return engine;
}

// One random write: put a new or existing key, delete, move a key to the
// end (delete, then put), or now and then clear.
void RandomWrite(std::mt19937_64* rng, Engine* engine, int* next_key) {
  const size_t n = engine->index().size();
  const int what = static_cast<int>((*rng)() % 100);
  std::string key;
  if (n > 0) {
    engine->PreparePositions();
    std::string_view k, v;
    engine->index().At((*rng)() % n, &k, &v);
    key = std::string(k);
  }
  if (what < 35 || n == 0) {
    ASSERT_TRUE(engine->Put("new" + std::to_string((*next_key)++), std::string((*rng)() % 40, 'v')).ok());
  } else if (what < 60) {
    ASSERT_TRUE(engine->Put(key, "updated" + std::to_string((*rng)() % 1000)).ok());
  } else if (what < 80) {
    ASSERT_TRUE(engine->Delete(key).ok());
  } else if (what < 99) {
    ASSERT_TRUE(engine->Delete(key).ok());
    ASSERT_TRUE(engine->Put(key, "moved").ok());
  } else {
    ASSERT_TRUE(engine->Clear().ok());
  }
}

TEST(SnapshotPiecesTest, TheSnapshotAndTheTailReplayToTheStateWhateverTheWritesBetweenPieces) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    Engine engine = NewEngine();
    int next_key = 0;
    for (int i = 0; i < 300; ++i) RandomWrite(&rng, &engine, &next_key);
    engine.TakePending();
    engine.BeginSnapshot();
    std::string snapshot, tail, piece;
    bool done = false;
    while (!done) {
      done = engine.EncodeSnapshotPiece(64 + rng() % 200, &piece);
      snapshot += piece;
      const int writes = static_cast<int>(rng() % 6);
      for (int i = 0; i < writes; ++i) RandomWrite(&rng, &engine, &next_key);
      tail += engine.TakePending();
    }
    Engine::Snapshot info = engine.EndSnapshot();
    EXPECT_EQ(snapshot.size(), info.bytes) << "seed " << seed;
    engine.SnapshotInstalled(info);
    EXPECT_EQ(snapshot.size() + tail.size(), engine.stats().log_bytes) << "seed " << seed;

    Engine reopened;
    RecoveryReport report;
    ASSERT_TRUE(reopened.Recover(snapshot + tail, &report).ok()) << "seed " << seed;
    EXPECT_TRUE(report.damaged.empty()) << "seed " << seed;
    EXPECT_EQ(test::EntriesOf(engine), test::EntriesOf(reopened)) << "seed " << seed;
    EXPECT_EQ(engine.stats().total_records, reopened.stats().total_records) << "seed " << seed;
  }
}

TEST(SnapshotPiecesTest, WithoutWritesThePiecesJoinToTheWholeSnapshot) {
  Engine engine = NewEngine();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(engine.Put("key" + std::to_string(i), "value").ok());
  engine.TakePending();
  Engine::Snapshot whole_info;
  const std::string whole = engine.EncodeSnapshot(&whole_info);
  engine.BeginSnapshot();
  std::string joined, piece;
  int pieces = 0;
  for (bool done = false; !done; ++pieces) {
    done = engine.EncodeSnapshotPiece(100, &piece);
    joined += piece;
  }
  Engine::Snapshot info = engine.EndSnapshot();
  EXPECT_EQ(whole, joined);
  EXPECT_GT(pieces, 10);
  EXPECT_EQ(whole_info.bytes, info.bytes);
  EXPECT_EQ(whole_info.records, info.records);
}

TEST(SnapshotPiecesTest, ARecoveryWhileASnapshotIsEncodedEndsItWithoutHarm) {
  Engine engine;
  RecoveryReport report;
  ASSERT_TRUE(engine.Recover("", &report).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(engine.Put("key" + std::to_string(i), "value").ok());
  const std::string log = engine.TakePending();  // header and records
  engine.BeginSnapshot();
  std::string piece;
  engine.EncodeSnapshotPiece(64, &piece);
  ASSERT_TRUE(engine.Recover(log, &report).ok());  // a roll-back rebuilds the engine
  engine.EndSnapshot();
  EXPECT_EQ(100u, engine.index().size());
  engine.BeginSnapshot();  // and the next snapshot starts afresh
  std::string joined;
  for (bool done = false; !done;) {
    done = engine.EncodeSnapshotPiece(1 << 20, &piece);
    joined += piece;
  }
  engine.EndSnapshot();
  Engine reopened;
  ASSERT_TRUE(reopened.Recover(joined, &report).ok());
  EXPECT_EQ(test::EntriesOf(engine), test::EntriesOf(reopened));
}

}  // namespace
}  // namespace pmap
