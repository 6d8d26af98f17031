// The writer's lock of a store (docs/FORMAT.md, "The writer's lock"), as the
// POSIX file system takes it. Kept apart from posix_file_system.cc because
// the JavaScript driver takes the very same lock (js/backends/common/store_lock.js)
// and the two must agree on every byte of its name.
#ifndef PMAP_NATIVE_POSIX_LOCK_H_
#define PMAP_NATIVE_POSIX_LOCK_H_

#include <memory>
#include <string>

#include "native/file_system.h"

namespace pmap {

// Takes the exclusive lock of the file `path` names, creating the file
// (empty, mode 0644) if it does not exist. The lock belongs to the file's
// identity (device and inode): every name of one file (symbolic links, hard
// links, a symlinked directory) shares it. On Linux it is the abstract Unix
// socket "persistent-map:<dev>:<ino>", so the kernel releases it when its
// holder dies, and it excludes the JavaScript driver too; elsewhere an flock
// on the file (native openers only). Status::Locked if it is held, by this
// process or another; InvalidArgument if `path` is not a regular file or is
// a symbolic link to nothing.
Status LockFileIdentity(const std::string& path, std::unique_ptr<FileLock>* lock);

}  // namespace pmap

#endif  // PMAP_NATIVE_POSIX_LOCK_H_
