// Recovery in windows (Engine::BeginRecover / RecoverWindow): whatever the
// window sizes, the state, the report and every error are those of a
// recovery of the whole file, in every recovery mode.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine.h"
#include "gtest/gtest.h"
#include "log_format.h"

namespace pmap {
namespace {

// A log with puts, a value larger than the small windows, a batch, a
// delete and a clear; *ends gets the offset after each record.
std::string SampleLog(std::vector<size_t>* ends) {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  std::string log = engine.TakePending();
  auto add = [&](Status s) {
    ASSERT_TRUE(s.ok());
    log += engine.TakePending();
    ends->push_back(log.size());
  };
  add(engine.Put("a", "1"));
  add(engine.Put("big", std::string(700, 'x')));
  add(engine.Clear());
  for (int i = 0; i < 12; ++i) add(engine.Put("k" + std::to_string(i), std::string(i * 7, 'v')));
  WriteBatch batch;
  batch.Put("b1", "one");
  batch.Delete("k3");
  batch.Put("b2", std::string(300, 'y'));
  add(engine.Write(batch));
  add(engine.Delete("k5"));
  add(engine.Put("k0", "updated in place"));
  return log;
}

struct Outcome {
  Status status;
  RecoveryReport report;
  std::vector<std::pair<std::string, std::string>> entries;
  std::string pending;
};

Outcome Finish(Engine* engine, Status s, const RecoveryReport& report) {
  Outcome out{std::move(s), report, {}, {}};
  engine->index().ForEach([&](std::string_view k, std::string_view v) {
    out.entries.emplace_back(std::string(k), std::string(v));
    return true;
  });
  out.pending = engine->TakePending();
  return out;
}

Outcome Whole(const std::string& file, RecoveryMode mode) {
  EngineOptions options;
  options.recovery = mode;
  Engine engine(options);
  RecoveryReport report;
  Status s = engine.Recover(file, &report);
  return Finish(&engine, s, report);
}

// As js/core.js does it: windows of `size` bytes, twice as large when one
// holds no whole record, the rest of the file after damage.
Outcome InWindows(const std::string& file, RecoveryMode mode, size_t size) {
  EngineOptions options;
  options.recovery = mode;
  Engine engine(options);
  RecoveryReport report;
  engine.BeginRecover(file.size());
  size_t offset = 0, window = size;
  for (;;) {
    const size_t end = engine.recover_needs_rest() ? file.size() : std::min(file.size(), offset + window);
    const bool last = end == file.size();
    Status s = engine.RecoverWindow(std::string_view(file).substr(offset, end - offset), last, &report);
    if (!s.ok() || last) return Finish(&engine, s, report);
    const size_t next = engine.recover_offset();
    window = next == offset ? window * 2 : size;
    offset = next;
  }
}

void ExpectSame(const Outcome& want, const Outcome& got, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(want.status.ToString(), got.status.ToString());
  EXPECT_EQ(want.report.file_bytes, got.report.file_bytes);
  EXPECT_EQ(want.report.valid_bytes, got.report.valid_bytes);
  EXPECT_EQ(want.report.records, got.report.records);
  EXPECT_EQ(want.report.generation, got.report.generation);
  EXPECT_EQ(want.report.needs_rewrite, got.report.needs_rewrite);
  ASSERT_EQ(want.report.damaged.size(), got.report.damaged.size());
  for (size_t i = 0; i < want.report.damaged.size(); ++i) {
    EXPECT_EQ(want.report.damaged[i].begin, got.report.damaged[i].begin);
    EXPECT_EQ(want.report.damaged[i].end, got.report.damaged[i].end);
    EXPECT_EQ(want.report.damaged[i].reason, got.report.damaged[i].reason);
  }
  EXPECT_EQ(want.entries, got.entries);
  EXPECT_EQ(want.pending, got.pending);
}

TEST(RecoverWindowTest, RecoveringInWindowsOfAnySizeDecidesAsRecoveringTheWholeFile) {
  std::vector<size_t> ends;
  const std::string log = SampleLog(&ends);
  const size_t mid = ends[6];  // a record in the middle starts here
  std::vector<std::pair<std::string, std::string>> files = {
      {"intact", log},
      {"empty", ""},
      {"torn header", log.substr(0, 10)},
      {"header only", log.substr(0, log::kFileHeaderSize)},
      {"not a log", std::string(100, 'z')},
      {"torn tail", log.substr(0, log.size() - 5)},
      {"torn record header", log.substr(0, ends[ends.size() - 2] + 4)},
  };
  std::string bad_checksum = log;
  bad_checksum[mid + log::kRecordHeaderSize + 2] ^= 1;
  files.emplace_back("bad checksum mid-file", bad_checksum);
  std::string long_length = log;
  long_length[mid + 6] = '\x7f';  // a length far beyond the end of the file
  files.emplace_back("length beyond the end mid-file", long_length);
  std::string bad_type = log;
  bad_type[mid + 8] = '\x09';
  files.emplace_back("unknown type mid-file", bad_type);
  std::string big_record = log;
  big_record[ends[0] + 6] ^= 0x10;  // the 700-byte value's record, one bit off
  files.emplace_back("flipped length bit", big_record);

  for (RecoveryMode mode : {RecoveryMode::kStrict, RecoveryMode::kTolerateTornTail, RecoveryMode::kSalvage}) {
    for (const auto& [name, file] : files) {
      const Outcome want = Whole(file, mode);
      for (size_t size : {32, 33, 40, 64, 100, 257, 1000, 100000}) {
        ExpectSame(want, InWindows(file, mode, size),
                   name + ", mode " + std::to_string(static_cast<int>(mode)) + ", window " + std::to_string(size));
      }
    }
  }
}

TEST(RecoverWindowTest, AWindowStopsAtDamageAndAsksForTheRestOfTheFile) {
  std::vector<size_t> ends;
  std::string log = SampleLog(&ends);
  log[ends[6] + log::kRecordHeaderSize] ^= 1;
  Engine engine;
  RecoveryReport report;
  engine.BeginRecover(log.size());
  ASSERT_TRUE(engine.RecoverWindow(std::string_view(log).substr(0, ends[8]), false, &report).ok());
  EXPECT_EQ(ends[6], engine.recover_offset());
  EXPECT_TRUE(engine.recover_needs_rest());
  Status s = engine.RecoverWindow(std::string_view(log).substr(ends[6]), true, &report);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("at byte " + std::to_string(ends[6]))) << s.ToString();
  EXPECT_EQ(0u, engine.index().size());
}

TEST(RecoverWindowTest, ARecordCutByTheWindowIsReadFromTheNextOne) {
  std::vector<size_t> ends;
  const std::string log = SampleLog(&ends);
  Engine engine;
  RecoveryReport report;
  engine.BeginRecover(log.size());
  ASSERT_TRUE(engine.RecoverWindow(std::string_view(log).substr(0, ends[1] - 3), false, &report).ok());
  EXPECT_EQ(ends[0], engine.recover_offset());
  EXPECT_FALSE(engine.recover_needs_rest());
  EXPECT_EQ(1u, engine.index().size());
}

TEST(RecoverWindowTest, AFirstWindowShorterThanTheHeaderIsRefusedUnlessItIsTheWholeFile) {
  Engine engine;
  RecoveryReport report;
  engine.BeginRecover(100);
  EXPECT_TRUE(engine.RecoverWindow("PMAPLOG", false, &report).IsInvalidArgument());
  EXPECT_TRUE(engine.RecoverWindow("", true, &report).IsInvalidArgument());  // the recovery is over
  engine.BeginRecover(7);
  EXPECT_TRUE(engine.RecoverWindow("PMAPLOG", true, &report).ok());
  EXPECT_EQ(1u, report.damaged.size());
}

}  // namespace
}  // namespace pmap
