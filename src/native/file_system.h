// FileSystem: every file operation the native driver performs goes through
// this interface, so tests can wrap it (tests/fault_injection_fs.h) to drop
// unsynced data or fail the Nth write, sync or rename, the way LevelDB's Env
// is wrapped. The POSIX implementation is PosixFileSystem().
#ifndef PMAP_NATIVE_FILE_SYSTEM_H_
#define PMAP_NATIVE_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace pmap {

// A file opened for appending. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fsync/fdatasync).
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes; the next Append goes there.
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
};

// An acquired lock; released by destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Reads a whole file. NotFound if it does not exist.
  virtual Status ReadFile(const std::string& path, std::string* contents) = 0;
  // Opens `path` for appending at its end, creating it if absent.
  virtual Status OpenAppendable(const std::string& path,
                                std::unique_ptr<WritableFile>* file) = 0;
  // Creates `path` as a new empty file. Fails if anything is at `path`
  // already, a symbolic link included (which is never followed).
  virtual Status CreateWritable(const std::string& path,
                                std::unique_ptr<WritableFile>* file) = 0;
  virtual Status FileExists(const std::string& path) = 0;  // OK or NotFound
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Makes renames and creations in `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status ListDir(const std::string& dir, std::vector<std::string>* names) = 0;
  // Takes the writer's lock of the file `path` names, creating the file
  // (empty) if absent. Every name of one file shares one lock; a lock held
  // elsewhere, by this process or another, gives Status::Locked. The POSIX
  // lock is described in native/posix_lock.h.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
};

// The process-wide POSIX file system.
FileSystem* PosixFileSystem();

// The Status of a failed system call on `path`: NotFound for ENOENT, else
// IOError; the message says what was tried and strerror(err).
Status ErrnoStatus(const std::string& what, const std::string& path, int err);

// "dir/name" -> "dir"; "name" -> ".".
std::string DirName(const std::string& path);
// "dir/name" -> "name".
std::string BaseName(const std::string& path);

}  // namespace pmap

#endif  // PMAP_NATIVE_FILE_SYSTEM_H_
