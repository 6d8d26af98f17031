#include "ordered_index.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"

namespace pmap {
namespace {

std::vector<std::pair<std::string, std::string>> Entries(const OrderedIndex& index) {
  std::vector<std::pair<std::string, std::string>> out;
  index.ForEach([&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

void ExpectPositionsMatch(OrderedIndex* index,
                          const std::vector<std::pair<std::string, std::string>>& want) {
  index->PreparePositions();
  ASSERT_TRUE(index->PositionsReady());
  ASSERT_EQ(want.size(), index->size());
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view k, v;
    index->At(i, &k, &v);
    ASSERT_EQ(want[i].first, k) << "position " << i;
    ASSERT_EQ(want[i].second, v) << "position " << i;
  }
}

TEST(OrderedIndexTest, UpdatingAKeyKeepsItsPosition) {
  OrderedIndex index;
  EXPECT_TRUE(index.Put("a", "1"));
  EXPECT_TRUE(index.Put("b", "2"));
  EXPECT_TRUE(index.Put("c", "3"));
  EXPECT_FALSE(index.Put("a", "one, now much longer than before"));
  auto e = Entries(index);
  ASSERT_EQ(3u, e.size());
  EXPECT_EQ("a", e[0].first);
  EXPECT_EQ("one, now much longer than before", e[0].second);
}

TEST(OrderedIndexTest, DeletingKeepsTheOrderOfTheRestAndReinsertGoesLast) {
  OrderedIndex index;
  for (const char* k : {"a", "b", "c", "d"}) index.Put(k, k);
  EXPECT_TRUE(index.Erase("b"));
  EXPECT_FALSE(index.Erase("b"));
  index.Put("b", "again");
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", "a"}, {"c", "c"}, {"d", "d"}, {"b", "again"}};
  EXPECT_EQ(want, Entries(index));
  ExpectPositionsMatch(&index, want);
}

TEST(OrderedIndexTest, EmptyKeysAndValuesAndBinaryBytesAreOrdinaryEntries) {
  OrderedIndex index;
  std::string nul("\0x\0", 3);
  index.Put("", "");
  index.Put(nul, nul);
  std::string_view v;
  ASSERT_TRUE(index.Get("", &v));
  EXPECT_EQ("", v);
  ASSERT_TRUE(index.Get(nul, &v));
  EXPECT_EQ(nul, v);
  EXPECT_FALSE(index.Contains(std::string("\0x", 2)));
}

TEST(OrderedIndexTest, PositionsAreReadyWithoutPreparationWhileNothingWasErased) {
  OrderedIndex index;
  for (int i = 0; i < 100; ++i) index.Put("k" + std::to_string(i), "v");
  EXPECT_TRUE(index.PositionsReady());
  index.Erase("k5");
  EXPECT_FALSE(index.PositionsReady());
  index.PreparePositions();
  EXPECT_TRUE(index.PositionsReady());
  index.Put("new", "v");
  EXPECT_FALSE(index.PositionsReady());
}

TEST(OrderedIndexTest, ClearEmptiesAndTheIndexIsReusable) {
  OrderedIndex index;
  for (int i = 0; i < 1000; ++i) index.Put(std::to_string(i), "v");
  index.Clear();
  EXPECT_EQ(0u, index.size());
  EXPECT_FALSE(index.Contains("1"));
  index.Put("x", "y");
  EXPECT_EQ(1u, index.size());
}

TEST(OrderedIndexTest, MoveTransfersEntries) {
  OrderedIndex a;
  a.Put("k", "v");
  OrderedIndex b(std::move(a));
  EXPECT_EQ(1u, b.size());
  EXPECT_EQ(0u, a.size());
  a.Put("other", "x");
  EXPECT_TRUE(a.Contains("other"));
}

// Long random sequences against the obvious model, with many hash
// collisions (small key space), squeezes of holes and positional reads
// interleaved with writes.
TEST(OrderedIndexTest, RandomOperationsMatchTheModel) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    OrderedIndex index;
    test::ModelMap model;
    const int key_space = seed % 2 == 0 ? 50 : 3000;
    for (int step = 0; step < 20000; ++step) {
      std::string key = "key" + std::to_string(rng() % key_space);
      int op = static_cast<int>(rng() % 100);
      if (op < 55) {
        std::string value = test::RandomBytes(&rng, op < 5 ? 300 : 20);
        model.Put(key, value);
        index.Put(key, value);
      } else if (op < 90) {
        EXPECT_EQ(model.Erase(key), index.Erase(key));
      } else if (op < 99) {
        if (index.size() > 0) {
          if (!index.PositionsReady()) index.PreparePositions();
          size_t i = rng() % index.size();
          std::string_view k, v;
          index.At(i, &k, &v);
          ASSERT_EQ(model.entries()[i].first, k) << "seed " << seed << " step " << step;
          ASSERT_EQ(model.entries()[i].second, v);
        }
      } else {
        model.Clear();
        index.Clear();
      }
      ASSERT_EQ(model.entries().size(), index.size());
    }
    EXPECT_EQ(model.entries(), Entries(index));
    ExpectPositionsMatch(&index, model.entries());
    for (const auto& e : model.entries()) {
      std::string_view v;
      ASSERT_TRUE(index.Get(e.first, &v));
      EXPECT_EQ(e.second, v);
    }
  }
}

TEST(OrderedIndexTest, MemoryUsageGrowsWithContents) {
  OrderedIndex index;
  size_t empty = index.MemoryUsage();
  for (int i = 0; i < 1000; ++i) index.Put("key" + std::to_string(i), std::string(100, 'v'));
  EXPECT_GT(index.MemoryUsage(), empty + 1000 * 100);
  EXPECT_LT(index.MemoryUsage(), empty + 1000 * 250);
}

// A cursor visits entries as a JavaScript Map's iterator does, whatever
// happens between its steps: the model is an append-only list of entries
// that an erase or a clear marks dead, and an index into it.
TEST(OrderedIndexTest, CursorsVisitEntriesAsAMapIteratorDoesThroughWritesSqueezesAndClears) {
  struct ModelEntry {
    std::string key, value;
    bool live;
  };
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    OrderedIndex index;
    std::vector<ModelEntry> model;
    auto find = [&](const std::string& k) -> ModelEntry* {
      for (auto& e : model) {
        if (e.live && e.key == k) return &e;
      }
      return nullptr;
    };
    const uint32_t id = index.AddCursor();
    const uint32_t other = index.AddCursor();  // never moves: stays valid
    size_t at = 0;  // the model cursor
    for (int step = 0; step < 3000; ++step) {
      const int op = static_cast<int>(rng() % 100);
      const std::string k = "k" + std::to_string(rng() % 300);
      if (op < 35) {
        const std::string v = std::to_string(step);
        if (ModelEntry* e = find(k)) e->value = v;
        else model.push_back({k, v, true});
        index.Put(k, v);
      } else if (op < 70) {
        if (ModelEntry* e = find(k)) e->live = false;
        index.Erase(k);
      } else if (op < 71) {
        for (auto& e : model) e.live = false;
        index.Clear();
      } else {
        while (at < model.size() && !model[at].live) ++at;
        std::string key, value;
        bool found = false;
        index.SkipAndVisit(id, 0, [&](std::string_view k2, std::string_view v2) {
          key = std::string(k2);
          value = std::string(v2);
          found = true;
          return false;
        });
        ASSERT_EQ(at < model.size(), found) << "round " << round << ", step " << step;
        if (!found) continue;
        ASSERT_EQ(model[at].key, key) << "round " << round << ", step " << step;
        ASSERT_EQ(model[at].value, value);
        ++at;
        index.SkipAndVisit(id, 1, [](std::string_view, std::string_view) { return false; });
      }
    }
    size_t rest = 0;
    index.SkipAndVisit(other, 0, [&](std::string_view, std::string_view) { return ++rest, true; });
    EXPECT_EQ(index.size(), rest);
    index.RemoveCursor(id);
    index.RemoveCursor(other);
  }
}

TEST(OrderedIndexTest, ARemovedCursorsIdIsGivenOutAgain) {
  OrderedIndex index;
  const uint32_t a = index.AddCursor();
  const uint32_t b = index.AddCursor();
  EXPECT_NE(a, b);
  index.RemoveCursor(a);
  EXPECT_EQ(a, index.AddCursor());
}

}  // namespace
}  // namespace pmap
