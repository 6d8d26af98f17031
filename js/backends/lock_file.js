// The lock-file protocol of Node stores (docs/FORMAT.md, "Other files
// beside a store"), shared by the fs and sqlite backends: `<file>.lock`
// holds the writer's process id. It is created exclusively; a lock whose
// process is gone (or an empty one, left by a native writer) is stale and
// taken over. The native pmap library holds the same file.

import fs from 'node:fs';
import { PersistentMapError, fromSystemError } from '../errors.js';

const heldInThisProcess = new Set();

function processAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    // A zombie (exited, not yet reaped) holds no store.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill()
  }
}

export class LockFile {
  /** @param {string} file the store's path (absolute); the lock is `<file>.lock` */
  constructor(file) {
    this.file = file;
    this.path = `${file}.lock`;
    this.held = false;
    /** Set by acquire(): the previous writer did not release the lock (it crashed). */
  }

  /** Takes the lock or throws LOCKED naming the holder. */
  acquire() {
    if (heldInThisProcess.has(this.file)) {
      throw new PersistentMapError('LOCKED', `store ${this.file} is already open in this process; close it first`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(this.path, 'wx');
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        heldInThisProcess.add(this.file);
        this.held = true;
        return;
      } catch (err) {
        if (err.code !== 'EEXIST') throw fromSystemError(err, `cannot create lock file ${this.path}`);
      }
      let holder = NaN;
      try {
        holder = parseInt(fs.readFileSync(this.path, 'utf8'), 10);
      } catch (err) {
        if (err.code === 'ENOENT') continue; // released meanwhile
        throw fromSystemError(err, `cannot read lock file ${this.path}`);
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new PersistentMapError('LOCKED', `store ${this.file} is locked by process ${holder}; close it there first (if that process is not using the store, delete ${this.path})`);
      }
      // Empty (released by a native writer) or its process is gone: stale.
      try {
        fs.unlinkSync(this.path);
      } catch (err) {
        if (err.code !== 'ENOENT') throw fromSystemError(err, `cannot remove stale lock file ${this.path}`);
      }
    }
    throw new PersistentMapError('LOCKED', `store ${this.file} is being opened by another process at the same moment; try again`);
  }

  release() {
    if (!this.held) return;
    this.held = false;
    heldInThisProcess.delete(this.file);
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone; nothing to release
    }
  }
}
