// The writer's lock of a native Store (native/posix_lock.h): one writer per
// file, whatever name it is opened by, in this process and others; readers
// take none; the lock follows the log across compactions; the kernel drops it
// when its holder dies. The race between many openers in many processes, JS
// and native mixed, is in tests/js/lock_race.test.js.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "gtest/gtest.h"
#include "native/store.h"
#include "test_util.h"

namespace pmap {
namespace {

std::unique_ptr<Store> OpenOrDie(const std::string& path, StoreOptions options = {}) {
  std::unique_ptr<Store> store;
  Status s = Store::Open(path, options, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

Status TryOpen(const std::string& path, StoreOptions options = {}) {
  std::unique_ptr<Store> store;
  return Store::Open(path, options, &store);
}

// Runs `child` in a forked process and returns its exit code.
template <typename F>
int InChild(F child) {
  pid_t pid = fork();
  if (pid == 0) _exit(child());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(StoreLockTest, ASecondWriterInThisProcessGetsLockedUntilTheFirstCloses) {
  test::TempDir dir;
  auto first = OpenOrDie(dir.File("db"));
  Status s = TryOpen(dir.File("db"));
  ASSERT_TRUE(s.IsLocked()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("close it there first")) << s.message();
  ASSERT_TRUE(first->Close().ok());
  EXPECT_TRUE(TryOpen(dir.File("db")).ok());
}

TEST(StoreLockTest, ASecondWriterInAnotherProcessGetsLocked) {
  test::TempDir dir;
  auto first = OpenOrDie(dir.File("db"));
  EXPECT_EQ(0, InChild([&] { return TryOpen(dir.File("db")).IsLocked() ? 0 : 1; }));
}

#if defined(__linux__)
TEST(StoreLockTest, ALockedStoreNamesTheProcessThatHoldsIt) {
  test::TempDir dir;
  auto first = OpenOrDie(dir.File("db"));
  const std::string holder = "process " + std::to_string(getpid());
  EXPECT_EQ(0, InChild([&] {
    Status s = TryOpen(dir.File("db"));
    return s.IsLocked() && s.message().find(holder) != std::string::npos ? 0 : 1;
  }));
}
#endif

TEST(StoreLockTest, TheLockOfAProcessThatDiedWithoutClosingIsReleasedByTheKernel) {
  test::TempDir dir;
  EXPECT_EQ(0, InChild([&] {
              std::unique_ptr<Store> store;
              Store::Open(dir.File("db"), {}, &store);
              store->Put("k", "v");
              store->Flush();
              return 0;  // no Close(): the process exit drops the lock
            }));
  auto store = OpenOrDie(dir.File("db"));
  std::string v;
  EXPECT_TRUE(store->Get("k", &v));
}

TEST(StoreLockTest, EveryNameOfOneFileSharesOneLock) {
  test::TempDir dir;
  const std::string real = dir.File("db");
  auto first = OpenOrDie(real);
  ASSERT_TRUE(first->Put("k", "1").ok());
  ASSERT_EQ(0, ::symlink(real.c_str(), dir.File("via-symlink").c_str()));
  ASSERT_EQ(0, ::link(real.c_str(), dir.File("via-hard-link").c_str()));
  ASSERT_EQ(0, ::symlink(dir.path().c_str(), (dir.path() + "-dir-link").c_str()));
  for (const std::string& alias :
       {dir.File("via-symlink"), dir.File("via-hard-link"), dir.path() + "-dir-link/db",
        dir.path() + "/./db"}) {
    Status s = TryOpen(alias);
    EXPECT_TRUE(s.IsLocked()) << alias << ": " << s.ToString();
    EXPECT_EQ(0, InChild([&] { return TryOpen(alias).IsLocked() ? 0 : 1; })) << alias;
  }
  ::unlink((dir.path() + "-dir-link").c_str());
}

TEST(StoreLockTest, TheLockFollowsTheLogAcrossACompaction) {
  test::TempDir dir;
  auto first = OpenOrDie(dir.File("db"));
  struct stat before, after;
  ASSERT_EQ(0, ::stat(dir.File("db").c_str(), &before));
  ASSERT_TRUE(first->Put("k", "1").ok());
  ASSERT_TRUE(first->Compact().ok());
  ASSERT_EQ(0, ::stat(dir.File("db").c_str(), &after));
  ASSERT_NE(before.st_ino, after.st_ino);  // a new file took the name
  EXPECT_TRUE(TryOpen(dir.File("db")).IsLocked());
  EXPECT_EQ(0, InChild([&] { return TryOpen(dir.File("db")).IsLocked() ? 0 : 1; }));
}

TEST(StoreLockTest, AReaderTakesNoLockAndLeavesNothingBehind) {
  test::TempDir dir;
  auto writer = OpenOrDie(dir.File("db"));
  ASSERT_TRUE(writer->Put("k", "1").ok());
  ASSERT_TRUE(writer->Flush().ok());
  StoreOptions ro;
  ro.read_only = true;
  auto reader = OpenOrDie(dir.File("db"), ro);
  std::string v;
  EXPECT_TRUE(reader->Get("k", &v));
  EXPECT_EQ("1", v);
  ASSERT_TRUE(writer->Close().ok());
  // The reader does not keep a writer out either.
  EXPECT_TRUE(TryOpen(dir.File("db")).ok());
  EXPECT_EQ(std::vector<std::string>{"db"}, test::ListDirOrDie(dir.path()));
}

TEST(StoreLockTest, ALockFileOfAnEarlierVersionIsNeitherReadNorTouched) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("db.lock"), "99999999999999999999\n");
  {
    auto store = OpenOrDie(dir.File("db"));
    ASSERT_TRUE(store->Put("k", "1").ok());
  }
  EXPECT_EQ("99999999999999999999\n", test::ReadFileOrDie(dir.File("db.lock")));
}

TEST(StoreLockTest, ASymlinkPlantedAtAnOldLockNameIsNotFollowed) {
  test::TempDir dir;
  test::WriteFileOrDie(dir.File("victim"), "precious\n");
  ASSERT_EQ(0, ::symlink(dir.File("victim").c_str(), dir.File("db.lock").c_str()));
  {
    auto store = OpenOrDie(dir.File("db"));
    ASSERT_TRUE(store->Put("k", "1").ok());
  }
  EXPECT_EQ("precious\n", test::ReadFileOrDie(dir.File("victim")));
}

TEST(StoreLockTest, ADanglingSymlinkAsTheStorePathIsRefusedAndCreatesNothing) {
  test::TempDir dir;
  ASSERT_EQ(0, ::symlink(dir.File("missing").c_str(), dir.File("db").c_str()));
  Status s = TryOpen(dir.File("db"));
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("symbolic link to a file that does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("missing")));
}

TEST(StoreLockTest, ADirectoryAsTheStorePathIsRefused) {
  test::TempDir dir;
  Status s = TryOpen(dir.path());
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

// Eight processes released at the same moment, 25 rounds, the store new or
// existing: exactly one writer each round. A winner holds the store until the
// parent has seen every other child finish (or 10 s have passed).
TEST(StoreLockTest, OfEightProcessesOpeningAtOnceExactlyOneWrites) {
  for (int round = 0; round < 25; ++round) {
    test::TempDir dir;
    if (round % 2 == 1) {
      auto store = OpenOrDie(dir.File("db"));
      ASSERT_TRUE(store->Put("seed", "0").ok());
    }
    int go[2], done[2];
    ASSERT_EQ(0, ::pipe(go));
    ASSERT_EQ(0, ::pipe(done));
    std::vector<pid_t> children;
    for (int i = 0; i < 8; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        ::close(go[1]);
        ::close(done[1]);
        char c;
        if (::read(go[0], &c, 1) < 0) _exit(3);  // released when the pipe closes
        std::unique_ptr<Store> store;
        Status s = Store::Open(dir.File("db"), {}, &store);
        if (s.IsLocked()) _exit(1);
        if (!s.ok()) _exit(2);
        if (::read(done[0], &c, 1) < 0) _exit(3);  // hold it until told
        _exit(0);
      }
      children.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);
    ::close(done[0]);
    int opened = 0, locked = 0, finished = 0;
    auto reap = [&](int flags) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, flags);
      if (pid <= 0) return false;
      ++finished;
      if (WIFEXITED(status)) {
        opened += WEXITSTATUS(status) == 0;
        locked += WEXITSTATUS(status) == 1;
      }
      return true;
    };
    for (int waited_ms = 0; finished < 7 && waited_ms < 10000;) {
      if (!reap(WNOHANG)) {
        ::usleep(1000);
        ++waited_ms;
      }
    }
    ::close(done[1]);  // let the winner go
    while (finished < 8 && reap(0)) {
    }
    EXPECT_EQ(1, opened) << "round " << round;
    EXPECT_EQ(7, locked) << "round " << round;
  }
}

}  // namespace
}  // namespace pmap
