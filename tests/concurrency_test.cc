// Many readers while writers write; run
// under ThreadSanitizer by scripts/test.sh.
#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "native/store.h"
#include "test_util.h"

namespace pmap {
namespace {

// Each value is "<key>=<version>", so a reader can tell a torn or mixed-up
// read from a valid one.
std::string ValueFor(const std::string& key, int version) {
  return key + "=" + std::to_string(version);
}

bool WellFormed(std::string_view key, std::string_view value) {
  return value.size() > key.size() && value.substr(0, key.size()) == key &&
         value[key.size()] == '=';
}

TEST(ConcurrencyTest, ReadersSeeWholeValuesWhileAWriterWritesAndCompacts) {
  test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kNone;
  options.engine.compaction.min_log_bytes = 16 << 10;
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(dir.File("db"), options, &store).ok());
  std::atomic<bool> done{false};
  std::atomic<long> reads{0}, bad{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::string k, v;
      while (!done.load()) {
        for (int i = 0; i < 50; ++i) {
          std::string key = "key" + std::to_string(i);
          if (store->Get(key, &v) && !WellFormed(key, v)) ++bad;
        }
        size_t n = store->size();
        if (n > 0 && store->At((r * 7919) % n, &k, &v) && !WellFormed(k, v)) ++bad;
        store->ForEach([&](std::string_view key, std::string_view value) {
          if (!WellFormed(key, value)) ++bad;
          return true;
        });
        EngineStats st = store->stats();
        if (st.live_records > st.total_records) ++bad;
        ++reads;
      }
    });
  }
  for (int version = 0; version < 400; ++version) {
    std::string key = "key" + std::to_string(version % 50);
    ASSERT_TRUE(store->Put(key, ValueFor(key, version)).ok());
    if (version % 7 == 0) ASSERT_TRUE(store->Delete("key" + std::to_string(version % 13)).ok());
    if (version % 50 == 0) {
      WriteBatch batch;
      batch.Put("key1", ValueFor("key1", version));
      batch.Delete("key2");
      ASSERT_TRUE(store->Write(batch).ok());
    }
    if (version % 100 == 99) ASSERT_TRUE(store->Compact().ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(0, bad.load());
  EXPECT_GT(reads.load(), 0);
}

// The version in "<key>=<version>", or -1 if the value is not well formed.
int VersionOf(std::string_view key, std::string_view value) {
  if (!WellFormed(key, value)) return -1;
  return std::stoi(std::string(value.substr(key.size() + 1)));
}

TEST(ConcurrencyTest, AReadGuardSeesOneStateWhileAWriterPutsDeletesClearsAndCompacts) {
  test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kNone;
  options.engine.compaction.min_log_bytes = 8 << 10;  // automatic ones too
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(dir.File("db"), options, &store).ok());
  const int kKeys = 20;
  auto key_of = [](int i) { return "key" + std::to_string(i); };
  std::atomic<bool> done{false};
  std::atomic<long> guarded_reads{0}, bad{0};

  // Every write leaves all present keys at one version, so a guard that
  // sees two versions saw a write half done.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      std::string copy;
      while (!done.load()) {
        {
          Store::ReadGuard guard(*store);
          int seen = -1;
          size_t present = 0;
          for (int i = 0; i < kKeys; ++i) {
            std::string_view v;
            if (!guard.Get(key_of(i), &v)) continue;
            ++present;
            const int version = VersionOf(key_of(i), v);
            if (version < 0 || (seen >= 0 && version != seen)) ++bad;
            seen = version;
          }
          if (present != guard.size() || guard.Contains("absent")) ++bad;
          ++guarded_reads;
        }
        for (int i = 0; i < kKeys; ++i) {
          if (store->Get(key_of(i), &copy) && VersionOf(key_of(i), copy) < 0) ++bad;
        }
      }
    });
  }
  for (int version = 0; version < 300; ++version) {
    WriteBatch batch;
    for (int i = 0; i < kKeys; ++i) batch.Put(key_of(i), ValueFor(key_of(i), version));
    ASSERT_TRUE(store->Write(batch).ok());
    if (version % 3 == 0) ASSERT_TRUE(store->Delete(key_of(version % kKeys)).ok());
    if (version % 10 == 9) ASSERT_TRUE(store->Clear().ok());
    if (version % 25 == 24) ASSERT_TRUE(store->Compact().ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(0, bad.load());
  EXPECT_GT(guarded_reads.load(), 0);
}

TEST(ConcurrencyTest, ConcurrentSyncedWritersAllLandInEachWritersOrder) {
  test::TempDir dir;
  StoreOptions options;
  options.durability = Durability::kSyncEveryWrite;
  const int kThreads = 4, kWrites = 100;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(dir.File("db"), options, &store).ok());
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kWrites; ++i) {
          std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
          EXPECT_TRUE(store->Put(key, ValueFor(key, i)).ok());
        }
      });
    }
    for (auto& w : writers) w.join();
  }
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(dir.File("db"), options, &store).ok());
  ASSERT_EQ(static_cast<size_t>(kThreads * kWrites), store->size());
  std::vector<int> next(kThreads, 0);
  store->ForEach([&](std::string_view key, std::string_view) {
    int t = key[1] - '0';
    EXPECT_EQ("t" + std::to_string(t) + ":" + std::to_string(next[t]), key);
    ++next[t];
    return true;
  });
}

}  // namespace
}  // namespace pmap
