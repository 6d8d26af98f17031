#include "native/posix_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dirent.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace pmap {
namespace {

#if defined(__linux__)
// The process holding the abstract socket `name` (one of this user's), or
// 0 if it cannot be told: /proc/net/unix gives the socket's inode (NULs of
// the name shown as '@'), and the holder has a descriptor "socket:[inode]".
long LockHolder(const std::string& name) {
  std::ifstream table("/proc/net/unix");
  std::string line, inode;
  const std::string shown = "@" + name;
  while (inode.empty() && std::getline(table, line)) {
    size_t at = line.find(shown);
    if (at == std::string::npos || line.find_first_not_of('@', at + shown.size()) != std::string::npos) continue;
    // Num RefCount Protocol Flags Type St Inode Path: the 7th field.
    size_t field = 0, pos = 0;
    for (; field < 6 && pos != std::string::npos; ++field) pos = line.find_first_not_of(' ', line.find(' ', pos));
    if (pos != std::string::npos) inode = line.substr(pos, line.find(' ', pos) - pos);
  }
  if (inode.empty()) return 0;
  const std::string target = "socket:[" + inode + "]";
  long holder = 0;
  DIR* procs = ::opendir("/proc");
  if (procs == nullptr) return 0;
  while (struct dirent* p = ::readdir(procs)) {
    char* end;
    long pid = std::strtol(p->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    const std::string fds = std::string("/proc/") + p->d_name + "/fd";
    DIR* dir = ::opendir(fds.c_str());
    if (dir == nullptr) continue;
    while (struct dirent* f = ::readdir(dir)) {
      char link[64];
      ssize_t n = ::readlink((fds + "/" + f->d_name).c_str(), link, sizeof(link) - 1);
      if (n > 0 && target.compare(0, std::string::npos, link, n) == 0) holder = pid;
    }
    ::closedir(dir);
    if (holder != 0) break;
  }
  ::closedir(procs);
  return holder;
}
#endif

Status HeldElsewhere(const std::string& path, long holder) {
  std::string who = holder > 0 ? "process " + std::to_string(holder) : "another process";
  return Status::Locked(path + " is locked: it is open for writing in " + who +
                        " (or by another open store in this one); the native library does "
                        "not join a store that JavaScript processes share: close it there "
                        "first, or read it without writing (the CLI's get, dump, stat, verify)");
}

// Holds the lock's descriptor and one open on the locked file: while the
// file is open its inode cannot be freed and given to another file, which
// would then share the lock's name.
class HeldLock final : public FileLock {
 public:
  HeldLock(int lock_fd, int file_fd) : lock_fd_(lock_fd), file_fd_(file_fd) {}
  ~HeldLock() override {
    ::close(lock_fd_);  // the kernel drops the lock with it
    if (file_fd_ != lock_fd_) ::close(file_fd_);
  }

 private:
  const int lock_fd_;
  const int file_fd_;
};

#if defined(__linux__)
// Binds the abstract socket named after the file `fd` is open on. Node.js
// (libuv) binds abstract names with the whole sun_path as their length, so
// the name is padded with NULs to the end of sun_path and bound with the
// full address size; a name bound with a shorter length would be a
// different one.
Status HoldIdentity(int fd, const struct stat& st, const std::string& path,
                    std::unique_ptr<FileLock>* lock) {
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  const std::string name = "persistent-map:" +
                           std::to_string(static_cast<unsigned long long>(st.st_dev)) +
                           ":" + std::to_string(static_cast<unsigned long long>(st.st_ino));
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return ErrnoStatus("cannot create the lock socket for", path, errno);
  if (::bind(sock, reinterpret_cast<const struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(sock);
    if (err == EADDRINUSE) return HeldElsewhere(path, LockHolder(name));
    return ErrnoStatus("cannot lock", path, err);
  }
  lock->reset(new HeldLock(sock, fd));
  return Status::OK();
}
#else
Status HoldIdentity(int fd, const struct stat&, const std::string& path,
                    std::unique_ptr<FileLock>* lock) {
  // flock locks belong to the open file description, so a second open in
  // this same process conflicts too.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return HeldElsewhere(path, 0);
    return ErrnoStatus("cannot lock", path, errno);
  }
  lock->reset(new HeldLock(fd, fd));
  return Status::OK();
}
#endif

// Opens `path` (creating it exclusively if absent) and reads its identity;
// *fd is the open descriptor.
Status Identify(const std::string& path, int* fd, struct stat* st) {
  for (;;) {
    *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT) {
      *fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (*fd < 0 && errno == EEXIST) {
        struct stat link;
        if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
          return Status::InvalidArgument(
              path + " is a symbolic link to a file that does not exist; create "
                     "the file it names, or remove the link");
        }
        continue;  // created by someone else meanwhile
      }
    }
    if (*fd < 0) return ErrnoStatus("cannot open", path, errno);
    Status s;
    if (::fstat(*fd, st) != 0) {
      s = ErrnoStatus("cannot stat", path, errno);
    } else if (!S_ISREG(st->st_mode)) {
      s = Status::InvalidArgument(path + " is not a regular file");
    }
    if (!s.ok()) ::close(*fd);
    return s;
  }
}

}  // namespace

Status LockFileIdentity(const std::string& path, std::unique_ptr<FileLock>* lock) {
  // A compaction renames a new file over the store between our open and our
  // lock: then we hold the lock of a file that is no longer the store, and
  // try again with the new one (whose lock its writer took before renaming).
  for (int attempt = 0; attempt < 16; ++attempt) {
    int fd;
    struct stat st;
    Status s = Identify(path, &fd, &st);
    if (!s.ok()) return s;
    std::unique_ptr<FileLock> held;
    s = HoldIdentity(fd, st, path, &held);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    struct stat now;
    if (::stat(path.c_str(), &now) == 0 && now.st_dev == st.st_dev &&
        now.st_ino == st.st_ino) {
      *lock = std::move(held);
      return Status::OK();
    }
  }
  return Status::Locked(path + " was replaced again and again while being locked; "
                               "another writer is compacting it");
}

}  // namespace pmap
