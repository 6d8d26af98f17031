// The OPFS backend: the log is a file in the Origin Private File System,
// written through a FileSystemSyncAccessHandle. Those exist only in
// dedicated workers, so this class starts a worker of its own
// (opfs_worker.js) and sends it whole batches;
// the map and its synchronous reads stay on the caller's thread.
// Compaction writes generation n+1 to a temporary file, flushes it, renames
// it to `<name>.<n+1>.pmap` and only then removes generation n; an open
// takes the highest complete generation.
//
// A relaxed append resolves once its batch is posted to the worker (the
// hand-off); the worker writes it in order, on its next turn (batches that
// arrived back to back in one write), well under a millisecond later unless
// the machine is busy. If that write
// fails, the write cannot be rejected any more: the backend is failed for
// good (every later call rejects with the fatal error), tells the map
// through `onfailure`, and the worker cuts the log back to the last good
// batch so that a reopen finds a prefix of what was acknowledged.

import { PersistentMapError, errorFromWorker, lateFailure } from '../../errors.js';
import { WorkerClient } from '../common/worker_rpc.js';
import { acquireWebLock, deposed } from '../common/web_lock.js';

// At most this many relaxed appends (or bytes) are posted without a reply;
// the next one waits for the worker. That bounds what a crash of the tab can
// take from acknowledged writes, and the worker's queue, and it lets a loop
// of awaited relaxed sets (which otherwise never leaves the microtask queue)
// yield to the event loop now and then.
const MAX_UNCONFIRMED = 256;
const MAX_UNCONFIRMED_BYTES = 1 << 20;

export class OpfsBackend {
  /** Set by the map: called once with the fatal error when a failure is found after a write was acknowledged. */
  onfailure = null;

  #client = null;
  #release = null;
  #dead = false; // the worker failed: it may never answer again
  #fileOpen = false; // the worker was told to open the file
  #failure = null; // the fatal error every later call rejects with
  #lost = false; // whether #failure may have cost acknowledged writes
  #lastRelaxed = 0; // id of the last relaxed append posted
  #confirmed = 0; // every request up to this id is done
  #unconfirmed = 0; // relaxed appends posted since the last reply
  #unconfirmedBytes = 0;

  constructor(name, { wait = false, signal, steal = false } = {}) {
    this.name = name;
    this.kind = 'log';
    this.wait = wait;
    this.signal = signal;
    this.steal = steal;
  }

  // The worker answers in order: everything posted before a reply is written.
  #replied(id) {
    this.#confirmed = Math.max(this.#confirmed, id);
    this.#unconfirmed = 0;
    this.#unconfirmedBytes = 0;
  }

  // The worker failed to load, threw outside a request, or sent something
  // that cannot be read: nothing it holds can be trusted any more, and a
  // reply may never come.
  #onWorkerGone(message) {
    if (this.#dead) return;
    this.#dead = true;
    this.#client.terminate();
    const unconfirmed = this.#lastRelaxed > this.#confirmed;
    const error = new PersistentMapError('IO', `the OPFS worker of store '${this.name}' ${message}` +
      `${unconfirmed ? "; writes acknowledged since the last completed request (durability 'relaxed') may be lost" : ''}; reopen the store`, { fatal: true });
    this.#fail(error);
  }

  // From here every call rejects with `error`: pending ones now, later ones
  // at once. The map hears of it through onfailure.
  #fail(error) {
    if (this.#failure) return;
    this.#failure = error;
    this.#lost = this.#lastRelaxed > this.#confirmed;
    this.#client.fail(error);
    try {
      this.onfailure?.(error);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  async open() {
    // The worker loads (10 – 20 ms) while the lock is being taken; it is
    // told to open the file only once the lock is held.
    const worker = new Worker(new URL('./opfs_worker.js', import.meta.url), { type: 'module', name: `persistent-map:${this.name}` });
    this.#client = new WorkerClient(worker, `OPFS store '${this.name}'`, {
      gone: (message) => this.#onWorkerGone(message),
      // A relaxed append's failure: it was acknowledged when posted.
      unsolicited: (data) => {
        if (!data.deferred) return;
        const error = errorFromWorker(data.error);
        this.#fail(error.code === 'LOCKED' ? error : lateFailure(error)); // LOCKED: deposed (web_lock.js)
      },
      replied: (id) => this.#replied(id),
    });
    try {
      this.#release = await acquireWebLock(this.name, { wait: this.wait, signal: this.signal, steal: this.steal, onLost: () => this.#fail(deposed(this.name)) });
      this.#fileOpen = true;
      return await this.#client.call('open', { name: this.name, steal: this.steal });
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }

  read() {
    return this.#client.call('read');
  }

  /** With sync, resolves once the bytes are flushed; without, once they are posted to the worker. */
  async append(bytes, { sync = false } = {}) {
    if (sync || this.#unconfirmed >= MAX_UNCONFIRMED || this.#unconfirmedBytes + bytes.length > MAX_UNCONFIRMED_BYTES) {
      await this.#client.call('append', { bytes, sync });
      return;
    }
    // Messages are structured clones: bytes sent are copied once, as a
    // slice() before a transfer would; for small batches the clone is the cheaper.
    this.#lastRelaxed = this.#client.post('append', { bytes, deferred: true });
    this.#unconfirmed++;
    this.#unconfirmedBytes += bytes.length;
  }

  /**
   * Resolves once every append so far is in the file, where a crash of
   * this page can no longer undo it (not flushed: see sync()).
   */
  async written() {
    if (this.#lastRelaxed > this.#confirmed) await this.#client.call('written');
  }

  truncate(length) {
    return this.#client.call('truncate', { length });
  }

  sync() {
    return this.#client.call('sync');
  }

  replace(bytes) {
    return this.#client.call('replace', { bytes });
  }

  /** Releases the lock; rejects with the failure if one may have cost acknowledged writes. */
  async close() {
    const client = this.#client;
    try {
      // A dead worker would never answer; a live one that opened the file
      // closes its handle after writing everything posted before.
      if (client && this.#fileOpen && !this.#dead) await client.settle('close');
    } finally {
      client?.terminate(); // later requests are refused as CLOSED
      this.#release?.();
      this.#release = null;
    }
    if (this.#lost) throw this.#failure;
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
