// The native Store: persistence, order, model-based random sequences with
// reopen and compaction, locking, torn tails, read-only opens, bad input.
#include "native/store.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <regex>

#include "gtest/gtest.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;
using test::Contents;

std::unique_ptr<Store> OpenOrDie(const std::string& path, StoreOptions options = {},
                                 RecoveryReport* report = nullptr) {
  std::unique_ptr<Store> store;
  Status s = Store::Open(path, options, &store, report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

TEST(StoreTest, WritesSurviveCloseAndReopenInInsertionOrder) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store->Put("b", "2").ok());
    ASSERT_TRUE(store->Put("a", "1").ok());
    ASSERT_TRUE(store->Put("c", "3").ok());
    ASSERT_TRUE(store->Put("b", "two").ok());
    bool existed = false;
    ASSERT_TRUE(store->Delete("a", &existed).ok());
    EXPECT_TRUE(existed);
    ASSERT_TRUE(store->Delete("nope", &existed).ok());
    EXPECT_FALSE(existed);
    ASSERT_TRUE(store->Put("a", "again").ok());
    ASSERT_TRUE(store->Close().ok());
  }
  auto store = OpenOrDie(path);
  EXPECT_EQ(Entries({{"b", "two"}, {"c", "3"}, {"a", "again"}}), Contents(*store));
  std::string k, v;
  ASSERT_TRUE(store->At(2, &k, &v));
  EXPECT_EQ("a", k);
  EXPECT_FALSE(store->At(3, &k, &v));
  EXPECT_TRUE(store->Contains("c"));
  EXPECT_EQ(3u, store->size());
}

TEST(StoreTest, BatchAndModifyAndClearPersist) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  {
    auto store = OpenOrDie(path);
    WriteBatch batch;
    batch.Put("x", "1");
    batch.Put("y", "2");
    batch.Delete("x");
    batch.Put("z", "3");
    ASSERT_TRUE(store->Write(batch).ok());
    ASSERT_TRUE(store->Modify("y", [](std::string* v) {
      *v += "+";
      return true;
    }).ok());
    EXPECT_TRUE(store->Modify("missing", [](std::string*) { return true; }).IsNotFound());
    ASSERT_TRUE(store->Modify("z", [](std::string* v) {
      *v = "unchanged?";
      return false;  // no write
    }).ok());
  }
  {
    auto store = OpenOrDie(path);
    EXPECT_EQ(Entries({{"y", "2+"}, {"z", "3"}}), Contents(*store));
    ASSERT_TRUE(store->Clear().ok());
    ASSERT_TRUE(store->Put("after", "clear").ok());
  }
  auto store = OpenOrDie(path);
  EXPECT_EQ(Entries({{"after", "clear"}}), Contents(*store));
}

TEST(StoreTest, RandomOperationsWithReopenAndCompactionMatchTheModel) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    test::TempDir dir;
    const std::string path = dir.File("db");
    std::mt19937_64 rng(seed);
    StoreOptions options;
    options.durability = seed % 3 == 0 ? Durability::kSyncEveryWrite : Durability::kNone;
    options.threads = seed % 2 == 0 ? Threads::kOne : Threads::kMany;
    options.buffer_capacity = 1 + rng() % 4096;
    options.engine.compaction.min_log_bytes = 4096;  // compact often
    options.engine.compaction.ratio = 1.5;
    auto store = OpenOrDie(path, options);
    test::ModelMap model;
    std::string got;  // reused by every Get, whatever the value sizes
    const int steps = seed % 3 == 0 ? 600 : 3000;
    for (int step = 0; step < steps; ++step) {
      std::string key = "k" + std::to_string(rng() % 200);
      const int op = static_cast<int>(rng() % 100);
      if (op < 50) {
        std::string value = test::RandomBytes(&rng, 64);
        ASSERT_TRUE(store->Put(key, value).ok());
        model.Put(key, value);
      } else if (op < 75) {
        bool existed;
        ASSERT_TRUE(store->Delete(key, &existed).ok());
        EXPECT_EQ(model.Erase(key), existed);
      } else if (op < 85) {
        WriteBatch batch;
        test::ModelMap next = model;
        for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) {
          std::string k = "k" + std::to_string(rng() % 200);
          if (rng() % 3 == 0) {
            batch.Delete(k);
            next.Erase(k);
          } else {
            std::string v = test::RandomBytes(&rng, 32);
            batch.Put(k, v);
            next.Put(k, v);
          }
        }
        ASSERT_TRUE(store->Write(batch).ok());
        model = next;
      } else if (op < 90) {
        Status s = store->Modify(key, [](std::string* v) {
          *v += "!";
          return true;
        });
        bool present = false;
        for (auto& e : model.entries()) present |= e.first == key;
        if (present) {
          ASSERT_TRUE(s.ok());
          for (auto e : model.entries()) {
            if (e.first == key) model.Put(key, e.second + "!");
          }
        } else {
          EXPECT_TRUE(s.IsNotFound());
        }
      } else if (op < 91) {
        ASSERT_TRUE(store->Clear().ok());
        model.Clear();
      } else if (op < 95) {
        ASSERT_TRUE(store->Close().ok());
        store = OpenOrDie(path, options);
        ASSERT_EQ(model.entries(), Contents(*store)) << "seed " << seed << " step " << step;
      } else if (op < 97) {
        ASSERT_TRUE(store->Compact().ok());
      } else {
        ASSERT_TRUE(store->Flush().ok());
      }
      ASSERT_EQ(model.entries().size(), store->size());
      const std::string probe = "k" + std::to_string(rng() % 200);
      const bool copied_found = store->Get(probe, &got);
      Store::ReadGuard guard(*store);
      std::string_view viewed;
      const bool viewed_found = guard.Get(probe, &viewed);
      bool in_model = false;
      for (auto& e : model.entries()) {
        if (e.first != probe) continue;
        in_model = true;
        ASSERT_EQ(e.second, got) << "seed " << seed << " step " << step;
        ASSERT_EQ(e.second, viewed) << "seed " << seed << " step " << step;
      }
      ASSERT_EQ(in_model, copied_found);
      ASSERT_EQ(in_model, viewed_found);
    }
    EXPECT_EQ(model.entries(), Contents(*store));
    for (size_t i = 0; i < model.entries().size(); ++i) {
      std::string k, v;
      ASSERT_TRUE(store->At(i, &k, &v));
      ASSERT_EQ(model.entries()[i].first, k);
    }
    ASSERT_TRUE(store->Close().ok());
    store = OpenOrDie(path, options);
    EXPECT_EQ(model.entries(), Contents(*store)) << "seed " << seed;
  }
}

TEST(StoreTest, GetCopiesIntoAReusedStringOfAnySize) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.File("db"));
  ASSERT_TRUE(store->Put("short", "abc").ok());
  ASSERT_TRUE(store->Put("long", std::string(1000, 'x')).ok());
  ASSERT_TRUE(store->Put("same", "xyz").ok());
  ASSERT_TRUE(store->Put("empty", "").ok());
  std::string value = "previous contents, longer than abc";
  ASSERT_TRUE(store->Get("short", &value));
  EXPECT_EQ("abc", value);
  ASSERT_TRUE(store->Get("same", &value));  // same size: copied in place
  EXPECT_EQ("xyz", value);
  ASSERT_TRUE(store->Get("long", &value));
  EXPECT_EQ(std::string(1000, 'x'), value);
  ASSERT_TRUE(store->Get("empty", &value));
  EXPECT_EQ("", value);
  ASSERT_TRUE(store->Get("empty", &value));
  EXPECT_EQ("", value);
  value = "kept";
  EXPECT_FALSE(store->Get("absent", &value));
  EXPECT_EQ("kept", value);
}

TEST(StoreTest, AReadGuardReadsWithoutCopyingInBothThreadingModes) {
  for (Threads threads : {Threads::kMany, Threads::kOne}) {
    test::TempDir dir;
    StoreOptions options;
    options.threads = threads;
    auto store = OpenOrDie(dir.File("db"), options);
    ASSERT_TRUE(store->Put("a", "1").ok());
    ASSERT_TRUE(store->Put("b", "22").ok());
    {
      Store::ReadGuard guard(*store);
      std::string_view a, b, absent = "unchanged";
      ASSERT_TRUE(guard.Get("a", &a));
      ASSERT_TRUE(guard.Get("b", &b));
      EXPECT_FALSE(guard.Get("c", &absent));
      EXPECT_EQ("1", a);
      EXPECT_EQ("22", b);
      EXPECT_EQ("unchanged", absent);
      EXPECT_TRUE(guard.Contains("a"));
      EXPECT_FALSE(guard.Contains("c"));
      EXPECT_EQ(2u, guard.size());
      // Other reads may go on while a guard is held (a shared lock).
      std::string copy;
      EXPECT_TRUE(store->Get("a", &copy));
      EXPECT_EQ(2u, store->size());
    }
    ASSERT_TRUE(store->Put("a", "111").ok());  // no guard left to wait for
    Store::ReadGuard guard(*store);
    std::string_view a;
    ASSERT_TRUE(guard.Get("a", &a));
    EXPECT_EQ("111", a);
  }
}

TEST(StoreTest, AutomaticCompactionKeepsTheLogNearTheLiveSize) {
  test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kNone;
  options.engine.compaction.min_log_bytes = 64 << 10;
  auto store = OpenOrDie(dir.File("db"), options);
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(store->Put("key" + std::to_string(i), std::string(100, 'a' + round % 26)).ok());
    }
  }
  EngineStats st = store->stats();
  EXPECT_EQ(100u, st.live_records);
  EXPECT_GT(st.generation, 0u);
  EXPECT_LT(st.log_bytes, 2u * (64 << 10) + 100 * 200);
  EXPECT_TRUE(store->last_compaction_status().ok());
  ASSERT_TRUE(store->Close().ok());
  auto reopened = OpenOrDie(dir.File("db"), options);
  std::string v;
  ASSERT_TRUE(reopened->Get("key7", &v));
  EXPECT_EQ(std::string(100, 'a' + 49 % 26), v);
}

TEST(StoreTest, StatsCountLiveAndTotalRecordsAndBytes) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.File("db"));
  EngineStats st = store->stats();
  EXPECT_EQ(32u, st.log_bytes);  // just the header
  ASSERT_TRUE(store->Put("a", "1").ok());
  ASSERT_TRUE(store->Put("a", "2").ok());
  ASSERT_TRUE(store->Put("b", "3").ok());
  ASSERT_TRUE(store->Delete("b").ok());
  st = store->stats();
  EXPECT_EQ(1u, st.live_records);
  EXPECT_EQ(4u, st.total_records);
  EXPECT_DOUBLE_EQ(0.75, st.dead_ratio);
  EXPECT_EQ(32u + 3 * (9 + 1 + 1 + 1) + (9 + 1), st.log_bytes);
  ASSERT_TRUE(store->Compact().ok());
  st = store->stats();
  EXPECT_EQ(1u, st.total_records);
  EXPECT_EQ(32u + 12, st.log_bytes);
  EXPECT_EQ(1u, st.generation);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(st.log_bytes, test::ReadFileOrDie(dir.File("db")).size());
}

TEST(StoreTest, GarbageAfterValidDataIsTruncatedAndNewWritesAreReadable) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store->Put("a", "1").ok());
  }
  const size_t good = test::ReadFileOrDie(path).size();
  test::WriteFileOrDie(path, test::ReadFileOrDie(path) + "\x13garbage that is not a record");
  RecoveryReport report;
  {
    auto store = OpenOrDie(path, {}, &report);
    ASSERT_EQ(1u, report.damaged.size());
    EXPECT_EQ(good, report.damaged[0].begin);
    EXPECT_EQ(good, test::ReadFileOrDie(path).size());  // cut before appending
    ASSERT_TRUE(store->Put("b", "2").ok());
  }
  auto store = OpenOrDie(path, {}, &report);
  EXPECT_TRUE(report.damaged.empty());
  EXPECT_EQ(Entries({{"a", "1"}, {"b", "2"}}), Contents(*store));
}

TEST(StoreTest, MidFileCorruptionFailsTheOpenUnlessSalvageWhichRewritesTheLog) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  {
    auto store = OpenOrDie(path);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->Put("k" + std::to_string(i), "v").ok());
  }
  std::string bytes = test::ReadFileOrDie(path);
  bytes[32 + 13 * 3 + 10] ^= 0x20;  // inside the 4th record
  test::WriteFileOrDie(path, bytes);
  std::unique_ptr<Store> store;
  Status s = Store::Open(path, {}, &store);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("byte " + std::to_string(32 + 13 * 3)))
      << s.message();
  EXPECT_EQ(bytes, test::ReadFileOrDie(path));  // a failed open changes nothing

  StoreOptions salvage;
  salvage.engine.recovery = RecoveryMode::kSalvage;
  RecoveryReport report;
  store = OpenOrDie(path, salvage, &report);
  ASSERT_EQ(1u, report.damaged.size());
  EXPECT_EQ(9u, store->size());
  EXPECT_FALSE(store->Contains("k3"));
  ASSERT_TRUE(store->Close().ok());
  store = OpenOrDie(path);  // the default mode now opens it cleanly
  EXPECT_EQ(9u, store->size());
}

TEST(StoreTest, OrphanedCompactionFilesAreRemovedOnOpen) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("db.compact-3.tmp"), "half a snapshot");
  test::WriteFileOrDie(dir.File("db.compact-4-0123456789abcdef.tmp"), "half");
  test::WriteFileOrDie(dir.File("other.compact-3.tmp"), "not ours");
  auto store = OpenOrDie(dir.File("db"));
  auto names = test::ListDirOrDie(dir.path());
  EXPECT_EQ(0, std::count(names.begin(), names.end(), "db.compact-3.tmp"));
  EXPECT_EQ(0, std::count(names.begin(), names.end(),
                          "db.compact-4-0123456789abcdef.tmp"));
  EXPECT_EQ(1, std::count(names.begin(), names.end(), "other.compact-3.tmp"));
}

TEST(StoreTest, CompactionNeverFollowsASymlinkPlantedAtAnOldStyleTempName) {
  test::TempDir dir;
  test::TempDir elsewhere;
  const std::string path = dir.File("db");
  const std::string victim = elsewhere.File("victim");
  test::WriteFileOrDie(victim, "precious");
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store->Put("k", "1").ok());
  ASSERT_TRUE(store->Put("k", "2").ok());
  // Every name the old code wrote its snapshots to (after open, whose
  // clean-up would remove them).
  std::vector<std::string> links;
  for (int n = 0; n <= 4; ++n) {
    links.push_back(path + ".compact-" + std::to_string(n) + ".tmp");
    ASSERT_EQ(0, ::symlink(victim.c_str(), links.back().c_str()));
  }
  ASSERT_TRUE(store->Compact().ok());
  ASSERT_TRUE(store->Put("k", "3").ok());
  ASSERT_TRUE(store->Compact().ok());
  ASSERT_TRUE(store->Close().ok());

  EXPECT_EQ("precious", test::ReadFileOrDie(victim));
  struct stat st;
  ASSERT_EQ(0, ::lstat(path.c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  for (const std::string& link : links) {
    ASSERT_EQ(0, ::lstat(link.c_str(), &st)) << link;
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << link;
  }
  store = OpenOrDie(path);  // removes the links as orphans, not their target
  EXPECT_EQ((Entries{{"k", "3"}}), Contents(*store));
  EXPECT_EQ(2u, store->stats().generation);
  for (const std::string& link : links) {
    EXPECT_NE(0, ::lstat(link.c_str(), &st)) << link;
  }
  EXPECT_EQ("precious", test::ReadFileOrDie(victim));
}

TEST(StoreTest, CreatingAFileRefusesASymlinkAtItsNameDanglingOrNot) {
  test::TempDir dir;
  test::TempDir elsewhere;
  const std::string victim = elsewhere.File("victim");
  const std::string absent = elsewhere.File("absent");
  test::WriteFileOrDie(victim, "precious");
  // A guess at a new-style temporary name, as someone might plant it.
  const std::string guessed = dir.File("db.compact-1-0123456789abcdef.tmp");
  const std::string dangling = dir.File("db.compact-2-0123456789abcdef.tmp");
  ASSERT_EQ(0, ::symlink(victim.c_str(), guessed.c_str()));
  ASSERT_EQ(0, ::symlink(absent.c_str(), dangling.c_str()));
  std::unique_ptr<WritableFile> file;
  EXPECT_FALSE(PosixFileSystem()->CreateWritable(guessed, &file).ok());
  EXPECT_FALSE(PosixFileSystem()->CreateWritable(dangling, &file).ok());
  EXPECT_EQ(nullptr, file);
  EXPECT_EQ("precious", test::ReadFileOrDie(victim));
  EXPECT_TRUE(PosixFileSystem()->FileExists(absent).IsNotFound());
  // And a plain file there is not reused either.
  test::WriteFileOrDie(dir.File("plain"), "kept");
  EXPECT_FALSE(
      PosixFileSystem()->CreateWritable(dir.File("plain"), &file).ok());
  EXPECT_EQ("kept", test::ReadFileOrDie(dir.File("plain")));
}

// Passes everything to the POSIX file system and records the names of the
// files it creates.
class CreationRecordingFs final : public FileSystem {
 public:
  Status ReadFile(const std::string& p, std::string* c) override {
    return base_->ReadFile(p, c);
  }
  Status OpenAppendable(const std::string& p,
                        std::unique_ptr<WritableFile>* f) override {
    return base_->OpenAppendable(p, f);
  }
  Status CreateWritable(const std::string& p,
                        std::unique_ptr<WritableFile>* f) override {
    created.push_back(BaseName(p));
    return base_->CreateWritable(p, f);
  }
  Status FileExists(const std::string& p) override {
    return base_->FileExists(p);
  }
  Status Rename(const std::string& a, const std::string& b) override {
    return base_->Rename(a, b);
  }
  Status Remove(const std::string& p) override { return base_->Remove(p); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status ListDir(const std::string& d, std::vector<std::string>* n) override {
    return base_->ListDir(d, n);
  }
  Status LockFile(const std::string& p, std::unique_ptr<FileLock>* l) override {
    return base_->LockFile(p, l);
  }

  std::vector<std::string> created;

 private:
  FileSystem* const base_ = PosixFileSystem();
};

TEST(StoreTest, CompactionWritesToATemporaryNameNobodyCanPredict) {
  test::TempDir dir;
  CreationRecordingFs fs;
  StoreOptions options;
  options.fs = &fs;
  for (const char* name : {"a", "b"}) {  // two stores, both at generation 0
    auto store = OpenOrDie(dir.File(name), options);
    ASSERT_TRUE(store->Put("k", "v").ok());
    ASSERT_TRUE(store->Compact().ok());
  }
  ASSERT_EQ(2u, fs.created.size());
  const std::regex pattern("[ab]\\.compact-1-[0-9a-f]{16}\\.tmp");
  EXPECT_TRUE(std::regex_match(fs.created[0], pattern)) << fs.created[0];
  EXPECT_TRUE(std::regex_match(fs.created[1], pattern)) << fs.created[1];
  EXPECT_NE(fs.created[0].substr(1), fs.created[1].substr(1));
}

TEST(StoreTest, ReadOnlyOpenChangesNothingAndRefusesWrites) {
  test::TempDir dir;
  const std::string path = dir.File("db");
  StoreOptions ro;
  ro.read_only = true;
  std::unique_ptr<Store> store;
  EXPECT_TRUE(Store::Open(path, ro, &store).IsNotFound());
  EXPECT_EQ(0u, test::ListDirOrDie(dir.path()).size());  // not even a lock file
  { OpenOrDie(path)->Put("k", "v"); }
  const std::string torn = test::ReadFileOrDie(path) + "\x01\x02";
  test::WriteFileOrDie(path, torn);
  store = OpenOrDie(path, ro);
  EXPECT_EQ(1u, store->size());
  EXPECT_TRUE(store->Put("x", "y").IsInvalidArgument());
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(torn, test::ReadFileOrDie(path));
}

TEST(StoreTest, CreateIfMissingFalseRefusesANewStore) {
  test::TempDir dir;
  StoreOptions options;
  options.create_if_missing = false;
  std::unique_ptr<Store> store;
  Status s = Store::Open(dir.File("db"), options, &store);
  ASSERT_TRUE(s.IsNotFound());
  EXPECT_NE(std::string::npos, s.message().find("no store at"));
}

TEST(StoreTest, ARecordOverTheLimitIsRefusedAndChangesNothing) {
  test::TempDir dir;
  StoreOptions options;
  options.engine.max_record_size = 1000;
  auto store = OpenOrDie(dir.File("db"), options);
  ASSERT_TRUE(store->Put("k", "small").ok());
  const EngineStats before = store->stats();
  Status s = store->Put("k", std::string(2000, 'x'));
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(std::string::npos, s.message().find("maximum record size")) << s.message();
  WriteBatch big;
  for (int i = 0; i < 100; ++i) big.Put("key" + std::to_string(i), std::string(20, 'x'));
  EXPECT_TRUE(store->Write(big).IsInvalidArgument());
  EXPECT_TRUE(store->Delete(std::string(2000, 'k')).IsInvalidArgument());
  std::string v;
  ASSERT_TRUE(store->Get("k", &v));
  EXPECT_EQ("small", v);
  EXPECT_EQ(1u, store->size());
  EXPECT_EQ(before.log_bytes, store->stats().log_bytes);
}

TEST(StoreTest, BadOptionsAreRefused) {
  test::TempDir dir;
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.buffer_capacity = 0;
  EXPECT_TRUE(Store::Open(dir.File("db"), options, &store).IsInvalidArgument());
  options = {};
  options.engine.compaction.ratio = 0.5;
  EXPECT_TRUE(Store::Open(dir.File("db"), options, &store).IsInvalidArgument());
  options = {};
  options.engine.max_record_size = 0;
  EXPECT_TRUE(Store::Open(dir.File("db"), options, &store).IsInvalidArgument());
  EXPECT_TRUE(Store::Open("", {}, &store).IsInvalidArgument());
  EXPECT_TRUE(Store::Open(dir.File("no/such/dir/db"), {}, &store).IsNotFound());
}

TEST(StoreTest, ClosedStoreRefusesWritesButCloseIsIdempotent) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.File("db"));
  ASSERT_TRUE(store->Close().ok());
  EXPECT_TRUE(store->Put("k", "v").IsClosed());
  EXPECT_TRUE(store->Flush().IsClosed());
  EXPECT_TRUE(store->Compact().IsClosed());
  EXPECT_TRUE(store->Close().ok());
}

TEST(StoreTest, ANonStoreFileIsRefusedUntouched) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("notes.txt"), "this is not a log file at all, just text");
  std::unique_ptr<Store> store;
  Status s = Store::Open(dir.File("notes.txt"), {}, &store);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("not a persistent-map log"));
  EXPECT_EQ("this is not a log file at all, just text", test::ReadFileOrDie(dir.File("notes.txt")));
}

}  // namespace
}  // namespace pmap
