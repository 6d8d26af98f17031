// The Node.js file-system backend: the store is one log file; compaction
// writes `<file>.compact-<random>.tmp` (created exclusively, so a planted
// file or symlink is never written through) and fsyncs it while appends to
// the log go on (beginReplace), then appends to it the bytes appended
// meanwhile, fsyncs it, takes the writer's lock of the new file, renames it
// over the log and fsyncs the directory (finishReplace; docs/FORMAT.md). One writer at a time: the writer's lock (store_lock.js),
// which the native C++ library takes too.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PersistentMapError, fromSystemError } from '../../errors.js';
import { lockStore } from '../common/store_lock.js';

// Appends up to this size are written synchronously (see append()); larger
// ones go through the thread pool, so as not to hold up the event loop.
const SYNC_WRITE_MAX = 1 << 20;

// A plain Uint8Array over a Buffer's memory, without copying it (a copy of
// a 100 MiB log costs about 0.1 s).
function asUint8Array(buffer) {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

async function syncDir(dir) {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsBackend {
  /**
   * @param {string} file path of the log file
   * @param {{ wait?: boolean, signal?: AbortSignal }} [options] `wait`: wait
   *   for another writer to close the store instead of failing with LOCKED,
   *   until `signal` aborts
   */
  constructor(file, { wait = false, signal } = {}) {
    this.file = path.resolve(file);
    this.dir = path.dirname(this.file);
    this.lock = null;
    this.lockOptions = { wait, signal };
    this.kind = 'log';
    this.fh = null;
    this.size = 0;
    this.next = null; // { tmp, fh, size }: the log beginReplace wrote
  }

  async open() {
    if (!fs.existsSync(this.dir)) {
      throw new PersistentMapError('NOT_FOUND', `directory ${this.dir} does not exist; create it first`);
    }
    this.lock = await lockStore(this.file, this.lockOptions); // creates the file if absent
    try {
      await this.#removeOrphans();
      this.fh = await fsp.open(this.file, 'r+');
      const bytes = asUint8Array(await this.fh.readFile());
      this.size = bytes.length;
      if (bytes.length === 0) await syncDir(this.dir); // the new file's name
      return bytes;
    } catch (err) {
      if (this.fh) await this.fh.close().catch(() => {});
      this.fh = null;
      this.lock.release();
      throw fromSystemError(err, `cannot open ${this.file}`);
    }
  }

  async #removeOrphans() {
    const base = `${path.basename(this.file)}.compact-`;
    for (const name of await fsp.readdir(this.dir)) {
      if (name.startsWith(base) && name.endsWith('.tmp')) {
        await fsp.unlink(path.join(this.dir, name)).catch(() => {});
      }
    }
  }

  async append(bytes, { sync = false } = {}) {
    try {
      let done = 0;
      if (bytes.length <= SYNC_WRITE_MAX) {
        // A small write is a copy into the page cache: a few microseconds
        // here, against some 20 µs for the round trip through libuv's
        // thread pool that an asynchronous write costs.
        while (done < bytes.length) {
          done += fs.writeSync(this.fh.fd, bytes, done, bytes.length - done, this.size + done);
        }
      } else {
        while (done < bytes.length) {
          const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, this.size + done);
          done += bytesWritten;
        }
      }
      this.size += bytes.length;
    } catch (err) {
      throw fromSystemError(err, `cannot write to ${this.file}`);
    }
    if (sync) await this.sync();
  }

  async read() {
    try {
      return asUint8Array(await fsp.readFile(this.file));
    } catch (err) {
      throw fromSystemError(err, `cannot read ${this.file}`);
    }
  }

  async truncate(length) {
    try {
      await this.fh.truncate(length);
      this.size = length;
    } catch (err) {
      throw fromSystemError(err, `cannot truncate ${this.file}`);
    }
  }

  async sync() {
    try {
      await this.fh.datasync();
    } catch (err) {
      // After a failed fsync the unsynced data may be gone.
      throw fromSystemError(err, `cannot sync ${this.file}`, { fatal: true });
    }
  }

  async replace(bytes) {
    await this.beginReplace(bytes);
    await this.finishReplace(new Uint8Array(0));
  }

  /**
   * Writes `bytes` to a new temporary log and syncs it; the log itself is
   * untouched, and appends to it may go on meanwhile.
   */
  async beginReplace(bytes) {
    const tmp = `${this.file}.compact-${crypto.randomBytes(8).toString('hex')}.tmp`;
    let fh = null;
    try {
      fh = await fsp.open(tmp, 'wx', 0o644);
      await fh.writeFile(bytes);
      await fh.datasync();
    } catch (err) {
      await fh?.close().catch(() => {});
      if (fh) await fsp.unlink(tmp).catch(() => {});
      throw fromSystemError(err, `compaction of ${this.file} failed; the old log is unchanged`);
    }
    this.next = { tmp, fh, size: bytes.length };
  }

  /**
   * Appends `tail` to the new log, syncs it and renames it over the log.
   * On failure the temporary file is gone and the old log is unchanged.
   */
  async finishReplace(tail) {
    const { tmp, fh, size } = this.next;
    this.next = null;
    let next = null;
    try {
      let done = 0;
      while (done < tail.length) {
        const { bytesWritten } = await fh.write(tail, done, tail.length - done, size + done);
        done += bytesWritten;
      }
      if (tail.length > 0) await fh.datasync();
      // The new log's lock is taken before it gets the store's name, so an
      // opener who finds the new file finds it locked.
      next = await lockStore(tmp, { create: false });
      await fsp.rename(tmp, this.file);
    } catch (err) {
      next?.release();
      await fh.close().catch(() => {});
      await fsp.unlink(tmp).catch(() => {});
      throw fromSystemError(err, `compaction of ${this.file} failed; the old log is unchanged`);
    }
    // The old log is gone: from here a failure cannot be undone.
    this.lock.release();
    this.lock = next;
    const old = this.fh;
    this.fh = fh; // the new log, by the descriptor that wrote it
    this.size = size + tail.length;
    try {
      await syncDir(this.dir);
      await old.close();
    } catch (err) {
      throw fromSystemError(err, `compaction of ${this.file} replaced the log but could not finish`, { fatal: true });
    }
  }

  /** Removes the new log beginReplace wrote; the log stays as it is. */
  async abortReplace() {
    const next = this.next;
    this.next = null;
    if (next === null) return;
    await next.fh.close().catch(() => {});
    try {
      await fsp.unlink(next.tmp);
    } catch (err) {
      throw fromSystemError(err, `cannot remove ${next.tmp}; the next open removes it`);
    }
  }

  async close() {
    try {
      await this.abortReplace().catch(() => {}); // the next open removes a leftover
      if (this.fh) await this.fh.close();
      // A store that never got its header (say, the disk is full) leaves
      // no empty file behind; the lock is still ours while we remove it.
      if (this.lock !== null && this.size === 0) await fsp.unlink(this.file).catch(() => {});
    } finally {
      this.fh = null;
      this.lock?.release();
    }
  }
}
