// POSIX implementation of FileSystem: open/write/fdatasync/rename; the
// writer's lock is in posix_lock.cc.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "native/file_system.h"
#include "native/posix_lock.h"

namespace pmap {
namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { Close(); }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write to", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot sync", path_, errno);
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("cannot truncate", path_, errno);
    }
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) {
      return ErrnoStatus("cannot seek in", path_, errno);
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus("cannot close", path_, errno);
    return Status::OK();
  }

 private:
  const std::string path_;
  int fd_;
};

class PosixFs final : public FileSystem {
 public:
  Status ReadFile(const std::string& path, std::string* contents) override {
    contents->clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      // One byte more than the size, so that the read which sees the end
      // of the file does not have to grow (and copy) the buffer.
      contents->resize(static_cast<size_t>(st.st_size) + 1);
    }
    size_t done = 0;
    Status s;
    for (;;) {
      if (done == contents->size()) contents->resize(done + (1u << 16));
      ssize_t n = ::read(fd, &(*contents)[done], contents->size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        s = ErrnoStatus("cannot read", path, errno);
        break;
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    contents->resize(done);
    ::close(fd);
    return s;
  }

  Status OpenAppendable(const std::string& path,
                        std::unique_ptr<WritableFile>* file) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    if (::lseek(fd, 0, SEEK_END) < 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot seek in", path, err);
    }
    file->reset(new PosixWritableFile(path, fd));
    return Status::OK();
  }

  Status CreateWritable(const std::string& path,
                        std::unique_ptr<WritableFile>* file) override {
    // O_EXCL: never reuse or truncate what is there; with O_CREAT it also
    // refuses a symbolic link, dangling or not, so a link planted at a
    // temporary file's name cannot redirect the write. O_NOFOLLOW says the
    // same for a link as the last component on its own.
    int fd = ::open(path.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot create", path, errno);
    file->reset(new PosixWritableFile(path, fd));
    return Status::OK();
  }

  Status FileExists(const std::string& path) override {
    if (::access(path.c_str(), F_OK) != 0) return ErrnoStatus("no file", path, errno);
    return Status::OK();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("cannot rename " + from + " to", to, errno);
    }
    return Status::OK();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove", path, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open directory", dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus("cannot sync directory", dir, errno);
    ::close(fd);
    return s;
  }

  Status ListDir(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("cannot list directory", dir, errno);
    while (struct dirent* ent = ::readdir(d)) {
      std::string name = ent->d_name;
      if (name != "." && name != "..") names->push_back(std::move(name));
    }
    ::closedir(d);
    return Status::OK();
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return LockFileIdentity(path, lock);
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static PosixFs* fs = new PosixFs();
  return fs;
}

}  // namespace pmap
