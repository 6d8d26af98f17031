// End-to-end tests of the native CLI, persistent-map-native: runs the
// binary (PMAP_CLI_PATH) and checks its stdout, stderr, exit code and the
// files it leaves.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "native/store.h"

extern char** environ;

namespace pmap {
namespace {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pmap_cli_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = dir_ + "/store.pmap";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the CLI with `args`; stdout and stderr go through files in dir_.
  Result Run(const std::vector<std::string>& args) {
    const std::string out_path = dir_ + "/.stdout";
    const std::string err_path = dir_ + "/.stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all = {PMAP_CLI_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    Result r;
    pid_t pid;
    int rc = posix_spawn(&pid, PMAP_CLI_PATH, &actions, nullptr, argv.data(),
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot run " << PMAP_CLI_PATH;
    if (rc != 0) return r;
    int status = 0;
    waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = ReadAll(out_path);
    r.err = ReadAll(err_path);
    return r;
  }

  // Runs the CLI and expects exit 0; returns stdout.
  std::string Ok(const std::vector<std::string>& args) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 0) << "persistent-map-native " << args[0] << ": "
                         << r.err;
    return r.out;
  }

  std::string dir_;
  std::string store_;
};

TEST_F(CliTest, SetGetDelAndDumpRoundTripKeepingInsertionOrder) {
  Ok({"set", store_, "a", "1"});
  Ok({"set", store_, "b", "{\"x\":[true,null]}"});
  Ok({"set", store_, "c", "\"three\""});
  EXPECT_EQ(Ok({"get", store_, "b"}), "{\"x\":[true,null]}\n");
  Ok({"set", store_, "a", "10"});  // an update keeps its position
  Ok({"del", store_, "b"});
  Ok({"set", store_, "b", "2"});  // a reinsert goes to the end
  EXPECT_EQ(Ok({"dump", store_}),
            "{\"key\":\"a\",\"value\":10}\n"
            "{\"key\":\"c\",\"value\":\"three\"}\n"
            "{\"key\":\"b\",\"value\":2}\n");

  Result missing = Run({"get", store_, "zz"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err,
            "persistent-map-native: no key 'zz' in " + store_ + "\n");
  Result del_missing = Run({"del", store_, "zz"});
  EXPECT_EQ(del_missing.code, 1);
  EXPECT_NE(del_missing.err.find("no key 'zz'"), std::string::npos);
}

TEST_F(CliTest, SetWithInvalidJsonFailsAndWritesNothing) {
  Result r = Run({"set", store_, "k", "{not json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(store_));
}

TEST_F(CliTest, OutOfRangeNumbersAndDeepNestingExitOneAndWriteNothing) {
  // 60,000 nested arrays: 120 KB, under Linux's 128 KiB limit per argument.
  const std::string deep = std::string(60000, '[') + std::string(60000, ']');
  for (const std::string& value : {std::string("1e999"), deep}) {
    Result r = Run({"set", store_, "k", value});
    EXPECT_EQ(r.code, 1) << r.err.substr(0, 200);
    EXPECT_EQ(r.err.rfind("persistent-map-native: value ", 0), 0u)
        << r.err.substr(0, 200);
  }
  EXPECT_FALSE(std::filesystem::exists(store_));

  const std::string csv = dir_ + "/deep.csv";
  WriteAll(csv, "key,value\r\nok,1\r\nk,\"" + deep + "\"\r\nn,-1e999\r\n");
  Result r = Run({"import-csv", store_, csv});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("CSV line 3, column 2: value nests arrays and objects "
                       "more than 1000 levels deep"),
            std::string::npos)
      << r.err.substr(0, 200);
  EXPECT_FALSE(std::filesystem::exists(store_));
}

TEST_F(CliTest, BytesValuesRoundTripThroughDollarBytes) {
  Ok({"set", store_, "bin", "{\"$bytes\":\"AAEC/w==\"}"});
  EXPECT_EQ(Ok({"get", store_, "bin"}), "{\"$bytes\":\"AAEC/w==\"}\n");
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.read_only = true;
  ASSERT_TRUE(Store::Open(store_, options, &store).ok());
  std::string value;
  ASSERT_TRUE(store->Get("bin", &value));
  EXPECT_EQ(value, std::string("\x01\x00\x01\x02\xff", 5));
}

TEST_F(CliTest, StatReportsRecordCountsAndSizes) {
  Ok({"set", store_, "a", "1"});
  Ok({"set", store_, "b", "2"});
  Ok({"set", store_, "a", "3"});
  Ok({"del", store_, "b"});
  const std::string out = Ok({"stat", store_});
  // Header 32 + three PUTs of 9 + 1 + 1 + 1 + one DELETE of 9 + 1.
  const uint64_t size = std::filesystem::file_size(store_);
  EXPECT_EQ(size, 32u + 3 * 12 + 10);
  EXPECT_NE(out.find("generation: 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("live records: 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("total records: 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("log bytes: " + std::to_string(size) + "\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("file size: " + std::to_string(size) + "\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("dead ratio: 0.75"), std::string::npos) << out;
  EXPECT_NE(out.find("damaged ranges: 0\n"), std::string::npos) << out;
}

TEST_F(CliTest, ExportThenImportReproducesHostileKeysAndValuesExactly) {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"plain", "1"},
      {"with \"quotes\"", "\"say \\\"hi\\\", ok\""},
      {"comma,key", "[1,2,3]"},
      {"cr\rlf\nboth\r\n", "\"line1\\r\\nline2\""},
      {"unicod\xC3\xA9 \xE2\x9C\x93 \xF0\x9D\x84\x9E", "\"h\xC3\xA9llo\""},
      {"", "\"\""},
      {"=SUM(A1:A9)", "-1"},
      {" padded ", "{\"$bytes\":\"AP8=\"}"},
      {"nested", "{\"a\":{\"b\":[null,false,1.5]}}"},
  };
  for (const auto& [key, value] : entries) Ok({"set", store_, key, value});
  const std::string csv = dir_ + "/out.csv";
  Ok({"export-csv", store_, csv});
  EXPECT_EQ(Ok({"export-csv", store_}), ReadAll(csv));  // stdout == file
  EXPECT_EQ(ReadAll(csv).rfind("key,value\r\n", 0), 0u);

  const std::string copy = dir_ + "/copy.pmap";
  EXPECT_EQ(Ok({"import-csv", copy, csv}), "imported 9 entries\n");
  const std::string dump = Ok({"dump", store_});
  EXPECT_EQ(Ok({"dump", copy}), dump);
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 9);
}

TEST_F(CliTest, NeutralizeFormulasPrefixesAQuote) {
  Ok({"set", store_, "=cmd|' /C calc'!A0", "-5"});
  Ok({"set", store_, "safe", "7"});
  Result r = Run({"export-csv", store_, "--neutralize-formulas"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "key,value\r\n"
            "\"'=cmd|' /C calc'!A0\",\"'-5\"\r\n"
            "safe,7\r\n");
}

TEST_F(CliTest, ImportWithBadJsonOnLineThreeFailsNamingItAndChangesNothing) {
  Ok({"set", store_, "existing", "\"keep\""});
  const std::string before = Ok({"dump", store_});
  const std::string file_before = ReadAll(store_);
  const std::string csv = dir_ + "/bad.csv";
  WriteAll(csv, "key,value\r\nnew1,1\r\nnew2,{oops\r\nnew3,3\r\n");
  Result r = Run({"import-csv", store_, csv});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("CSV line 3, column 2: value is not valid JSON"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Ok({"dump", store_}), before);
  EXPECT_EQ(ReadAll(store_), file_before);
}

TEST_F(CliTest, ImportWithAWrongHeaderFailsNamingLineOne) {
  const std::string csv = dir_ + "/bad.csv";
  WriteAll(csv, "name,value\nk,1\n");
  Result r = Run({"import-csv", store_, csv});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("CSV line 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("key,value"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(store_));
}

TEST_F(CliTest, VerifyOnACleanStoreExitsZero) {
  Ok({"set", store_, "k1", "1"});
  Ok({"set", store_, "k2", "2"});
  const std::string out = Ok({"verify", store_});
  EXPECT_EQ(out.find("damaged"), std::string::npos) << out;
  EXPECT_NE(out.find("records: 2\n"), std::string::npos) << out;
}

TEST_F(CliTest, VerifyReportsAFlippedByteInAMiddleRecordWithoutTouchingIt) {
  // Header 32, then PUT records of 9 + 1 + 2 + 1 = 13 bytes each.
  Ok({"set", store_, "k1", "1"});
  Ok({"set", store_, "k2", "2"});
  Ok({"set", store_, "k3", "3"});
  std::string bytes = ReadAll(store_);
  ASSERT_EQ(bytes.size(), 32u + 3 * 13);
  bytes[45 + 11] ^= 0x40;  // the key of the second record
  WriteAll(store_, bytes);

  Result r = Run({"verify", store_});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.out.find("damaged bytes [45, 58): bad checksum"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("records: 2\n"), std::string::npos) << r.out;
  EXPECT_EQ(ReadAll(store_), bytes);

  // The default recovery mode refuses it too, naming the offset.
  Result get = Run({"get", store_, "k1"});
  EXPECT_EQ(get.code, 2);
  EXPECT_NE(get.err.find("byte 45"), std::string::npos) << get.err;
  EXPECT_EQ(ReadAll(store_), bytes);
}

TEST_F(CliTest, AStoreHoldingARecordOverTheDefaultLimitIsRefusedUntouched) {
  // Written through the library with a larger limit than pmap opens with.
  StoreOptions options;
  options.engine.max_record_size = 128u << 20;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(store_, options, &store).ok());
    ASSERT_TRUE(store->Put("big", std::string((64u << 20) + 1000, 'v')).ok());
    ASSERT_TRUE(store->Close().ok());
  }
  const std::string before = ReadAll(store_);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"set", store_, "other", "1"},
           {"set", store_, "other", "1", "--recovery=salvage"},
           {"get", store_, "big"}}) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(
        r.err.find("log record at byte 32 has a " +
                   std::to_string((64u << 20) + 1000 + 4) + "-byte payload"),
        std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("max_record_size"), std::string::npos) << r.err;
    EXPECT_EQ(ReadAll(store_), before);
  }
  // verify checks the format, whose limit is 1 GiB: the store is sound.
  EXPECT_NE(Ok({"verify", store_}).find("records: 1\n"), std::string::npos);
}

TEST_F(CliTest, ReadOnlyCommandsOnAMissingFileSayNoStoreAndCreateNothing) {
  for (const char* command : {"get", "stat", "dump", "export-csv"}) {
    std::vector<std::string> args = {command, store_};
    if (std::string(command) == "get") args.push_back("k");
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << command;
    EXPECT_NE(r.err.find("no store at " + store_), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(store_));
  EXPECT_FALSE(std::filesystem::exists(store_ + ".lock"));
}

TEST_F(CliTest, AnSqliteStoreIsNamedAsSuchWithAUsageExitForEveryCommand) {
  // The first bytes of every SQLite 3 database, then what a page holds.
  const std::string db = dir_ + "/store.db";
  const std::string bytes = std::string("SQLite format 3\0", 16) +
                            std::string("\x10\x00\x01\x01", 4) +
                            std::string(4076, '\0');
  WriteAll(db, bytes);
  const std::string csv = dir_ + "/in.csv";
  WriteAll(csv, "key,value\r\nk,1\r\n");
  const std::vector<std::vector<std::string>> commands = {
      {"stat", db},
      {"get", db, "k"},
      {"set", db, "k", "1"},
      {"delete", db, "k"},
      {"dump", db},
      {"export-csv", db},
      {"import-csv", db, csv},
      {"compact", db},
      {"verify", db},
  };
  for (const auto& args : commands) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 64) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "persistent-map-native: " + db +
                         " is an SQLite database (a store of the npm "
                         "package's sqlite backend), not a persistent-map "
                         "log; read it with the package's CLI, npx "
                         "persistent-map " +
                         args[0] + " " + db + ", or with sqlite3\n");
  }
  EXPECT_EQ(ReadAll(db), bytes);
  EXPECT_FALSE(std::filesystem::exists(db + ".lock"));
  // Too short to be one: an ordinary damaged log.
  WriteAll(db, "SQLite");
  EXPECT_EQ(Run({"verify", db}).code, 2);
}

TEST_F(CliTest, BadArgumentsExitWithUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate", store_},
      {"get", store_},
      {"get", store_, "k", "extra"},
      {"stat", store_, "--bogus"},
      {"stat", store_, "--recovery=sometimes"},
      {"dump", store_, "--neutralize-formulas"},
      {"help", "frobnicate"},
  };
  for (const auto& args : bad) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 64) << (args.empty() ? "" : args[0]);
    EXPECT_NE(r.err.find("usage: persistent-map-native"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(CliTest, HelpPrintsUsageToStdoutAndExitsZero) {
  Result global = Run({"--help"});
  EXPECT_EQ(global.code, 0);
  EXPECT_NE(global.out.find("exit codes"), std::string::npos);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"help", "set"}, {"set", "--help"}}) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out.rfind("usage: persistent-map-native set STORE KEY JSON", 0),
              0u)
        << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST_F(CliTest, ASecondWriterGetsExitThreeWhileTheStoreIsHeldOpen) {
  Ok({"set", store_, "k", "1"});
  std::unique_ptr<Store> held;
  ASSERT_TRUE(Store::Open(store_, StoreOptions(), &held).ok());
  Result r = Run({"set", store_, "k", "2"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("locked"), std::string::npos) << r.err;
  held.reset();
  EXPECT_EQ(Ok({"get", store_, "k"}), "1\n");
}

TEST_F(CliTest, CompactShrinksAStoreWithManyOverwrites) {
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(Store::Open(store_, StoreOptions(), &store).ok());
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(
          store->Put("key" + std::to_string(i % 10), std::to_string(i)).ok());
    }
    ASSERT_TRUE(store->Close().ok());
  }
  const std::string dump = Ok({"dump", store_});
  const uint64_t before = std::filesystem::file_size(store_);
  const std::string out = Ok({"compact", store_});
  const uint64_t after = std::filesystem::file_size(store_);
  EXPECT_LT(after * 10, before);
  EXPECT_EQ(out, "compacted " + store_ + ": " + std::to_string(before) +
                     " -> " + std::to_string(after) + " bytes\n");
  EXPECT_EQ(Ok({"dump", store_}), dump);
  EXPECT_NE(Ok({"stat", store_}).find("generation: 1\n"), std::string::npos);
}

}  // namespace
}  // namespace pmap
