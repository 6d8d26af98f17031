// The OPFS backend: the log is a file in the Origin Private File System,
// written through a FileSystemSyncAccessHandle. Those exist only in
// dedicated workers, so this class starts a worker of its own
// (opfs_worker.js) and sends it whole batches (transferred, not copied);
// the map and its synchronous reads stay on the caller's thread.
// Compaction writes generation n+1 to a temporary file, flushes it, renames
// it to `<name>.<n+1>.pmap` and only then removes generation n; an open
// takes the highest complete generation.

import { PersistentMapError } from '../errors.js';
import { acquireWebLock } from './web_lock.js';

function toError(e) {
  const err = new PersistentMapError(e.code, e.message);
  if (e.fatal) err.fatal = true;
  return err;
}

export class OpfsBackend {
  #worker = null;
  #release = null;
  #calls = new Map(); // id -> { resolve, reject }
  #nextId = 1;
  #dead = null; // the error that ended the worker, once it has failed

  constructor(name, { wait = false } = {}) {
    this.name = name;
    this.kind = 'log';
    this.wait = wait;
  }

  #call(op, args = {}, transfer = []) {
    if (this.#dead) return Promise.reject(this.#dead);
    if (!this.#worker) return Promise.reject(new PersistentMapError('CLOSED', `OPFS store '${this.name}' is closed`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  #onMessage(event) {
    const { id, ok, result, error } = event.data;
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    if (ok) call.resolve(result);
    else call.reject(toError(error));
  }

  // The worker failed to load, threw outside a request, or sent something
  // that cannot be read: nothing it holds can be trusted any more, and a
  // reply may never come. Every pending and later call fails at once.
  #onWorkerGone(message) {
    if (this.#dead) return;
    const error = new PersistentMapError('IO', `the OPFS worker of store '${this.name}' ${message}; reopen the store`);
    error.fatal = true;
    this.#dead = error;
    this.#worker?.terminate();
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
  }

  async open() {
    this.#release = await acquireWebLock(this.name, { wait: this.wait });
    try {
      const worker = new Worker(new URL('./opfs_worker.js', import.meta.url), { type: 'module', name: `persistent-map:${this.name}` });
      this.#worker = worker;
      worker.onmessage = (e) => this.#onMessage(e);
      // A script that cannot be fetched or evaluated fires a plain Event (no message).
      worker.onerror = (e) => this.#onWorkerGone(e.message ? `failed: ${e.message}` : 'could not be started (its script did not load)');
      worker.onmessageerror = () => this.#onWorkerGone('sent a message that could not be read');
      return await this.#call('open', { name: this.name });
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }

  read() {
    return this.#call('read');
  }

  append(bytes, { sync = false } = {}) {
    const copy = bytes.slice();
    return this.#call('append', { bytes: copy, sync }, [copy.buffer]);
  }

  truncate(length) {
    return this.#call('truncate', { length });
  }

  sync() {
    return this.#call('sync');
  }

  replace(bytes) {
    const copy = bytes.slice();
    return this.#call('replace', { bytes: copy }, [copy.buffer]);
  }

  async close() {
    const worker = this.#worker;
    try {
      // A dead worker would never answer; a live one closes its handle.
      if (worker && !this.#dead) await this.#call('close').catch(() => {});
    } finally {
      worker?.terminate();
      this.#worker = null;
      this.#release?.();
      this.#release = null;
    }
  }

  /** True where a sync access handle can be had (asks a worker). */
  static async available() {
    if (typeof Worker === 'undefined' || !globalThis.navigator?.storage?.getDirectory) return false;
    const worker = new Worker(new URL('./opfs_worker.js', import.meta.url), { type: 'module' });
    try {
      return await new Promise((resolve) => {
        worker.onmessage = (e) => resolve(e.data.ok && e.data.result === true);
        worker.onerror = () => resolve(false);
        worker.postMessage({ id: 0, op: 'probe' });
      });
    } finally {
      worker.terminate();
    }
  }

  /** Deletes a closed store's files. */
  static async destroy(name) {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('persistent-map', { create: true });
    for await (const entry of dir.keys()) {
      if (entry.startsWith(`${name}.`)) await dir.removeEntry(entry);
    }
  }
}
