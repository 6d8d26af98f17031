// An SQLite VFS for sqlite-wasm in Node over Node's synchronous file calls,
// so that a database is an ordinary file that the sqlite3 command-line tool
// opens (sqlite-wasm alone keeps Node databases in memory). SQLite's own
// rollback journal, `<file>-journal`, lives beside it on disk, so a process
// killed mid-transaction is recovered by SQLite at the next open.
//
// Locking is bookkeeping only: Node cannot take the POSIX advisory locks
// SQLite uses between processes, so one writer is enforced outside SQLite by
// the store's writer lock (store_lock.js). Version 1 I/O methods, so no shared
// memory and no WAL. Syncing follows SQLite's unix VFS: fdatasync or fsync
// as asked, and the directory too after a journal or database file was
// created or a journal deleted with syncDir.
//
// Every method catches its errors: an exception must not unwind through
// WebAssembly. The error is kept for xGetLastError and, for the backend's
// messages, in lastError().

import fs from 'node:fs';
import path from 'node:path';

const installed = new WeakMap(); // sqlite3 module -> Map(fileSystem -> vfs name)

/**
 * Registers the VFS in `sqlite3` (once per file-system object) and returns
 * its name. `fileSystem` provides the synchronous calls used (openSync,
 * closeSync, readSync, writeSync, fsyncSync, fdatasyncSync, ftruncateSync,
 * fstatSync, unlinkSync, accessSync); tests pass a wrapper that fails some.
 */
export function installNodeVfs(sqlite3, fileSystem = fs) {
  let names = installed.get(sqlite3);
  if (!names) installed.set(sqlite3, (names = new Map()));
  if (names.has(fileSystem)) return names.get(fileSystem).name;
  const vfs = createVfs(sqlite3, fileSystem, `persistent-map-node-${names.size}`);
  names.set(fileSystem, vfs);
  return vfs.name;
}

/** The last error a VFS of `sqlite3` caught at or after `since` (performance.now()), or null. */
export function lastVfsError(sqlite3, since = -Infinity) {
  let last = null;
  for (const vfs of installed.get(sqlite3)?.values() ?? []) {
    const e = vfs.lastError;
    if (e && e.at >= since && (!last || e.at > last.at)) last = e;
  }
  return last?.error ?? null;
}

function createVfs(sqlite3, fsx, name) {
  const { capi, wasm } = sqlite3;
  const files = new Map(); // sqlite3_file pointer -> { fd, path, flags, lock, dirSync }
  const state = { name, lastError: null };

  const fail = (err, rc) => {
    state.lastError = { error: err, at: performance.now() };
    if (err && (err.code === 'ENOSPC' || err.code === 'EDQUOT')) return capi.SQLITE_FULL;
    return rc;
  };
  const fileOf = (pFile) => files.get(Number(pFile));
  const syncDir = (file) => {
    const fd = fsx.openSync(path.dirname(file), 'r');
    try {
      fsx.fsyncSync(fd);
    } finally {
      fsx.closeSync(fd);
    }
  };

  const io = {
    xClose(pFile) {
      const f = fileOf(pFile);
      if (!f) return 0;
      files.delete(Number(pFile));
      try {
        fsx.closeSync(f.fd);
        if (f.flags & capi.SQLITE_OPEN_DELETEONCLOSE) fsx.unlinkSync(f.path);
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_CLOSE);
      }
    },
    xRead(pFile, pDest, n, offset64) {
      const f = fileOf(pFile);
      try {
        const dest = Number(pDest);
        let done = 0;
        while (done < n) {
          // The heap view is fetched again: nothing here grows memory, but a
          // view must never be trusted across calls.
          const got = fsx.readSync(f.fd, wasm.heap8u(), dest + done, n - done, Number(offset64) + done);
          if (got === 0) break;
          done += got;
        }
        if (done < n) {
          // SQLite requires the rest zero-filled on a short read.
          wasm.heap8u().fill(0, dest + done, dest + n);
          return capi.SQLITE_IOERR_SHORT_READ;
        }
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_READ);
      }
    },
    xWrite(pFile, pSrc, n, offset64) {
      const f = fileOf(pFile);
      try {
        const src = Number(pSrc);
        let done = 0;
        while (done < n) {
          done += fsx.writeSync(f.fd, wasm.heap8u(), src + done, n - done, Number(offset64) + done);
        }
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_WRITE);
      }
    },
    xTruncate(pFile, size64) {
      try {
        fsx.ftruncateSync(fileOf(pFile).fd, Number(size64));
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_TRUNCATE);
      }
    },
    xSync(pFile, flags) {
      const f = fileOf(pFile);
      try {
        if (flags & capi.SQLITE_SYNC_DATAONLY) fsx.fdatasyncSync(f.fd);
        else fsx.fsyncSync(f.fd);
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_FSYNC);
      }
      if (f.dirSync) {
        // The file was created: its name must be durable too.
        try {
          syncDir(f.path);
          f.dirSync = false;
        } catch (err) {
          return fail(err, capi.SQLITE_IOERR_DIR_FSYNC);
        }
      }
      return 0;
    },
    xFileSize(pFile, pSize64) {
      try {
        wasm.poke64(pSize64, BigInt(fsx.fstatSync(fileOf(pFile).fd).size));
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_FSTAT);
      }
    },
    xLock(pFile, level) {
      const f = fileOf(pFile);
      if (level > f.lock) f.lock = level;
      return 0;
    },
    xUnlock(pFile, level) {
      const f = fileOf(pFile);
      if (level < f.lock) f.lock = level;
      return 0;
    },
    xCheckReservedLock(pFile, pOut) {
      const me = fileOf(pFile);
      let reserved = false;
      for (const f of files.values()) {
        if (f.path === me.path && f.lock >= capi.SQLITE_LOCK_RESERVED) reserved = true;
      }
      wasm.poke32(pOut, reserved ? 1 : 0);
      return 0;
    },
    xFileControl() {
      return capi.SQLITE_NOTFOUND;
    },
    xSectorSize() {
      return 4096;
    },
    xDeviceCharacteristics() {
      // What SQLite's unix VFS reports by default.
      return capi.SQLITE_IOCAP_POWERSAFE_OVERWRITE;
    },
  };
  const ioMethods = new capi.sqlite3_io_methods();
  ioMethods.$iVersion = 1;

  const vfsMethods = {
    xOpen(pVfs, zName, pFile, flags, pOutFlags) {
      try {
        if (!zName) throw new Error('this VFS keeps no anonymous temporary files (use PRAGMA temp_store = MEMORY)');
        const file = wasm.cstrToJs(zName);
        const create = (flags & capi.SQLITE_OPEN_CREATE) !== 0;
        const readOnly = (flags & capi.SQLITE_OPEN_READONLY) !== 0;
        let mode = readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR;
        if (create) mode |= fs.constants.O_CREAT;
        if (create && (flags & capi.SQLITE_OPEN_EXCLUSIVE)) mode |= fs.constants.O_EXCL;
        let existed = true;
        if (create) {
          try {
            fsx.accessSync(file);
          } catch {
            existed = false;
          }
        }
        const fd = fsx.openSync(file, mode, 0o644);
        const kind = flags & (capi.SQLITE_OPEN_MAIN_DB | capi.SQLITE_OPEN_MAIN_JOURNAL);
        files.set(Number(pFile), { fd, path: file, flags, lock: capi.SQLITE_LOCK_NONE, dirSync: !existed && kind !== 0 });
        const f = new capi.sqlite3_file(pFile);
        f.$pMethods = ioMethods.pointer;
        f.dispose();
        if (pOutFlags) wasm.poke32(pOutFlags, flags);
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_CANTOPEN);
      }
    },
    xDelete(pVfs, zName, doSyncDir) {
      const file = wasm.cstrToJs(zName);
      try {
        fsx.unlinkSync(file);
      } catch (err) {
        return err.code === 'ENOENT' ? capi.SQLITE_IOERR_DELETE_NOENT : fail(err, capi.SQLITE_IOERR_DELETE);
      }
      try {
        if (doSyncDir) syncDir(file);
        return 0;
      } catch (err) {
        return fail(err, capi.SQLITE_IOERR_DIR_FSYNC);
      }
    },
    xAccess(pVfs, zName, flags, pOut) {
      const mode = flags === capi.SQLITE_ACCESS_READWRITE ? fs.constants.R_OK | fs.constants.W_OK : fs.constants.F_OK;
      let ok = 1;
      try {
        fsx.accessSync(wasm.cstrToJs(zName), mode);
      } catch {
        ok = 0;
      }
      wasm.poke32(pOut, ok);
      return 0;
    },
    xFullPathname(pVfs, zName, nOut, pOut) {
      const full = path.resolve(wasm.cstrToJs(zName));
      const scope = wasm.scopedAllocPush();
      try {
        const [cstr, n] = wasm.scopedAllocCString(full, true);
        if (n >= nOut) return capi.SQLITE_CANTOPEN;
        wasm.cstrncpy(pOut, cstr, nOut);
        return 0;
      } finally {
        wasm.scopedAllocPop(scope);
      }
    },
    xRandomness(pVfs, nOut, pOut) {
      const out = new Uint8Array(nOut);
      globalThis.crypto.getRandomValues(out);
      wasm.heap8u().set(out, Number(pOut));
      return nOut;
    },
    xSleep() {
      // One connection per file in this process: there is nothing to wait for.
      return 0;
    },
    xCurrentTime(pVfs, pOut) {
      wasm.poke(pOut, 2440587.5 + Date.now() / 864e5, 'double');
      return 0;
    },
    xCurrentTimeInt64(pVfs, pOut) {
      wasm.poke(pOut, 210866760000000n + BigInt(Date.now()), 'i64');
      return 0;
    },
    xGetLastError(pVfs, nOut, pOut) {
      const message = String(state.lastError?.error?.message ?? '');
      if (nOut > 0) {
        const scope = wasm.scopedAllocPush();
        try {
          const [cstr] = wasm.scopedAllocCString(message.slice(0, nOut - 1));
          wasm.cstrncpy(pOut, cstr, nOut);
        } finally {
          wasm.scopedAllocPop(scope);
        }
      }
      return state.lastError ? capi.SQLITE_IOERR : 0;
    },
  };
  const vfs = new capi.sqlite3_vfs();
  vfs.$iVersion = 2;
  vfs.$szOsFile = capi.sqlite3_file.structInfo.sizeof;
  vfs.$mxPathname = 4096;
  sqlite3.vfs.installVfs({
    io: { struct: ioMethods, methods: io },
    vfs: { struct: vfs, methods: vfsMethods, name },
  });
  return state;
}
