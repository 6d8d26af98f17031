// The writer's lock of a Node store (docs/FORMAT.md, "The writer's lock"),
// shared by the fs and sqlite backends and taken the same way by the native
// C++ library (src/native/posix_lock.cc).
//
// On Linux the lock is the abstract Unix socket named
// "persistent-map:<dev>:<ino>" after the file's identity: binding a name is
// atomic, only one socket can hold it, every name of the file (symlinks,
// hard links, a symlinked directory) leads to the same one, and the kernel
// releases it when its holder dies, so no lock is ever stale and nothing is
// left on disk. Elsewhere (macOS, Windows) it is a pid file
// `<real path>.lock`, created atomically; see PidFileLock.

import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PersistentMapError, fromSystemError, invalidType } from '../../errors.js';

// Lock names held by maps of this process, for a precise message.
const heldInThisProcess = new Set();

// sun_path holds 108 bytes. libuv binds an abstract name with the whole
// sun_path as its length (Node 20) or with the string's length (later
// versions); padding the name with NULs to the end makes both the same
// 108-byte name, which the native library binds too.
const SUN_PATH = 108;

function lockedMessage(file, here, holder = 0) {
  return here
    ? `store ${file} is already open in this process; close it first`
    : `store ${file} is locked: it is open for writing in another process${holder > 0 ? ` (process ${holder})` : ''}; close it there first`;
}

/**
 * The process that holds the abstract socket `name` (one of this user's),
 * or 0 if it cannot be told: /proc/net/unix gives the socket's inode (the
 * NULs of the name shown as '@'), and its holder has a descriptor
 * "socket:[inode]". As src/native/posix_lock.cc finds it.
 */
function lockHolder(name) {
  try {
    const shown = `@${name}`;
    const line = fs.readFileSync('/proc/net/unix', 'utf8').split('\n')
      .find((l) => l.includes(shown) && /^@*$/.test(l.slice(l.indexOf(shown) + shown.length).trimEnd()));
    if (line === undefined) return 0;
    const target = `socket:[${line.trim().split(/\s+/)[6]}]`;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      let fds;
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue; // another user's, or gone
      }
      for (const fd of fds) {
        try {
          if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return Number(pid);
        } catch {
          // closed meanwhile
        }
      }
    }
  } catch {
    // no /proc: the message does without the process
  }
  return 0;
}

/**
 * Opens `file` (creating it empty and exclusively when `create` and it is
 * absent) and returns the descriptor and the file's identity, `{ fd, dev,
 * ino }` (bigints). A lock keeps the descriptor open while it is held, so
 * that the file's inode cannot be freed and given to another file that
 * would then share its lock name.
 */
function identify(file, create) {
  for (;;) {
    let fd;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      if (err.code !== 'ENOENT' || !create) throw fromSystemError(err, `cannot open ${file}`);
      try {
        fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      } catch (created) {
        if (created.code !== 'EEXIST') throw fromSystemError(created, `cannot create ${file}`);
        if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
          throw invalidType(`${file} is a symbolic link to a file that does not exist; create the file it names, or remove the link`);
        }
        continue; // created by someone else meanwhile
      }
    }
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      if (!st.isFile()) throw invalidType(`${file} is not a regular file`);
      return { fd, dev: st.dev, ino: st.ino };
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }
}

function sameFile(file, { dev, ino }) {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return st !== undefined && st.dev === dev && st.ino === ino;
}

/** The lock held as an abstract socket (Linux). */
class SocketLock {
  constructor(name, server, fd) {
    this.name = name;
    this.server = server;
    this.fd = fd;
  }

  static async bind(name, fd) {
    const server = net.createServer((socket) => socket.destroy());
    const address = `\0${name}`.padEnd(SUN_PATH, '\0');
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      // exclusive: in a cluster worker, bind here instead of asking the
      // primary for a shared handle.
      server.listen({ path: address, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref(); // a held lock does not keep the process alive
    return new SocketLock(name, server, fd);
  }

  release() {
    this.server.close();
    fs.closeSync(this.fd);
  }
}

async function lockBySocket(file, create) {
  // A compaction renames a new file over the store between our open and our
  // bind: then we hold the lock of a file that is no longer the store, and
  // try again with the new one (whose lock its writer took before renaming).
  for (let attempt = 0; attempt < 16; attempt++) {
    const id = identify(file, create);
    const name = `persistent-map:${id.dev}:${id.ino}`;
    let held;
    try {
      held = await SocketLock.bind(name, id.fd);
    } catch (err) {
      fs.closeSync(id.fd);
      if (err.code === 'EADDRINUSE') {
        const here = heldInThisProcess.has(name);
        throw new PersistentMapError('LOCKED', lockedMessage(file, here, here ? 0 : lockHolder(name)));
      }
      throw fromSystemError(err, `cannot lock ${file}`);
    }
    if (sameFile(file, id)) return held;
    held.release();
  }
  throw new PersistentMapError('LOCKED', `store ${file} was replaced again and again while being locked; another writer is compacting it`);
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * The lock where abstract sockets do not exist: `<real path>.lock` holding
 * the holder's pid, created with its content in one step (a temporary file
 * linked into place), so that no opener ever sees an empty lock. A lock
 * naming a dead process is stale; taking it over (unlink, then link) can
 * race with another opener doing the same, and two names of one file by
 * hard link are two locks: these are the limits of a pid file.
 */
class PidFileLock {
  constructor(name) {
    this.name = name;
  }

  static acquire(file, create) {
    fs.closeSync(identify(file, create).fd);
    const name = `${fs.realpathSync(file)}.lock`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const tmp = `${name}.${crypto.randomBytes(8).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      try {
        fs.linkSync(tmp, name);
        return new PidFileLock(name);
      } catch (err) {
        if (err.code !== 'EEXIST') throw fromSystemError(err, `cannot create lock file ${name}`);
      } finally {
        fs.unlinkSync(tmp);
      }
      const text = fs.readFileSync(name, { encoding: 'utf8', flag: fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW });
      const holder = /^[1-9][0-9]{0,9}\n$/.test(text) ? Number(text.trim()) : 0;
      if (holder > 0 && holder <= 0xffffffff && processAlive(holder)) {
        throw new PersistentMapError('LOCKED', `${lockedMessage(file, holder === process.pid)} (process ${holder})`);
      }
      fs.rmSync(name, { force: true });
    }
    throw new PersistentMapError('LOCKED', `store ${file} is being opened by another process at the same moment; try again`);
  }

  release() {
    fs.rmSync(this.name, { force: true });
  }
}

/** One held lock; `release()` is idempotent. */
export class StoreLock {
  #held;
  #name;

  constructor(held, name) {
    this.#held = held;
    this.#name = name;
    heldInThisProcess.add(name);
  }

  release() {
    if (this.#held === null) return;
    this.#held.release();
    this.#held = null;
    heldInThisProcess.delete(this.#name);
  }
}

/**
 * Takes the writer's lock of the file `file` names, creating the file empty
 * if it is absent and `create` is set; LOCKED if it is held, by this process
 * or another. With `wait`, tries again (every 10 ms at first, then up to
 * every 200 ms) until it gets the lock or `signal` aborts, then rejects with
 * the signal's reason. `mechanism` is for tests: 'socket' (Linux) or 'pidfile'.
 * @param {string} file
 * @param {{ create?: boolean, wait?: boolean, signal?: AbortSignal, mechanism?: 'socket'|'pidfile' }} [options]
 * @returns {Promise<StoreLock>}
 */
export async function lockStore(file, { create = true, wait = false, signal, mechanism = process.platform === 'linux' ? 'socket' : 'pidfile' } = {}) {
  const resolved = path.resolve(file);
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    signal?.throwIfAborted();
    try {
      const held = mechanism === 'socket' ? await lockBySocket(resolved, create) : PidFileLock.acquire(resolved, create);
      return new StoreLock(held, held.name);
    } catch (err) {
      if (!wait || err.code !== 'LOCKED') throw err;
    }
    await sleep(delay, signal);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    }
  });
}
