// LogRun: a table backend's view of the log bytes it is handed (header
// optional, then records), parsed strictly; and IsValidUtf8, which tells it
// text from bytes.
#include "log_run.h"

#include <string>
#include <vector>

#include "engine.h"
#include "gtest/gtest.h"
#include "utf8.h"

namespace pmap {
namespace {

// "put k=v", "del k", "clear", in the order ForEachOp reports them.
std::vector<std::string> OpsOf(const LogRun& run) {
  std::vector<std::string> out;
  run.ForEachOp(
      [&](std::string_view k, std::string_view v) {
        out.push_back("put " + std::string(k) + "=" + std::string(v));
      },
      [&](std::string_view k) { out.push_back("del " + std::string(k)); },
      [&]() { out.push_back("clear"); });
  return out;
}

// Runs as the WASM core hands them out: the header of a new store, then
// one run per group commit; `boundaries` gets the offsets where records end.
struct Runs {
  std::string header;
  std::string commit;  // records only
  std::vector<size_t> boundaries;
};

Runs MakeRuns() {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  Runs runs;
  runs.header = engine.TakePending();
  auto step = [&](Status s) {
    ASSERT_TRUE(s.ok()) << s.ToString();
    runs.commit += engine.TakePending();
    runs.boundaries.push_back(runs.commit.size());
  };
  step(engine.Put("a", "1"));
  step(engine.Put("b", std::string("\x01\xff", 2)));
  WriteBatch batch;
  batch.Put("c", "3");
  batch.Delete("a");
  batch.Put("", "");
  step(engine.Write(batch));
  step(engine.Delete("b"));
  step(engine.Clear());
  step(engine.Put("d", "4"));
  return runs;
}

const std::vector<std::string> kCommitOps = {
    "put a=1", "put b=\x01\xff", "put c=3", "del a",
    "put =",   "del b",          "clear",   "put d=4"};

TEST(LogRunTest, RecordsWithoutAHeaderYieldTheirOperationsInOrder) {
  Runs runs = MakeRuns();
  LogRun run;
  ASSERT_TRUE(run.Parse(runs.commit, /*with_header=*/false).ok());
  EXPECT_FALSE(run.has_header());
  EXPECT_EQ(run.records(), 6u);
  EXPECT_EQ(OpsOf(run), kCommitOps);
}

TEST(LogRunTest, AWholeLogYieldsItsGenerationAndOperations) {
  Engine engine;
  RecoveryReport report;
  ASSERT_TRUE(engine.Recover("", &report).ok());
  ASSERT_TRUE(engine.Put("x", "1").ok());
  ASSERT_TRUE(engine.Put("y", "2").ok());
  engine.TakePending();
  Engine::Snapshot info;
  const std::string snapshot = engine.EncodeSnapshot(&info);  // generation 1
  LogRun run;
  ASSERT_TRUE(run.Parse(snapshot, /*with_header=*/true).ok());
  EXPECT_TRUE(run.has_header());
  EXPECT_EQ(run.generation(), 1u);
  EXPECT_EQ(OpsOf(run), (std::vector<std::string>{"put x=1", "put y=2"}));
}

TEST(LogRunTest, AHeaderAloneIsAValidRunWithNoOperations) {
  Runs runs = MakeRuns();
  LogRun run;
  ASSERT_TRUE(run.Parse(runs.header, true).ok());
  EXPECT_TRUE(run.has_header());
  EXPECT_EQ(run.generation(), 0u);
  EXPECT_TRUE(OpsOf(run).empty());
}

TEST(LogRunTest, AnEmptyRunIsFineOnlyWhenNoHeaderIsExpected) {
  LogRun run;
  EXPECT_TRUE(run.Parse("", false).ok());
  EXPECT_TRUE(OpsOf(run).empty());
  Status s = run.Parse("", true);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(LogRunTest, AMissingOrUnexpectedHeaderIsRefused) {
  Runs runs = MakeRuns();
  LogRun run;
  EXPECT_TRUE(run.Parse(runs.commit, true).IsCorruption());
  EXPECT_TRUE(run.Parse(runs.header + runs.commit, false).IsCorruption());
  EXPECT_EQ(run.records(), 0u);
}

TEST(LogRunTest, ARunCutAnywhereButARecordBoundaryIsRefusedWhole) {
  Runs runs = MakeRuns();
  LogRun run;
  for (size_t cut = 0; cut < runs.commit.size(); ++cut) {
    Status s = run.Parse(std::string_view(runs.commit).substr(0, cut), false);
    bool boundary = cut == 0;
    for (size_t b : runs.boundaries) boundary = boundary || b == cut;
    if (boundary) {
      EXPECT_TRUE(s.ok()) << "cut at " << cut << ": " << s.ToString();
    } else {
      EXPECT_TRUE(s.IsCorruption()) << "cut at " << cut;
      EXPECT_EQ(run.records(), 0u);
    }
  }
}

TEST(LogRunTest, AFlippedBitAnywhereIsRefused) {
  Runs runs = MakeRuns();
  const std::string whole = runs.header + runs.commit;
  LogRun run;
  for (size_t i = 0; i < whole.size(); ++i) {
    std::string damaged = whole;
    damaged[i] ^= 0x10;
    Status s = run.Parse(damaged, true);
    EXPECT_FALSE(s.ok()) << "byte " << i;
    EXPECT_EQ(run.records(), 0u);
    EXPECT_FALSE(run.has_header());
  }
}

TEST(Utf8Test, AcceptsWellFormedTextOfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii \x01 with controls"));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(IsValidUtf8(
      "\xc3\xa9 \xd0\xba \xe4\xb8\xad \xf0\x9f\x98\x80"));    // é к 中 😀
  EXPECT_TRUE(IsValidUtf8("\xef\xbf\xbf \xf4\x8f\xbf\xbf"));  // U+FFFF U+10FFFF
}

TEST(Utf8Test, RejectsOverlongSurrogateTruncatedAndOutOfRangeSequences) {
  for (const char* bad :
       {"\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",  // overlong
        "\xed\xa0\x80", "\xed\xbf\xbf",                      // surrogates
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",              // > U+10FFFF
        "\x80", "\xbf", "\xc3", "\xe4\xb8", "\xf0\x9f\x98",  // stray / cut
        "\xc3\x28", "\xe4\x28\xad", "\xff", "\xfe"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

}  // namespace
}  // namespace pmap
