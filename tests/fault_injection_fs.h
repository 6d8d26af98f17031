// FaultInjectionFs wraps a real FileSystem for crash and failure tests, as
// LevelDB's FaultInjectionTestEnv does:
//   * it remembers how much of each file has been synced and which renames
//     and creations a directory sync has made durable; SimulateCrash() then
//     throws away everything else, as a power cut would;
//   * FailNth(op, n) makes the n-th following call of that operation fail
//     (an append writes half its bytes first, like a short write; a sync
//     loses the unsynced bytes, as Linux may after a failed fsync).
#ifndef PMAP_TESTS_FAULT_INJECTION_FS_H_
#define PMAP_TESTS_FAULT_INJECTION_FS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "native/file_system.h"

namespace pmap {
namespace test {

class FaultInjectionFs final : public FileSystem {
 public:
  enum class Op { kAppend, kSync, kTruncate, kRename, kSyncDir, kCreate, kCount };

  explicit FaultInjectionFs(FileSystem* base = PosixFileSystem()) : base_(base) {}

  // The n-th (1-based) call of `op` from now fails; 0 disarms.
  void FailNth(Op op, int n);
  // How many calls of `op` have been made.
  int calls(Op op) const;
  bool injected() const;

  // Loses every unsynced byte and every rename or creation not made durable
  // by SyncDir, and makes every later call fail until Reset().
  void SimulateCrash();
  // Forgets all state: what is on disk now counts as durable.
  void Reset();

  // FileSystem
  Status ReadFile(const std::string& path, std::string* contents) override;
  Status OpenAppendable(const std::string& path, std::unique_ptr<WritableFile>* file) override;
  Status CreateWritable(const std::string& path, std::unique_ptr<WritableFile>* file) override;
  Status FileExists(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;

 private:
  class File;
  friend class File;

  struct Durable {
    uint64_t synced = 0;      // bytes that survive a crash
    bool new_file = false;    // created since the last SyncDir: vanishes
  };
  struct PendingRename {
    std::string from, to;
    bool to_existed;
    std::string to_durable_contents;  // what `to` held durably before
    Durable to_state;
  };

  // Returns an IOError if this call of `op` is the one to fail.
  Status Tick(Op op, const std::string& what);
  void Track(const std::string& path, bool created);
  void NoteAppend(const std::string& path, uint64_t size);
  void NoteSync(const std::string& path);

  FileSystem* const base_;
  mutable std::mutex mu_;
  bool crashed_ = false;
  int fail_at_[static_cast<int>(Op::kCount)] = {};
  int calls_[static_cast<int>(Op::kCount)] = {};
  bool injected_ = false;
  std::map<std::string, Durable> files_;
  std::map<std::string, uint64_t> sizes_;  // current size of tracked files
  std::vector<PendingRename> renames_;
};

}  // namespace test
}  // namespace pmap

#endif  // PMAP_TESTS_FAULT_INJECTION_FS_H_
