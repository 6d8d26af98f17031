// The sqlite backend in browsers: the store is an SQLite database in the
// Origin Private File System, kept by @sqlite.org/sqlite-wasm's
// opfs-sahpool VFS in a dedicated worker this backend starts
// (sqlite_worker.js); one message per group commit, the map and its
// synchronous reads stay on the caller's thread. One writer per store with
// Web Locks, as for the other browser backends.
//
// This module is the browser side of the entry point 'persistent-map/sqlite'
// and registers the backend name 'sqlite' when imported. It is kept out of
// js/browser.js so that bundlers meet @sqlite.org/sqlite-wasm (an optional
// peer, ~1 MB) only in apps that import it.

import { PersistentMapError } from '../../errors.js';
import { WorkerClient } from '../common/worker_rpc.js';
import { registerBackend } from '../../persistent_map.js';
import { sqliteStoreDirectory } from './sqlite_paths.js';
import { TableBackend } from '../table/table_backend.js';
import { acquireWebLock } from '../common/web_lock.js';

const SQLITE_PACKAGE = '@sqlite.org/sqlite-wasm';

/** Where the page's import map sends @sqlite.org/sqlite-wasm, or undefined. */
function importMapUrl() {
  try {
    return import.meta.resolve(SQLITE_PACKAGE);
  } catch {
    return undefined; // not mapped (or bundled: the worker's own import is resolved)
  }
}

// The row store: Web Lock, then the worker.
class WorkerSqliteStore {
  constructor(name, { wait, signal, moduleUrl, workerUrl }) {
    this.name = name;
    this.wait = wait;
    this.signal = signal;
    this.moduleUrl = moduleUrl;
    this.workerUrl = workerUrl;
    this.client = null;
    this.release = null;
  }

  #call(op, args = {}, transfer = []) {
    if (!this.client) return Promise.reject(new PersistentMapError('CLOSED', `sqlite store '${this.name}' is closed`));
    return this.client.call(op, args, transfer); // a refused post rejects the call's promise
  }

  // The worker failed to start or died: nothing it was doing can be trusted.
  #onWorkerGone(message, moduleUrl) {
    const hint = moduleUrl ? '' : ` (without a bundler, map '${SQLITE_PACKAGE}' in the page's import map or pass { moduleUrl })`;
    this.client.fail(new PersistentMapError('IO', `the sqlite worker of store '${this.name}' ${message}${hint}`, { fatal: true }));
    this.client.terminate();
  }

  async open() {
    this.release = await acquireWebLock(`sqlite:${this.name}`, { wait: this.wait, signal: this.signal });
    try {
      const moduleUrl = this.moduleUrl ?? importMapUrl();
      // Each `new Worker(new URL(...))` is written out in full so that
      // bundlers see a worker and bundle it (sqlite_worker.js with
      // sqlite-wasm) instead of copying the file as an asset.
      let worker;
      if (this.workerUrl) worker = new Worker(this.workerUrl, { type: 'module' });
      else if (moduleUrl) worker = new Worker(new URL('./sqlite_url_worker.js', import.meta.url), { type: 'module' });
      else worker = new Worker(new URL('./sqlite_worker.js', import.meta.url), { type: 'module' });
      this.client = new WorkerClient(worker, `sqlite store '${this.name}'`, {
        gone: (message) => this.#onWorkerGone(message, moduleUrl),
      });
      return await this.#call('open', { name: this.name, moduleUrl });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  load() {
    return this.#call('load');
  }

  apply(change, { sync = false } = {}) {
    return this.#send('apply', change, { sync });
  }

  replace(change) {
    return this.#send('replace', change, {});
  }

  // The run's bytes are copied and transferred: the caller may reuse its
  // buffer. The ops are TableLog.decode's own copy (table_backend.js does
  // not use them again), so they are transferred as they are.
  #send(op, change, extra) {
    const bytes = change.bytes.slice();
    const { ops } = change;
    return this.#call(op, { change: { bytes, ops, generation: change.generation }, ...extra }, [bytes.buffer, ops.buffer]);
  }

  sync() {
    return this.#call('sync');
  }

  async close() {
    const client = this.client;
    this.client = null;
    if (client) {
      await client.settle('close');
      client.terminate();
    }
    this.release?.();
    this.release = null;
  }
}

export class SqliteBackend extends TableBackend {
  /**
   * @param {string} name the store's name
   * @param {{ wait?: boolean, signal?: AbortSignal, moduleUrl?: string|URL, wasm?: object }} [options]
   *   `wait`: wait for another tab's writer instead of failing with LOCKED,
   *   until `signal` aborts;
   *   `moduleUrl`: where @sqlite.org/sqlite-wasm's module is served (needed
   *   without a bundler unless the page's import map names it; e.g.
   *   '/node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs');
   *   `wasm`: where the WebAssembly core is (see OpenOptions.wasm)
   */
  constructor(name, { wait = false, signal, moduleUrl, wasm, workerUrl } = {}) {
    super(name, new WorkerSqliteStore(name, { wait, signal, moduleUrl: moduleUrl && String(moduleUrl), workerUrl }), { wasm });
  }

  /** Deletes a closed store's database. */
  static async destroy(name) {
    const [top, sub, entry] = sqliteStoreDirectory(name);
    let dir;
    try {
      dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle(top)).getDirectoryHandle(sub);
    } catch {
      return; // nothing was ever stored
    }
    try {
      await dir.removeEntry(entry, { recursive: true });
    } catch (err) {
      if (err.name === 'NotFoundError') return;
      throw new PersistentMapError(err.name === 'NoModificationAllowedError' ? 'LOCKED' : 'IO', `cannot delete sqlite store '${name}': ${err.message}`);
    }
  }
}

registerBackend('sqlite', (name, options) => new SqliteBackend(name, options));
