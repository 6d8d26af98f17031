// The IndexedDB backend: the log is a run of chunks in an object store,
// named by a head record { first, next }: the log is chunks first..next-1 in
// key order. An append is one transaction (chunk + head); `strict`
// durability uses the transaction's durability: 'strict'. Compaction is one
// transaction that writes the snapshot as a new chunk, deletes the chunks it
// replaces and moves the head. One database per store:
// `persistent-map/<name>`.
//
// A relaxed append resolves at once: its bytes go into a transaction issued
// on the spot, or, while one is in flight, into the next one, which takes
// everything that arrived meanwhile as one chunk. If such a transaction
// fails, its writes were acknowledged already: the backend is failed for
// good (later calls reject with the fatal error) and tells the map through
// `onfailure`. An aborted transaction writes nothing and nothing is issued
// after it, so a reopen finds a prefix of what was acknowledged.

import { concatBytes } from '../common/bytes.js';
import { PersistentMapError, fromSystemError, lateFailure } from '../../errors.js';
import { acquireWebLock, deposed } from '../common/web_lock.js';

const CHUNKS = 'chunks';
const META = 'meta';
// Many small chunks make open slower; an open merges them past this count.
const MERGE_CHUNKS_ABOVE = 64;
// Relaxed appends waiting for the transaction in flight, in bytes: past this
// an append waits for it, so that a page faster than the database cannot
// queue without bound.
const MAX_QUEUED_BYTES = 1 << 20;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    tx.onerror = () => {}; // reported by onabort
  });
}

export class IndexedDbBackend {
  /** Set by the map: called once with the fatal error when a failure is found after a write was acknowledged. */
  onfailure = null;

  #queue = []; // relaxed appends not yet in a transaction
  #queuedBytes = 0;
  #writing = null; // the loop writing #queue, while it runs
  #inFlight = null; // { key, chunk } of its transaction in flight
  #handOff = null; // the transaction #commitQueueNow issued, while in flight
  #failure = null;

  constructor(name, { wait = false, signal, steal = false } = {}) {
    this.name = name;
    this.dbName = `persistent-map/${name}`;
    this.kind = 'log';
    this.wait = wait;
    this.signal = signal;
    this.steal = steal;
    this.db = null;
    this.head = { first: 0, next: 0 };
    this.release = null;
  }

  async #connect() {
    const req = indexedDB.open(this.dbName, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(CHUNKS);
      req.result.createObjectStore(META);
    };
    const db = await request(req);
    // Safari (and storage pressure) can close a connection under us: note
    // it, and the next call reconnects once.
    db.onclose = () => {
      if (this.db === db) this.db = null;
    };
    db.onversionchange = () => db.close();
    this.db = db;
  }

  // Runs fn(tx) in one transaction; reconnects and retries once if the
  // connection was closed under us.
  async #transact(mode, durability, fn) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.db) await this.#connect();
        const tx = this.db.transaction([CHUNKS, META], mode, { durability });
        const finished = done(tx);
        const result = fn(tx);
        // Commit now rather than after this page has seen the requests'
        // events, which a busy or unloading page may never get to.
        if (mode === 'readwrite') tx.commit();
        await finished;
        return await result;
      } catch (err) {
        // A chunk added where one exists: fenced off by a new leader (open()).
        if (err?.name === 'ConstraintError') throw deposed(this.name);
        const closed = err && (err.name === 'InvalidStateError' || (err.name === 'UnknownError' && !this.db));
        if (closed && attempt === 0) {
          this.db = null;
          continue;
        }
        throw fromSystemError(err, `IndexedDB store '${this.name}'`);
      }
    }
  }

  async open() {
    this.release = await acquireWebLock(this.name, { wait: this.wait, signal: this.signal, steal: this.steal, onLost: () => this.#fail(deposed(this.name)) });
    try {
      await this.#connect();
      const head = await this.#transact('readonly', 'default', (tx) => request(tx.objectStore(META).get('head')));
      this.head = head ?? { first: 0, next: 0 };
      // Fencing: chunks are only ever added, never overwritten, and the
      // head moves only with a chunk. Taking the store from a leader that
      // may still be alive (frozen, or hung), an empty chunk at the next
      // key makes its next write fail, whatever it had queued: that write
      // adds a chunk at a key that now exists.
      if (this.steal) await this.#put(new Uint8Array(0), 'strict');
      const bytes = await this.read();
      if (this.head.next - this.head.first > MERGE_CHUNKS_ABOVE) await this.replace(bytes);
      globalThis.addEventListener?.('pagehide', this.#commitQueueNow);
      globalThis.document?.addEventListener('visibilitychange', this.#onVisibilityChange);
      return bytes;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async read() {
    await this.#settled();
    const { first, next } = this.head;
    if (next === first) return new Uint8Array(0);
    const chunks = await this.#transact('readonly', 'default', (tx) =>
      request(tx.objectStore(CHUNKS).getAll(IDBKeyRange.bound(first, next - 1))));
    if (chunks.length !== next - first) {
      throw new PersistentMapError('CORRUPT', `IndexedDB store '${this.name}' is missing log chunks`);
    }
    return concatBytes(chunks);
  }

  /** With sync, resolves once the bytes are committed durably; without, once they are queued for a transaction. */
  async append(bytes, { sync = false } = {}) {
    if (this.#failure) throw this.#failure;
    if (sync) {
      await this.#settled();
      await this.#put(bytes.slice(), 'strict');
      return;
    }
    this.#queue.push(bytes.slice());
    this.#queuedBytes += bytes.length;
    this.#writing ??= this.#writeQueue();
    if (this.#queuedBytes > MAX_QUEUED_BYTES) await this.#settled();
  }

  async #put(chunk, durability) {
    const key = this.head.next;
    const head = { first: this.head.first, next: key + 1 };
    await this.#transact('readwrite', durability, (tx) => {
      tx.objectStore(CHUNKS).add(chunk.buffer, key);
      tx.objectStore(META).put(head, 'head');
    });
    this.head = head;
  }

  // Writes the queue, one transaction at a time, each taking all that
  // arrived while the one before was in flight. The first transaction is
  // issued before this returns (when connected).
  async #writeQueue() {
    try {
      while (this.#queue.length > 0) {
        const chunks = this.#queue.splice(0);
        this.#queuedBytes = 0;
        const chunk = chunks.length === 1 ? chunks[0] : concatBytes(chunks);
        this.#inFlight = { key: this.head.next, chunk };
        await this.#put(chunk, 'relaxed');
      }
    } catch (err) {
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#fail(err);
    } finally {
      this.#inFlight = null;
      this.#writing = null;
    }
  }

  // The page is being hidden or unloaded, and the queue would wait for the
  // transaction in flight, which this page may not live to see complete:
  // commit the queue now. The transaction rewrites the chunk in flight with
  // the queue appended, so whether or not that one commits, no chunk is
  // missing from the run. Runs from a pagehide/visibilitychange listener.
  #commitQueueNow = () => {
    if (this.#queue.length === 0 || !this.db || this.#failure) return;
    let tx;
    try {
      tx = this.db.transaction([CHUNKS, META], 'readwrite', { durability: 'relaxed' });
    } catch {
      return; // the browser closed the connection: the writer loop reconnects
    }
    const finished = done(tx);
    const base = this.#inFlight;
    const key = base ? base.key : this.head.next;
    const chunk = concatBytes(base ? [base.chunk, ...this.#queue] : this.#queue);
    this.#queue = [];
    this.#queuedBytes = 0;
    const head = { first: this.head.first, next: key + 1 };
    tx.objectStore(CHUNKS).put(chunk.buffer, key);
    // Fenced as every write (open()): rewriting the chunk in flight, this
    // one must still fail if a new leader has added a chunk after it.
    tx.objectStore(CHUNKS).add(new ArrayBuffer(0), key + 1);
    tx.objectStore(CHUNKS).delete(key + 1);
    tx.objectStore(META).put(head, 'head');
    tx.commit();
    // Later appends (if the page comes back from the back/forward cache)
    // go after this chunk; the transaction in flight ends at the same head.
    this.#inFlight = { key, chunk };
    this.head = head;
    const previous = this.#handOff;
    const handOff = (async () => {
      await previous;
      try {
        await finished;
      } catch (err) {
        if (!this.#failure) this.#fail(fromSystemError(err, `IndexedDB store '${this.name}'`));
      }
      if (this.#handOff === handOff) this.#handOff = null;
    })();
    this.#handOff = handOff;
  };

  #onVisibilityChange = () => {
    if (document.visibilityState === 'hidden') this.#commitQueueNow();
  };

  #fail(cause) {
    const error = cause?.code === 'LOCKED' ? cause : lateFailure(cause); // deposed: nothing was lost
    this.#failure = error;
    try {
      this.onfailure?.(error);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  // Waits until every relaxed append is committed (or has failed).
  async #settled() {
    while (this.#writing || this.#handOff) await (this.#writing ?? this.#handOff);
    if (this.#failure) throw this.#failure;
  }

  /**
   * Resolves once every append so far is committed, where a crash of this
   * page can no longer undo it (relaxed: not necessarily flushed; sync()).
   */
  async written() {
    await this.#settled();
  }

  async truncate(length) {
    const bytes = await this.read();
    // A failed append was an aborted transaction and wrote nothing: the
    // roll-back then needs no write (which could fail for want of space).
    if (bytes.length === length) return;
    await this.replace(bytes.subarray(0, length));
  }

  async sync() {
    await this.#settled();
    // A strict transaction is only reported complete once it, and so every
    // transaction committed before it, is flushed.
    await this.#transact('readwrite', 'strict', (tx) => {
      tx.objectStore(META).put(Date.now(), 'synced'); // not the head: a deposed leader's sync must not move it
    });
  }

  async replace(bytes) {
    await this.#settled();
    const { first, next } = this.head;
    const head = { first: next, next: next + 1 };
    await this.#transact('readwrite', 'strict', (tx) => {
      if (next > first) tx.objectStore(CHUNKS).delete(IDBKeyRange.bound(first, next - 1));
      tx.objectStore(CHUNKS).add(bytes.slice().buffer, next);
      tx.objectStore(META).put(head, 'head');
    });
    this.head = head;
  }

  /** Waits for relaxed appends in flight, releases the lock; rejects with a failure that cost acknowledged writes. */
  async close() {
    while (this.#writing || this.#handOff) await (this.#writing ?? this.#handOff);
    globalThis.removeEventListener?.('pagehide', this.#commitQueueNow);
    globalThis.document?.removeEventListener('visibilitychange', this.#onVisibilityChange);
    if (this.db) this.db.close();
    this.db = null;
    if (this.release) this.release();
    this.release = null;
    if (this.#failure) throw this.#failure;
  }

  /** Deletes a closed store's database. */
  static async destroy(name) {
    await request(indexedDB.deleteDatabase(`persistent-map/${name}`));
  }
}
