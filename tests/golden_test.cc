// Golden files: logs of format versions 1 and 2 checked into tests/data/
// must keep opening with the same contents, and the encoder must keep
// producing them byte for byte (the version 1 ones under a version 2
// header: the records of types 1..4 did not change). A format change needs
// a new version number and new files, never an edit of these. (PMAP_WRITE_GOLDEN=1 writes missing files; it is
// for adding a new version's files, not for changing existing ones.)
#include <cstdlib>
#include <fstream>

#include "coding.h"
#include "crc32c.h"
#include "engine.h"
#include "gtest/gtest.h"
#include "native/store.h"
#include "test_util.h"

namespace pmap {
namespace {

const std::string kDataDir = PMAP_TEST_DATA_DIR;

// Every record type, hostile keys, byte values, an update, a delete and a
// re-insert; `model` receives the expected state.
std::string GoldenLog(test::ModelMap* model) {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  auto put = [&](const std::string& k, const std::string& v) {
    EXPECT_TRUE(engine.Put(k, v).ok());
    model->Put(k, v);
  };
  put("user:1", R"({"name":"Ada","langs":["en","fr"]})");
  put("user:2", R"({"name":"Grace"})");
  put("drop-me", "1");
  EXPECT_TRUE(engine.Clear().ok());
  model->Clear();
  put("user:1", R"({"name":"Ada Lovelace"})");
  put("", R"("empty key")");
  put("ключ-🔑", R"("unicode key and \"quotes\", commas\r\n")");
  put("bytes", std::string("\x01\x00\xff\x10", 4));
  put("counter", "41");
  WriteBatch batch;
  batch.Put("counter", "42");
  batch.Put("batch:a", "true");
  batch.Delete("user:1");
  batch.Put("batch:b", "null");
  EXPECT_TRUE(engine.Write(batch).ok());
  model->Put("counter", "42");
  model->Put("batch:a", "true");
  model->Erase("user:1");
  model->Put("batch:b", "null");
  EXPECT_TRUE(engine.Delete("batch:a").ok());
  model->Erase("batch:a");
  put("user:1", R"({"name":"Ada","back":true})");
  put(std::string(300, 'k'), std::string(1000, 'v'));  // multi-byte varints
  return engine.TakePending();
}

std::string CompactedGoldenLog() {
  test::ModelMap model;
  std::string log = GoldenLog(&model);
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover(log, &report).ok());
  Engine::Snapshot snapshot;
  return engine.EncodeSnapshot(&snapshot);
}

// `log` with its header's format version set to `version`.
std::string WithVersion(std::string log, uint32_t version) {
  EncodeFixed32(&log[8], version);
  EncodeFixed32(&log[28], crc32c::Mask(crc32c::Value(log.data(), 28)));
  return log;
}

void CheckGolden(const std::string& name, const std::string& encoded) {
  const std::string path = kDataDir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in && std::getenv("PMAP_WRITE_GOLDEN") != nullptr) {
    test::WriteFileOrDie(path, encoded);
  }
  ASSERT_EQ(encoded, test::ReadFileOrDie(path))
      << "the encoder no longer writes the bytes of " << path;
}

TEST(GoldenTest, TheEncoderStillWritesTheVersion1RecordsUnderAVersion2Header) {
  test::ModelMap model;
  CheckGolden("golden_v1.pmap", WithVersion(GoldenLog(&model), 1));
  CheckGolden("golden_v1_compacted.pmap", WithVersion(CompactedGoldenLog(), 1));
}

TEST(GoldenTest, CheckedInVersion1LogsOpenWithTheirContentsAndOrder) {
  test::ModelMap model;
  GoldenLog(&model);
  for (const char* name : {"golden_v1.pmap", "golden_v1_compacted.pmap"}) {
    test::TempDir dir;
    const std::string copy = dir.File("db");
    test::WriteFileOrDie(copy, test::ReadFileOrDie(kDataDir + "/" + name));
    StoreOptions options;
    options.engine.recovery = RecoveryMode::kStrict;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(copy, options, &store).ok()) << name;
    EXPECT_EQ(model.entries(), test::Contents(*store)) << name;
  }
}

TEST(GoldenTest, TheCompactedGoldenLogIsGenerationOne) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("db"), test::ReadFileOrDie(kDataDir + "/golden_v1_compacted.pmap"));
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(dir.File("db"), {}, &store).ok());
  EXPECT_EQ(1u, store->stats().generation);
  EXPECT_EQ(store->size(), store->stats().total_records);
}

}  // namespace
}  // namespace pmap
