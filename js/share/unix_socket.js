// The transport of a shared store between Node processes on one machine: a
// Unix domain socket. Its file lives in a directory only this user can
// enter (`<tmpdir>/persistent-map-<uid>`, mode 0700), which is what keeps
// other users out: the store's lock is an abstract socket (store_lock.js),
// which has no permissions, so it elects the leader but carries nothing.
// The socket is named after the store file's real path, so every name of
// a store (symlinks, relative paths) finds the same leader, and a
// compaction, which gives the store a new file, keeps it.
// Messages are framed as protocol.js says.

import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PersistentMapError, fromSystemError } from '../errors.js';
import { FrameReader, MAX_FIRST_FRAME, encodeFrame } from './protocol.js';

// A peer that lets this much pile up unread is dropped (it rejoins when it
// reads again): a follower that never reads cannot grow the leader's memory.
const MAX_UNREAD = 64 << 20;

/** The directory of this user's store sockets, created (0700) if absent; checked. */
export function socketDir() {
  const uid = process.getuid();
  const dir = path.join(os.tmpdir(), `persistent-map-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (err.code !== 'EEXIST') throw fromSystemError(err, `cannot create ${dir} for the sockets of shared stores`);
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new PersistentMapError('INVALID', `${dir} must be a directory of user ${uid} that only it can enter (mode 0700), for the sockets of shared stores; remove it or fix its mode`);
  }
  return dir;
}

/** The socket path of the store whose file is `file`, or null if there is no such file. */
export function socketPath(file) {
  let real;
  try {
    real = fs.realpathSync(file);
  } catch {
    return null;
  }
  const name = crypto.createHash('sha256').update(real).digest('hex').slice(0, 32);
  return path.join(socketDir(), `${name}.sock`);
}

// The frame last encoded: a leader sends the same records to every follower.
let lastSent = { msg: null, bytes: null, frame: null };

function frameOf(msg, bytes) {
  if (lastSent.msg !== msg || lastSent.bytes !== bytes) lastSent = { msg, bytes, frame: encodeFrame(msg, bytes) };
  return lastSent.frame;
}

/** One end of a connection: send(msg, bytes); onmessage(msg, bytes) and onclose(error|null) are set by the user. */
export class SocketConnection {
  #socket;
  #reader = new FrameReader();
  #closed = false;
  #corked = false;
  onmessage = () => {};
  onclose = () => {};

  constructor(socket) {
    this.#socket = socket;
    // An idle connection does not keep the process alive (as an open map
    // does not); the follower holds it while it waits for answers.
    socket.unref();
    socket.on('data', (chunk) => {
      let messages;
      try {
        messages = this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (err) {
        this.close(err);
        return;
      }
      for (const { msg, bytes } of messages) {
        if (this.#closed) return;
        this.onmessage(msg, bytes);
      }
    });
    socket.on('error', (err) => this.close(fromSystemError(err, 'shared store connection failed')));
    socket.on('close', () => this.close(null));
  }

  get closed() {
    return this.#closed;
  }

  /** The longest frame this end accepts from now on. */
  set maxFrame(n) {
    this.#reader.limit = n;
  }

  /** Whether the connection keeps the process alive. */
  keepAlive(on) {
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }

  send(msg, bytes) {
    if (this.#closed) return;
    if (this.#socket.writableLength > MAX_UNREAD) {
      this.close(new PersistentMapError('IO', `a peer left ${this.#socket.writableLength} bytes unread; dropped`));
      return;
    }
    // What is sent in one turn of the event loop (records, then the
    // acknowledgements they make) goes out in one write.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(this.#uncork);
    }
    this.#socket.write(frameOf(msg, bytes));
  }

  #uncork = () => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Closes the connection; onclose(error) runs once. */
  close(error = null) {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.onclose(error);
  }

  /** Ends the connection once what was sent has been written. */
  end() {
    if (this.#closed) return;
    this.#socket.end();
  }
}

/**
 * Listens at `file`'s socket; onConnection(SocketConnection) for each
 * follower. A socket file left by a leader that died is removed (we hold
 * the store's lock, so nobody else listens there); anything else at that
 * path is refused. Resolves to { path, close() }.
 */
export async function listen(file, onConnection) {
  const where = socketPath(file);
  if (where === null) throw new PersistentMapError('NOT_FOUND', `${file} does not exist`);
  const st = fs.lstatSync(where, { throwIfNoEntry: false });
  if (st !== undefined) {
    if (!st.isSocket()) {
      throw new PersistentMapError('INVALID', `${where} should be the socket of store ${file} but is something else; remove it`);
    }
    fs.unlinkSync(where);
  }
  const server = net.createServer((socket) => {
    const conn = new SocketConnection(socket);
    conn.maxFrame = MAX_FIRST_FRAME; // until hello
    onConnection(conn);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: where, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    throw fromSystemError(err, `cannot listen at ${where} to share store ${file}`);
  });
  fs.chmodSync(where, 0o600);
  server.unref(); // followers' connections keep the process alive, not the listener
  return {
    path: where,
    close() {
      server.close();
      // Only our own socket: a compaction may have given the name to no one yet.
      const now = fs.lstatSync(where, { throwIfNoEntry: false });
      if (now?.isSocket()) fs.rmSync(where, { force: true });
    },
  };
}

/**
 * Connects to the leader of the store at `file`: a SocketConnection, or null
 * when nobody listens there (no leader yet, or one that does not share).
 */
export async function connect(file) {
  const where = socketPath(file);
  if (where === null) return null;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: where });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(new SocketConnection(socket));
    });
    socket.once('error', (err) => {
      socket.destroy();
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(null);
      else reject(fromSystemError(err, `cannot connect to ${where}, the leader of store ${file}`));
    });
  });
}

/** The transport of the store at `file` (js/share/sharing.js). */
export function unixSocketTransport(file) {
  const resolved = path.resolve(file);
  return {
    pid: process.pid,
    connect: () => connect(resolved),
    listen: (onConnection) => listen(resolved, onConnection),
  };
}
