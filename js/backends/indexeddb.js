// The IndexedDB backend: the log is a run of chunks (one per group commit)
// in an object store, named by a head record { first, next }: the log is
// chunks first..next-1 in key order. An append is one transaction (chunk +
// head); `strict` durability uses the transaction's durability: 'strict'.
// Compaction is one transaction that writes the snapshot as a new chunk,
// deletes the chunks it replaces and moves the head. One database per store:
// `persistent-map/<name>`.

import { concatBytes } from './bytes.js';
import { PersistentMapError, fromSystemError } from '../errors.js';
import { acquireWebLock } from './web_lock.js';

const CHUNKS = 'chunks';
const META = 'meta';
// Many small chunks make open slower; an open merges them past this count.
const MERGE_CHUNKS_ABOVE = 64;

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
  constructor(name, { wait = false } = {}) {
    this.name = name;
    this.dbName = `persistent-map/${name}`;
    this.kind = 'log';
    this.wait = wait;
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
        await finished;
        return await result;
      } catch (err) {
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
    this.release = await acquireWebLock(this.name, { wait: this.wait });
    try {
      await this.#connect();
      const head = await this.#transact('readonly', 'default', (tx) => request(tx.objectStore(META).get('head')));
      this.head = head ?? { first: 0, next: 0 };
      const bytes = await this.read();
      if (this.head.next - this.head.first > MERGE_CHUNKS_ABOVE) await this.replace(bytes);
      return bytes;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async read() {
    const { first, next } = this.head;
    if (next === first) return new Uint8Array(0);
    const chunks = await this.#transact('readonly', 'default', (tx) =>
      request(tx.objectStore(CHUNKS).getAll(IDBKeyRange.bound(first, next - 1))));
    if (chunks.length !== next - first) {
      throw new PersistentMapError('CORRUPT', `IndexedDB store '${this.name}' is missing log chunks`);
    }
    return concatBytes(chunks);
  }

  async append(bytes, { sync = false } = {}) {
    const head = { first: this.head.first, next: this.head.next + 1 };
    await this.#transact('readwrite', sync ? 'strict' : 'relaxed', (tx) => {
      tx.objectStore(CHUNKS).put(bytes.slice().buffer, this.head.next);
      tx.objectStore(META).put(head, 'head');
    });
    this.head = head;
  }

  async truncate(length) {
    const bytes = await this.read();
    await this.replace(bytes.subarray(0, length));
  }

  async sync() {
    // A strict transaction is only reported complete once it, and so every
    // transaction committed before it, is flushed.
    await this.#transact('readwrite', 'strict', (tx) => {
      tx.objectStore(META).put(this.head, 'head');
    });
  }

  async replace(bytes) {
    const { first, next } = this.head;
    const head = { first: next, next: next + 1 };
    await this.#transact('readwrite', 'strict', (tx) => {
      if (next > first) tx.objectStore(CHUNKS).delete(IDBKeyRange.bound(first, next - 1));
      tx.objectStore(CHUNKS).put(bytes.slice().buffer, next);
      tx.objectStore(META).put(head, 'head');
    });
    this.head = head;
  }

  async close() {
    if (this.db) this.db.close();
    this.db = null;
    if (this.release) this.release();
    this.release = null;
  }

  /** Deletes a closed store's database. */
  static async destroy(name) {
    await request(indexedDB.deleteDatabase(`persistent-map/${name}`));
  }
}
