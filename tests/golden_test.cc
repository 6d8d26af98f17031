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
#include "value_codec.h"

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

// `log` with its header's format version set to `version`.
std::string WithVersion(std::string log, uint32_t version) {
  EncodeFixed32(&log[8], version);
  EncodeFixed32(&log[28], crc32c::Mask(crc32c::Value(log.data(), 28)));
  return log;
}

constexpr uint64_t kAda = 0x00000000000000a1ULL;
constexpr uint64_t kGrace = 0xfedcba9876543210ULL;

// Version 2: the version 1 golden log, then tagged writes of two clients
// (every inner record type) and an untagged one between them.
std::string GoldenV2Log(test::ModelMap* model) {
  const std::string log = GoldenLog(model);  // under a version 2 header
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover(log, &report).ok());
  TaggedBatch ada(kAda, 1);
  ada.Put("shared:1", R"({"by":"ada"})");
  ada.Delete("counter");
  WriteBatch batch;
  batch.Put("shared:2", "2");
  batch.Delete("bytes");
  ada.Write(batch);
  EXPECT_TRUE(engine.Write(ada).ok());
  model->Put("shared:1", R"({"by":"ada"})");
  model->Erase("counter");
  model->Put("shared:2", "2");
  model->Erase("bytes");
  EXPECT_TRUE(engine.Put("plain", "true").ok());
  model->Put("plain", "true");
  TaggedBatch grace(kGrace, (uint64_t{1} << 53) - 1);
  grace.Clear();
  grace.Put("after-clear", R"("grace")");
  EXPECT_TRUE(engine.Write(grace).ok());
  model->Clear();
  model->Put("after-clear", R"("grace")");
  TaggedBatch ada2(kAda, 2);
  ada2.Put("shared:1", R"({"by":"ada","n":2})");
  EXPECT_TRUE(engine.Write(ada2).ok());
  model->Put("shared:1", R"({"by":"ada","n":2})");
  return log + engine.TakePending();
}

std::string CompactedGoldenV2Log() {
  test::ModelMap model;
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover(GoldenV2Log(&model), &report).ok());
  Engine::Snapshot snapshot;
  return engine.EncodeSnapshot(&snapshot);
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

TEST(GoldenTest, TheEncoderStillWritesTheVersion2GoldenLogs) {
  test::ModelMap model;
  CheckGolden("golden_v2.pmap", GoldenV2Log(&model));
  CheckGolden("golden_v2_compacted.pmap", CompactedGoldenV2Log());
}

TEST(GoldenTest, CheckedInVersion2LogsOpenWithTheirContentsOrderAndClients) {
  test::ModelMap model;
  GoldenV2Log(&model);
  for (const char* name : {"golden_v2.pmap", "golden_v2_compacted.pmap"}) {
    const std::string log = test::ReadFileOrDie(kDataDir + "/" + name);
    EngineOptions options;
    options.recovery = RecoveryMode::kStrict;
    Engine engine(options);
    RecoveryReport report;
    ASSERT_TRUE(engine.Recover(log, &report).ok()) << name;
    EXPECT_EQ(model.entries(), test::EntriesOf(engine)) << name;
    EXPECT_EQ(2u, engine.format_version());
    EXPECT_EQ(2u, engine.ClientSeq(kAda)) << name;
    EXPECT_EQ((uint64_t{1} << 53) - 1, engine.ClientSeq(kGrace)) << name;
    // And through the native Store.
    test::TempDir dir;
    test::WriteFileOrDie(dir.File("db"), log);
    StoreOptions store_options;
    store_options.engine.recovery = RecoveryMode::kStrict;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(dir.File("db"), store_options, &store).ok()) << name;
    EXPECT_EQ(model.entries(), test::Contents(*store)) << name;
  }
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

// Values of value encoding version 1 (docs/FORMAT.md, "Value encoding"):
// plain JSON text (also an object that looks like a tag), bytes, and
// tagged values of every kind. tests/js/rich_values.test.js opens this
// file and checks the JavaScript values.
std::string GoldenValuesLog() {
  Engine engine;
  RecoveryReport report;
  EXPECT_TRUE(engine.Recover("", &report).ok());
  const std::string tagged(1, kTaggedTag);
  const std::pair<const char*, std::string> values[] = {
      {"plain", R"({"name":"Ada","tags":["x"]})"},
      {"lookalike", R"({"$date":"not a tag"})"},
      {"bytes", std::string("\x01\x00\xff", 3)},
      {"undefined", tagged + R"({"$undefined":null})"},
      {"numbers", tagged + R"([{"$number":"NaN"},{"$number":"-0"},{"$number":"Infinity"},{"$bigint":"-12345678901234567890"}])"},
      {"task", tagged + R"({"title":"x","due":{"$undefined":null},"at":{"$date":"2024-05-01T12:00:00.000Z"},"re":{"$regexp":["a+","gi"]}})"},
      {"collections", tagged + R"({"$map":[[{"$date":"1970-01-01T00:00:00.000Z"},{"$set":[1,"x",{"$ref":2}]}],["o",{"$object":[["$ref",0]]}]]})"},
      {"arrays", tagged + R"([{"$array":[3,[[0,1],["extra",true]]]},{"$arraybuffer":"AQI="},{"$float32array":"AADAPw=="},{"$dataview":"AQ=="},{"$bytes":"/w=="}])"},
      {"error", tagged + R"({"$error":{"name":"RangeError","message":"boom","cause":{"code":42}}})"},
      {"shared", tagged + R"({"p":{"x":1},"q":{"$ref":1},"self":{"$ref":0}})"},
  };
  for (const auto& [key, value] : values) EXPECT_TRUE(engine.Put(key, value).ok());
  return engine.TakePending();
}

TEST(GoldenTest, TheEncoderStillWritesTheValuesGoldenLog) {
  // Written before log format version 2; its records are unchanged.
  CheckGolden("golden_values_v1.pmap", WithVersion(GoldenValuesLog(), 1));
}

TEST(GoldenTest, EveryValueOfTheValuesGoldenLogShowsAsTextAndComesBackExactly) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("db"), test::ReadFileOrDie(kDataDir + "/golden_values_v1.pmap"));
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(dir.File("db"), {}, &store).ok());
  ASSERT_EQ(10u, store->size());
  for (size_t i = 0; i < store->size(); ++i) {
    std::string key, value, back;
    ASSERT_TRUE(store->At(i, &key, &value));
    ASSERT_TRUE(TextToValue(ValueToText(value), &back).ok()) << key;
    EXPECT_EQ(value, back) << key;
    EXPECT_EQ(std::string::npos, ValueToText(value).find("$raw")) << key;
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
