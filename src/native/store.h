// Store: a persistent, insertion-ordered map of byte strings in one log file
// (docs/FORMAT.md), the native driver of the core Engine.
//
// Threads (StoreOptions::threads):
//   kMany  any number of threads may read (Get, Contains, At, ForEach, size,
//          stats, ReadGuard) while one or more write; writes are serialised.
//          Every read takes a shared lock: one per call, or one for many
//          reads under a ReadGuard. Reads never wait for disk I/O.
//   kOne   the caller makes sure that no two calls overlap (one thread, or
//          its own lock), as the Rust crate's &mut self does. Nothing is
//          locked: a Get is the index lookup and the copy, nothing more.
//
// Durability (StoreOptions::durability):
//   kNone           writes reach the OS when the buffer fills, on Flush() and
//                   Close(); nothing is fsynced.
//   kSyncOnFlush    as kNone, but Flush() and Close() also fsync.
//   kSyncEveryWrite a write returns once it is fsynced. Writers that arrive
//                   while a sync is in progress share the next one (group
//                   commit).
//
// Failure (the contract the JavaScript API also documents):
//   * A write the Engine refuses (too large) changes nothing.
//   * If appending to the log fails, the file is cut back to its last good
//     length and the in-memory state is rebuilt from it: the writes in the
//     failed group are rolled back and reported, the store stays usable.
//   * If an fsync fails, or the store cannot restore a consistent file, it
//     refuses every further write with kClosed until it is reopened (after a
//     failed fsync nothing in the page cache can be trusted). Reads go on.
//   * A failed compaction leaves the old log and the state as they were.
#ifndef PMAP_NATIVE_STORE_H_
#define PMAP_NATIVE_STORE_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine.h"
#include "native/file_system.h"
#include "status.h"
#include "write_batch.h"

namespace pmap {

enum class Durability { kNone, kSyncOnFlush, kSyncEveryWrite };
enum class Threads { kMany, kOne };

struct StoreOptions {
  Durability durability = Durability::kSyncOnFlush;
  // Pending log bytes are written once they reach this size.
  size_t buffer_capacity = 64 << 10;
  EngineOptions engine;  // max record size, recovery mode, compaction policy
  bool create_if_missing = true;
  // Opens without writing anything: takes a shared lock, leaves a torn tail
  // in place, and refuses writes.
  bool read_only = false;
  Threads threads = Threads::kMany;
  FileSystem* fs = nullptr;  // nullptr: PosixFileSystem()
};

// The lock of a Store's in-memory state: a shared mutex, or nothing at all in
// a Threads::kOne store.
class StateMutex {
 public:
  explicit StateMutex(bool enabled) : enabled_(enabled) {}
  void lock() {
    if (enabled_) mu_.lock();
  }
  void unlock() {
    if (enabled_) mu_.unlock();
  }
  void lock_shared() {
    if (enabled_) mu_.lock_shared();
  }
  void unlock_shared() {
    if (enabled_) mu_.unlock_shared();
  }

 private:
  const bool enabled_;
  std::shared_mutex mu_;
};

class Store {
 public:
  // Opens (or creates) the store at `path`. *report, if given, receives what
  // recovery found (damaged ranges with byte offsets).
  static Status Open(const std::string& path, const StoreOptions& options,
                     std::unique_ptr<Store>* store,
                     RecoveryReport* report = nullptr);
  ~Store();  // Close(), ignoring its status

  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key, bool* existed = nullptr);
  Status Clear();
  Status Write(const WriteBatch& batch);  // all or nothing
  // Calls fn with the current value of `key`; if fn returns true the
  // (changed) value is written as a put. NotFound if the key is absent.
  Status Modify(std::string_view key,
                const std::function<bool(std::string* value)>& fn);

  // Copies the value of `key` into *value; false if absent. Reusing one
  // string whose size is already the value's costs no call into the library.
  bool Get(std::string_view key, std::string* value) const;
  bool Contains(std::string_view key) const;
  size_t size() const;
  // The i-th entry in insertion order; false if i >= size().
  bool At(size_t i, std::string* key, std::string* value) const;
  // Calls fn(key, value) in insertion order under a read lock until it
  // returns false; fn must not write to this store.
  void ForEach(const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // Writes buffered bytes; fsyncs unless durability is kNone.
  Status Flush();
  // Rewrites the log as a snapshot of the live entries.
  Status Compact();
  // Flushes and releases the lock. Further calls return kClosed.
  Status Close();

  // Reads without copying. A ReadGuard holds the store's read lock (none in
  // a Threads::kOne store) from construction to destruction; the views it
  // returns stay valid while it lives and nothing writes. In a kMany store
  // writers wait for it, so a thread must not write while it holds one
  // (that deadlocks); in a kOne store a write ends the views' validity.
  class ReadGuard {
   public:
    explicit ReadGuard(const Store& store)
        : index_(&store.engine_.index()), lock_(store.state_mu_) {}
    bool Get(std::string_view key, std::string_view* value) const {
      return index_->Get(key, value);
    }
    bool Contains(std::string_view key) const { return index_->Contains(key); }
    size_t size() const { return index_->size(); }

   private:
    const OrderedIndex* index_;
    std::shared_lock<StateMutex> lock_;
  };

  EngineStats stats() const;
  // What the last automatic compaction returned (OK if none failed).
  Status last_compaction_status() const;
  const std::string& path() const { return path_; }

 private:
  Store(std::string path, const StoreOptions& options);
  Status OpenFiles(RecoveryReport* report);
  // The write path shared by every mutation: `apply` changes the engine
  // under the state lock; then I/O as durability requires.
  Status Mutate(const std::function<Status(Engine*)>& apply);
  Status CheckWritable() const;
  // Requires io_mu_. Takes the pending bytes and appends them.
  Status WritePendingLocked(bool sync);
  Status CompactLocked();
  Status RollBackLocked(const Status& cause);
  void FailLocked(const Status& cause);
  // Requires io_mu_. True if write `seq` was lost in a rolled-back group.
  bool LostLocked(uint64_t seq) const;
  // "<path>.compact-<generation>-<16 random hex digits>.tmp".
  Status TempPath(uint64_t generation, std::string* path) const;
  // Removes "<path>.compact-*.tmp" files (unlink: a symbolic link there is
  // removed, never followed).
  void RemoveOrphanTempFiles();

  const std::string path_;
  const StoreOptions options_;
  FileSystem* const fs_;

  // state_mu_ guards the engine and the sequence numbers; io_mu_ guards the
  // file and is taken before state_mu_ when both are needed. In a
  // Threads::kOne store state_mu_ locks nothing.
  mutable StateMutex state_mu_;
  Engine engine_;
  uint64_t op_seq_ = 0;           // writes applied to the engine
  // Writes (first, last] of each group that failed and was rolled back.
  std::vector<std::pair<uint64_t, uint64_t>> lost_;
  Status failed_;                  // non-OK: refusing writes (under state_mu_)
  bool closed_ = false;

  std::mutex io_mu_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<WritableFile> log_;
  uint64_t good_size_ = 0;      // file length after the last good append
  uint64_t written_seq_ = 0;    // writes whose bytes reached the file
  uint64_t synced_seq_ = 0;     // writes that were fsynced
  Status last_failure_;         // why the last group failed
  Status compaction_status_;
  std::string write_buf_;       // reused for pending bytes
};

inline bool Store::Get(std::string_view key, std::string* value) const {
  std::shared_lock<StateMutex> st(state_mu_);
  std::string_view v;
  if (!engine_.index().Get(key, &v)) return false;
  // assign() is a call into libstdc++ every time; a plain copy into a
  // string of the right size is inlined.
  if (value->size() == v.size()) {
    if (!v.empty()) std::memcpy(&(*value)[0], v.data(), v.size());
  } else {
    value->assign(v.data(), v.size());
  }
  return true;
}

}  // namespace pmap

#endif  // PMAP_NATIVE_STORE_H_
