#include "native/store.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace pmap {

Store::Store(std::string path, const StoreOptions& options)
    : path_(std::move(path)),
      options_(options),
      fs_(options.fs != nullptr ? options.fs : PosixFileSystem()),
      state_mu_(options.threads == Threads::kMany),
      engine_(options.engine) {}

Store::~Store() { Close(); }

Status Store::Open(const std::string& path, const StoreOptions& options,
                   std::unique_ptr<Store>* store, RecoveryReport* report) {
  store->reset();
  if (path.empty()) return Status::InvalidArgument("store path is empty");
  if (options.buffer_capacity == 0) {
    return Status::InvalidArgument("buffer_capacity must be at least 1 byte");
  }
  if (options.engine.max_record_size == 0 ||
      options.engine.max_record_size > log::kMaxMaxRecordSize) {
    return Status::InvalidArgument("max_record_size must be 1 byte .. 1 GiB");
  }
  if (!(options.engine.compaction.ratio >= 1.0)) {
    return Status::InvalidArgument("compaction ratio must be at least 1.0");
  }
  std::unique_ptr<Store> opened(new Store(path, options));
  RecoveryReport local;
  Status s = opened->OpenFiles(report != nullptr ? report : &local);
  if (s.ok()) *store = std::move(opened);
  return s;
}

Status Store::OpenFiles(RecoveryReport* report) {
  std::lock_guard<std::mutex> io(io_mu_);
  if ((options_.read_only || !options_.create_if_missing) &&
      fs_->FileExists(path_).IsNotFound()) {
    return Status::NotFound("no store at " + path_);  // and leave no lock file
  }
  // A reader takes no lock: it reads the log as it is (a writer's atomic
  // compaction renames a whole new file into place; a torn tail of a write
  // in progress is left alone), and leaves nothing behind.
  Status s;
  if (!options_.read_only) {
    s = fs_->LockFile(path_, &lock_);
    if (s.IsLocked()) return Status::Locked("store " + s.message());
    if (!s.ok()) return s;
    RemoveOrphanTempFiles();
  }

  std::string contents;
  s = fs_->ReadFile(path_, &contents);
  if (s.IsNotFound()) {
    if (options_.read_only || !options_.create_if_missing) {
      return Status::NotFound("no store at " + path_);
    }
    contents.clear();
  } else if (!s.ok()) {
    return s;
  }
  s = engine_.Recover(contents, report);
  if (!s.ok()) return s.WithContext(path_);  // corrupt, or over max_record_size
  if (options_.read_only) return Status::OK();

  s = fs_->OpenAppendable(path_, &log_);
  if (s.ok() && report->valid_bytes < contents.size()) {
    // Drop the torn tail before the first append so new records follow the
    // last valid one.
    s = log_->Truncate(report->valid_bytes);
  }
  if (!s.ok()) return s;
  good_size_ = report->valid_bytes;
  if (engine_.has_pending()) {  // a new file: its header, durable at once
    engine_.SwapPending(&write_buf_);
    s = log_->Append(write_buf_);
    if (s.ok()) s = log_->Sync();
    if (s.ok()) s = fs_->SyncDir(DirName(path_));
    if (!s.ok()) {
      // No empty file is left behind (say, the disk is full); the lock is
      // still ours while we remove it.
      if (good_size_ == 0) fs_->Remove(path_);
      return s;
    }
    good_size_ += write_buf_.size();
  }
  if (report->needs_rewrite) s = CompactLocked();
  return s;
}

void Store::RemoveOrphanTempFiles() {
  std::vector<std::string> names;
  if (!fs_->ListDir(DirName(path_), &names).ok()) return;
  const std::string prefix = BaseName(path_) + ".compact-";
  const std::string suffix = ".tmp";
  for (const std::string& name : names) {
    if (name.size() > prefix.size() + suffix.size() &&
        name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      fs_->Remove(DirName(path_) + "/" + name);
    }
  }
}

Status Store::TempPath(uint64_t generation, std::string* path) const {
  // A name nobody can guess, so nobody can plant a file there first to make
  // compaction fail (CreateWritable refuses to reuse or follow anything).
  uint64_t nonce;
  if (::getentropy(&nonce, sizeof(nonce)) != 0) {
    return Status::IOError("cannot name a temporary file for " + path_ +
                           ": no random bytes (" + std::strerror(errno) + ")");
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(nonce));
  *path = path_ + ".compact-" + std::to_string(generation) + "-" + hex + ".tmp";
  return Status::OK();
}

Status Store::CheckWritable() const {
  if (closed_) return Status::Closed("store " + path_ + " is closed");
  if (!failed_.ok()) return failed_;
  if (options_.read_only) {
    return Status::InvalidArgument("store " + path_ + " was opened read-only");
  }
  return Status::OK();
}

bool Store::LostLocked(uint64_t seq) const {
  for (const auto& range : lost_) {
    if (seq > range.first && seq <= range.second) return true;
  }
  return false;
}

Status Store::Mutate(const std::function<Status(Engine*)>& apply) {
  uint64_t seq;
  bool need_io;
  bool compact;
  {
    std::unique_lock<StateMutex> st(state_mu_);
    Status s = CheckWritable();
    if (!s.ok()) return s;
    const size_t before = engine_.pending_size();
    s = apply(&engine_);
    if (!s.ok() || engine_.pending_size() == before) return s;
    seq = ++op_seq_;
    compact = engine_.ShouldCompact();
    need_io = options_.durability == Durability::kSyncEveryWrite ||
              engine_.pending_size() >= options_.buffer_capacity || compact;
  }
  if (!need_io) return Status::OK();

  std::lock_guard<std::mutex> io(io_mu_);
  if (LostLocked(seq)) return last_failure_;
  const bool sync = options_.durability == Durability::kSyncEveryWrite;
  if ((sync ? synced_seq_ : written_seq_) < seq) {
    if (!failed_.ok()) return failed_;
    if (closed_) return Status::Closed("store " + path_ + " is closed");
    Status s = WritePendingLocked(sync);
    if (!s.ok()) return s;
  }
  if (compact && failed_.ok() && !closed_) {
    // The write itself is done; a failed automatic compaction leaves the
    // old log in place and is reported by last_compaction_status().
    Status c = CompactLocked();
    std::unique_lock<StateMutex> st(state_mu_);
    compaction_status_ = c;
  }
  return Status::OK();
}

Status Store::WritePendingLocked(bool sync) {
  uint64_t upto;
  {
    std::unique_lock<StateMutex> st(state_mu_);
    engine_.SwapPending(&write_buf_);
    upto = op_seq_;
  }
  if (!write_buf_.empty()) {
    Status s = log_->Append(write_buf_);
    if (!s.ok()) return RollBackLocked(s);
    good_size_ += write_buf_.size();
  }
  written_seq_ = upto;
  if (sync && synced_seq_ < written_seq_) {
    Status s = log_->Sync();
    if (!s.ok()) {
      FailLocked(s);
      return failed_;
    }
    synced_seq_ = written_seq_;
  }
  return Status::OK();
}

Status Store::RollBackLocked(const Status& cause) {
  last_failure_ = Status::IOError(
      cause.message() + "; the write was rolled back and the store still "
      "holds what the log holds");
  std::unique_lock<StateMutex> st(state_mu_);
  lost_.emplace_back(written_seq_, op_seq_);
  written_seq_ = op_seq_;  // nothing before here is pending any more
  Status s = log_->Truncate(good_size_);
  std::string contents;
  if (s.ok()) s = fs_->ReadFile(path_, &contents);
  RecoveryReport report;
  if (s.ok()) s = engine_.Recover(contents, &report);
  if (s.ok() && (report.valid_bytes != good_size_ || !report.damaged.empty())) {
    s = Status::Corruption("log does not end where the last good write did");
  }
  if (!s.ok()) {
    failed_ = Status::Closed("store " + path_ + " failed after an I/O error (" +
                             cause.message() + ") and could not restore its "
                             "state (" + s.message() + "); reopen it");
  }
  return last_failure_;
}

void Store::FailLocked(const Status& cause) {
  std::unique_lock<StateMutex> st(state_mu_);
  failed_ = Status::Closed("store " + path_ + " refuses writes after a failed "
                           "sync (" + cause.message() + "); writes since the "
                           "last sync may be lost. Reopen it to continue");
}

Status Store::Put(std::string_view key, std::string_view value) {
  return Mutate([&](Engine* e) { return e->Put(key, value); });
}

Status Store::Delete(std::string_view key, bool* existed) {
  return Mutate([&](Engine* e) { return e->Delete(key, existed); });
}

Status Store::Clear() {
  return Mutate([](Engine* e) { return e->Clear(); });
}

Status Store::Write(const WriteBatch& batch) {
  return Mutate([&](Engine* e) { return e->Write(batch); });
}

Status Store::Modify(std::string_view key,
                     const std::function<bool(std::string*)>& fn) {
  return Mutate([&](Engine* e) {
    std::string_view current;
    if (!e->index().Get(key, &current)) {
      return Status::NotFound("no key '" + std::string(key) + "'");
    }
    std::string value(current);
    if (!fn(&value)) return Status::OK();
    return e->Put(key, value);
  });
}

bool Store::Contains(std::string_view key) const {
  std::shared_lock<StateMutex> st(state_mu_);
  return engine_.index().Contains(key);
}

size_t Store::size() const {
  std::shared_lock<StateMutex> st(state_mu_);
  return engine_.index().size();
}

bool Store::At(size_t i, std::string* key, std::string* value) const {
  auto copy_out = [&]() {
    std::string_view k, v;
    engine_.index().At(i, &k, &v);
    key->assign(k.data(), k.size());
    value->assign(v.data(), v.size());
  };
  {
    std::shared_lock<StateMutex> st(state_mu_);
    if (i >= engine_.index().size()) return false;
    if (engine_.index().PositionsReady()) {
      copy_out();
      return true;
    }
  }
  std::unique_lock<StateMutex> st(state_mu_);
  if (i >= engine_.index().size()) return false;
  const_cast<Engine&>(engine_).PreparePositions();
  copy_out();
  return true;
}

void Store::ForEach(
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::shared_lock<StateMutex> st(state_mu_);
  engine_.index().ForEach(fn);
}

Status Store::Flush() {
  std::lock_guard<std::mutex> io(io_mu_);
  if (closed_) return Status::Closed("store " + path_ + " is closed");
  if (!failed_.ok()) return failed_;
  if (options_.read_only) return Status::OK();
  return WritePendingLocked(options_.durability != Durability::kNone);
}

Status Store::Compact() {
  std::lock_guard<std::mutex> io(io_mu_);
  {
    std::shared_lock<StateMutex> st(state_mu_);
    Status s = CheckWritable();
    if (!s.ok()) return s;
  }
  return CompactLocked();
}

Status Store::CompactLocked() {
  Status s = WritePendingLocked(false);
  if (!s.ok()) return s;
  Engine::Snapshot snapshot;
  uint64_t snapshot_seq;
  uint64_t generation;
  {
    std::shared_lock<StateMutex> st(state_mu_);
    generation = engine_.stats().generation;
  }
  std::string tmp;
  s = TempPath(generation + 1, &tmp);
  if (!s.ok()) return s;
  std::unique_ptr<WritableFile> file;
  s = fs_->CreateWritable(tmp, &file);
  if (!s.ok()) return s;
  {
    // Readers go on; writers wait until the snapshot is encoded.
    std::shared_lock<StateMutex> st(state_mu_);
    snapshot_seq = op_seq_;
    snapshot = engine_.EncodeSnapshot(1 << 20, [&](std::string_view piece) {
      if (s.ok()) s = file->Append(piece);
    });
  }
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  // The new log's lock is taken before it gets the store's name, so that an
  // opener who finds the new file finds it locked.
  std::unique_ptr<FileLock> next_lock;
  if (s.ok()) s = fs_->LockFile(tmp, &next_lock);
  if (s.ok()) s = fs_->Rename(tmp, path_);
  if (!s.ok()) {
    file.reset();
    fs_->Remove(tmp);
    return s;
  }
  lock_ = std::move(next_lock);
  // The old log is gone: from here a failure cannot be undone.
  s = fs_->SyncDir(DirName(path_));
  std::unique_ptr<WritableFile> log;
  if (s.ok()) s = fs_->OpenAppendable(path_, &log);
  if (!s.ok()) {
    FailLocked(s);
    return failed_;
  }
  log_ = std::move(log);
  good_size_ = snapshot.bytes;
  written_seq_ = synced_seq_ = snapshot_seq;
  std::unique_lock<StateMutex> st(state_mu_);
  engine_.SnapshotInstalled(snapshot);
  return Status::OK();
}

Status Store::Close() {
  std::lock_guard<std::mutex> io(io_mu_);
  if (closed_) return Status::OK();
  Status s = failed_;
  if (!options_.read_only && s.ok()) {
    s = WritePendingLocked(options_.durability != Durability::kNone);
  }
  if (log_ != nullptr) {
    Status c = log_->Close();
    if (s.ok()) s = c;
    log_.reset();
  }
  lock_.reset();
  std::unique_lock<StateMutex> st(state_mu_);
  closed_ = true;
  return s;
}

EngineStats Store::stats() const {
  std::shared_lock<StateMutex> st(state_mu_);
  return engine_.stats();
}

Status Store::last_compaction_status() const {
  std::shared_lock<StateMutex> st(state_mu_);
  return compaction_status_;
}

}  // namespace pmap
