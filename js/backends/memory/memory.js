// The memory backend: the log lives in this JavaScript realm only. Stores
// are kept by name for the life of the process, so a store closed and opened
// again in the same process finds its data (useful in tests and for
// ephemeral state); nothing reaches disk. The reference implementation of the
// log backend interface (docs/BACKENDS.md).

import { concatBytes } from '../common/bytes.js';
import { PersistentMapError } from '../../errors.js';

const stores = new Map(); // name -> { chunks: Uint8Array[], open: boolean }

export class MemoryBackend {
  /** @param {string} name */
  constructor(name) {
    this.name = name;
    this.kind = 'log';
    this.store = null;
    this.next = null; // the log a compaction in the background is building
  }

  async open() {
    let store = stores.get(this.name);
    if (!store) {
      store = { chunks: [], open: false };
      stores.set(this.name, store);
    }
    if (store.open) {
      throw new PersistentMapError('LOCKED', `memory store '${this.name}' is already open in this process; close it first`);
    }
    store.open = true;
    this.store = store;
    const bytes = concatBytes(store.chunks);
    store.chunks = bytes.length ? [bytes] : [];
    return bytes;
  }

  async read() {
    return concatBytes(this.store.chunks);
  }

  async append(bytes) {
    this.store.chunks.push(bytes.slice());
  }

  async truncate(length) {
    const bytes = concatBytes(this.store.chunks).subarray(0, length);
    this.store.chunks = [bytes.slice()];
  }

  async sync() {}

  async replace(bytes) {
    this.store.chunks = [bytes.slice()];
  }

  async beginReplace(bytes) {
    this.next = [bytes.slice()];
  }

  async finishReplace(tail) {
    const next = this.next;
    this.next = null;
    next.push(tail.slice());
    this.store.chunks = next;
  }

  async abortReplace() {
    this.next = null;
  }

  async close() {
    if (this.store) this.store.open = false;
    this.store = null;
  }

  /** Forgets a closed memory store. */
  static destroy(name) {
    const store = stores.get(name);
    if (store && store.open) {
      throw new PersistentMapError('LOCKED', `memory store '${name}' is open; close it before destroying it`);
    }
    stores.delete(name);
  }
}
