#include "fault_injection_fs.h"

#include <unistd.h>

namespace pmap {
namespace test {

class FaultInjectionFs::File final : public WritableFile {
 public:
  File(FaultInjectionFs* fs, std::string path, std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    Status s = fs_->Tick(Op::kAppend, "write to " + path_);
    if (!s.ok()) {
      // A short write: half the bytes land before the error.
      if (!fs_->crashed_ && base_->Append(data.substr(0, data.size() / 2)).ok()) {
        fs_->NoteAppend(path_, data.size() / 2);
      }
      return s;
    }
    s = base_->Append(data);
    if (s.ok()) fs_->NoteAppend(path_, data.size());
    return s;
  }
  Status Sync() override {
    Status s = fs_->Tick(Op::kSync, "sync " + path_);
    if (!s.ok()) {
      // After a failed fsync Linux may drop the dirty pages: the unsynced
      // bytes are gone even though the file position is past them.
      std::lock_guard<std::mutex> l(fs_->mu_);
      if (!fs_->crashed_) ::truncate(path_.c_str(), static_cast<off_t>(fs_->files_[path_].synced));
      return s;
    }
    s = base_->Sync();
    if (s.ok()) fs_->NoteSync(path_);
    return s;
  }
  Status Truncate(uint64_t size) override {
    Status s = fs_->Tick(Op::kTruncate, "truncate " + path_);
    if (s.ok()) s = base_->Truncate(size);
    if (s.ok()) {
      std::lock_guard<std::mutex> l(fs_->mu_);
      fs_->sizes_[path_] = size;
      auto& d = fs_->files_[path_];
      if (d.synced > size) d.synced = size;
    }
    return s;
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionFs* fs_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectionFs::FailNth(Op op, int n) {
  std::lock_guard<std::mutex> l(mu_);
  fail_at_[static_cast<int>(op)] = n == 0 ? 0 : calls_[static_cast<int>(op)] + n;
}

int FaultInjectionFs::calls(Op op) const {
  std::lock_guard<std::mutex> l(mu_);
  return calls_[static_cast<int>(op)];
}

bool FaultInjectionFs::injected() const {
  std::lock_guard<std::mutex> l(mu_);
  return injected_;
}

Status FaultInjectionFs::Tick(Op op, const std::string& what) {
  std::lock_guard<std::mutex> l(mu_);
  if (crashed_) return Status::IOError("crashed: " + what);
  int i = static_cast<int>(op);
  ++calls_[i];
  if (fail_at_[i] != 0 && calls_[i] == fail_at_[i]) {
    injected_ = true;
    return Status::IOError("injected failure: " + what);
  }
  return Status::OK();
}

void FaultInjectionFs::Track(const std::string& path, bool created) {
  std::lock_guard<std::mutex> l(mu_);
  if (created || files_.count(path) == 0) {
    // A file we have not seen is durable as it is now.
    std::string contents;
    uint64_t size = base_->ReadFile(path, &contents).ok() ? contents.size() : 0;
    Durable d;
    d.synced = created ? 0 : size;
    d.new_file = created && files_.count(path) == 0;
    if (created && files_.count(path) != 0) d.new_file = files_[path].new_file;
    files_[path] = d;
    sizes_[path] = created ? 0 : size;
  }
}

void FaultInjectionFs::NoteAppend(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  sizes_[path] += size;
}

void FaultInjectionFs::NoteSync(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  files_[path].synced = sizes_[path];
}

Status FaultInjectionFs::ReadFile(const std::string& path, std::string* contents) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (crashed_) return Status::IOError("crashed");
  }
  return base_->ReadFile(path, contents);
}

Status FaultInjectionFs::OpenAppendable(const std::string& path,
                                        std::unique_ptr<WritableFile>* file) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (crashed_) return Status::IOError("crashed");
  }
  const bool existed = base_->FileExists(path).ok();
  std::unique_ptr<WritableFile> base;
  Status s = base_->OpenAppendable(path, &base);
  if (!s.ok()) return s;
  Track(path, !existed);
  file->reset(new File(this, path, std::move(base)));
  return s;
}

Status FaultInjectionFs::CreateWritable(const std::string& path,
                                        std::unique_ptr<WritableFile>* file) {
  Status s = Tick(Op::kCreate, "create " + path);
  if (!s.ok()) return s;
  std::unique_ptr<WritableFile> base;
  s = base_->CreateWritable(path, &base);
  if (!s.ok()) return s;
  Track(path, true);
  file->reset(new File(this, path, std::move(base)));
  return s;
}

Status FaultInjectionFs::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

Status FaultInjectionFs::Rename(const std::string& from, const std::string& to) {
  Status s = Tick(Op::kRename, "rename " + from);
  if (!s.ok()) return s;
  PendingRename r;
  r.from = from;
  r.to = to;
  r.to_existed = base_->FileExists(to).ok();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (r.to_existed) {
      r.to_state = files_.count(to) ? files_[to] : Durable();
      std::string contents;
      base_->ReadFile(to, &contents);
      if (files_.count(to) && contents.size() > files_[to].synced) {
        contents.resize(files_[to].synced);
      }
      r.to_durable_contents = contents;
    }
  }
  s = base_->Rename(from, to);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  files_[to] = files_[from];
  sizes_[to] = sizes_[from];
  files_.erase(from);
  sizes_.erase(from);
  renames_.push_back(std::move(r));
  return s;
}

Status FaultInjectionFs::Remove(const std::string& path) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (crashed_) return Status::IOError("crashed");
    files_.erase(path);
    sizes_.erase(path);
  }
  return base_->Remove(path);
}

Status FaultInjectionFs::SyncDir(const std::string& dir) {
  Status s = Tick(Op::kSyncDir, "sync directory " + dir);
  if (!s.ok()) return s;
  s = base_->SyncDir(dir);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  renames_.clear();
  for (auto& f : files_) f.second.new_file = false;
  return s;
}

Status FaultInjectionFs::ListDir(const std::string& dir, std::vector<std::string>* names) {
  return base_->ListDir(dir, names);
}

Status FaultInjectionFs::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(path, lock);
}

void FaultInjectionFs::SimulateCrash() {
  std::lock_guard<std::mutex> l(mu_);
  crashed_ = true;
  // Undo renames the directory never made durable, newest first.
  for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
    Durable moved = files_[it->to];
    ::rename(it->to.c_str(), it->from.c_str());
    files_[it->from] = moved;
    files_.erase(it->to);
    if (it->to_existed) {
      FILE* f = fopen(it->to.c_str(), "wb");
      fwrite(it->to_durable_contents.data(), 1, it->to_durable_contents.size(), f);
      fclose(f);
      files_[it->to] = it->to_state;
      files_[it->to].synced = it->to_durable_contents.size();
    }
  }
  renames_.clear();
  for (const auto& [path, d] : files_) {
    if (d.new_file) {
      ::unlink(path.c_str());
    } else {
      ::truncate(path.c_str(), static_cast<off_t>(d.synced));
    }
  }
}

void FaultInjectionFs::Reset() {
  std::lock_guard<std::mutex> l(mu_);
  crashed_ = false;
  files_.clear();
  sizes_.clear();
  renames_.clear();
  injected_ = false;
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) fail_at_[i] = calls_[i] = 0;
}

}  // namespace test
}  // namespace pmap
