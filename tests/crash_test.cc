// Crash safety and failure handling of the native Store, driven through the
// fault-injecting file system: power cuts at random moments, and the Nth
// write, sync, truncate, create, rename or directory sync failing during
// ordinary writes and during every step of compaction.
#include <random>

#include "fault_injection_fs.h"
#include "gtest/gtest.h"
#include "native/store.h"
#include "test_util.h"

namespace pmap {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;
using Op = test::FaultInjectionFs::Op;

// One random mutation applied to both the store and the model; returns the
// store's status. The model is only changed if the store accepted it.
Status RandomWrite(std::mt19937_64* rng, Store* store, test::ModelMap* model) {
  std::string key = "k" + std::to_string((*rng)() % 40);
  int op = static_cast<int>((*rng)() % 100);
  test::ModelMap next = *model;
  Status s;
  if (op < 60) {
    std::string value = test::RandomBytes(rng, 80);
    s = store->Put(key, value);
    next.Put(key, value);
  } else if (op < 80) {
    s = store->Delete(key);
    next.Erase(key);
  } else if (op < 97) {
    WriteBatch batch;
    for (int i = 0; i < 5; ++i) {
      std::string k = "k" + std::to_string((*rng)() % 40);
      std::string v = test::RandomBytes(rng, 20);
      batch.Put(k, v);
      next.Put(k, v);
    }
    batch.Delete(key);
    next.Erase(key);
    s = store->Write(batch);
  } else {
    s = store->Clear();
    next.Clear();
  }
  if (s.ok()) *model = next;
  return s;
}

bool NoTempFiles(const std::string& dir) {
  for (const std::string& name : test::ListDirOrDie(dir)) {
    if (name.find(".tmp") != std::string::npos) return false;
  }
  return true;
}

// Power cut at a random moment: the store reopens as the state after some
// prefix of the writes, never before the last one that was made durable.
TEST(CrashTest, APowerCutKeepsEverySyncedWriteAndLeavesAPrefix) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    test::TempDir dir;
    const std::string path = dir.File("db");
    test::FaultInjectionFs fs;
    StoreOptions options;
    options.fs = &fs;
    options.durability = static_cast<Durability>(seed % 3);
    options.buffer_capacity = 1 + rng() % 2000;
    options.engine.compaction.min_log_bytes = 2048;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(path, options, &store).ok());

    test::ModelMap model;
    std::vector<Entries> states = {model.entries()};
    size_t durable = 0;  // index into states known to be on stable storage
    const int crash_at = 1 + static_cast<int>(rng() % 300);
    for (int step = 0; step < crash_at; ++step) {
      int what = static_cast<int>(rng() % 100);
      if (what < 90) {
        ASSERT_TRUE(RandomWrite(&rng, store.get(), &model).ok());
        states.push_back(model.entries());
        if (options.durability == Durability::kSyncEveryWrite) durable = states.size() - 1;
      } else if (what < 97) {
        ASSERT_TRUE(store->Flush().ok());
        if (options.durability != Durability::kNone) durable = states.size() - 1;
      } else {
        ASSERT_TRUE(store->Compact().ok());
        durable = states.size() - 1;  // a snapshot is synced and renamed durably
      }
    }
    fs.SimulateCrash();
    store.reset();  // its Close() fails: the machine is "down"
    fs.Reset();

    RecoveryReport report;
    ASSERT_TRUE(Store::Open(path, options, &store, &report).ok()) << "seed " << seed;
    Entries got = test::Contents(*store);
    bool prefix = false;
    for (size_t i = durable; i < states.size() && !prefix; ++i) prefix = states[i] == got;
    EXPECT_TRUE(prefix) << "seed " << seed << ": recovered state is not a prefix state at or "
                        << "after the last durable write #" << durable << " of "
                        << states.size() - 1;
    EXPECT_TRUE(NoTempFiles(dir.path()));
  }
}

struct FailureCase {
  Op op;
  const char* name;
  bool also_fail_rollback;  // the truncate of the roll-back fails too
};

// The Nth operation of a kind fails. Whatever happens, the store does not
// lie: either it rolled the failed write back (its contents equal the model
// of acknowledged writes) or it refuses writes until reopened; reopening,
// with or without a power cut first, finds every acknowledged write and at
// most the one that failed besides.
TEST(CrashTest, TheNthFailingFileOperationNeverLeavesTheStoreLying) {
  const FailureCase cases[] = {{Op::kAppend, "append", false},
                               {Op::kAppend, "append and its roll-back", true},
                               {Op::kSync, "sync", false},
                               {Op::kCreate, "create", false},
                               {Op::kRename, "rename", false},
                               {Op::kSyncDir, "sync dir", false}};
  for (const FailureCase& c : cases) {
    int injected = 0;
    for (int n = 1; n <= 12; ++n) {
      for (bool crash : {false, true}) {
        SCOPED_TRACE(std::string(c.name) + " #" + std::to_string(n) +
                     (crash ? " then crash" : ""));
        std::mt19937_64 rng(n * 31 + static_cast<int>(c.op));
        test::TempDir dir;
        const std::string path = dir.File("db");
        test::FaultInjectionFs fs;
        StoreOptions options;
        options.fs = &fs;
        options.durability = Durability::kSyncEveryWrite;
        options.engine.compaction.min_log_bytes = 1024;
        std::unique_ptr<Store> store;
        ASSERT_TRUE(Store::Open(path, options, &store).ok());
        fs.FailNth(c.op, n);
        if (c.also_fail_rollback) fs.FailNth(Op::kTruncate, 1);

        test::ModelMap model;               // acknowledged writes
              bool refusing = false;
        // Run until the injected failure has happened (and one write after
        // it), then check the disk at once, before a later compaction could
        // paper over a lie.
        int steps_after_fault = 0;
        for (int step = 0; step < 150 && !refusing && steps_after_fault < 2; ++step) {
          if (fs.injected()) ++steps_after_fault;
          test::ModelMap attempted = model;
          Status s = step % 9 == 8 ? store->Compact()
                                   : RandomWrite(&rng, store.get(), &attempted);
          if (s.ok()) {
            model = attempted;
            continue;
          }
          ASSERT_TRUE(s.IsIOError() || s.IsClosed()) << s.ToString();
          if (store->Put("probe", "x").IsClosed()) {
            refusing = true;
          } else {
            // Rolled back: the store holds exactly the acknowledged writes
            // (the probe aside, which was acknowledged too).
            model.Put("probe", "x");
            ASSERT_EQ(model.entries(), test::Contents(*store));
          }
        }
        // What the store holds now may include the write whose sync failed.
        Entries in_memory = test::Contents(*store);
        if (crash) {
          fs.SimulateCrash();
          store.reset();
          fs.Reset();
        } else {
          store.reset();
          fs.FailNth(c.op, 0);
        }
        injected += fs.injected() ? 1 : 0;
        fs.Reset();
        ASSERT_TRUE(Store::Open(path, options, &store).ok());
        Entries got = test::Contents(*store);
        if (got != model.entries()) {
          // Only a write whose sync failed may have landed: the store said
          // it refused writes, and its memory held that write.
          EXPECT_TRUE(refusing);
          EXPECT_EQ(in_memory, got);
        }
        EXPECT_TRUE(NoTempFiles(dir.path()));
      }
    }
    EXPECT_GE(injected, 12) << c.name << ": the failure was hardly ever reached";
  }
}

}  // namespace
}  // namespace pmap
