// PersistentMap: a Map whose writes survive restarts. The WebAssembly core
// holds every entry (its index is rebuilt from the log on open); a read
// cache in front of it (map/read_cache.js) keeps what was read or written,
// so repeated reads cost a Map lookup plus the decode of a fresh copy.
// Writes update both at once; the log driver (map/log_driver.js) has the
// core encode them into log records and hands those to the backend in one
// piece per turn of the event loop (group commit). This file is the
// Map-shaped facade and its events. See README.md for the contract.

import { jsonCodec } from './codec.js';
import { Core, loadCore } from './core.js';
import { invalidRange, invalidType, statusError } from './errors.js';
import { exportEntries, importOps, readImport, recordTooLarge } from './map/csv_io.js';
import { Events } from './map/events.js';
import { LogDriver } from './map/log_driver.js';
import { checkKey, checkOptions } from './map/options.js';
import { ReadCache } from './map/read_cache.js';
import { capabilitiesOf, makeBackend } from './map/registry.js';
import { StoredForm } from './map/stored_form.js';
import { checkRows } from './map/table_rows.js';

export { registerBackend, setAutoBackend } from './map/registry.js';

const CONSTRUCT = Symbol('construct');

// The cores of closed maps, freed when their map is garbage collected.
const closedCores = new FinalizationRegistry((core) => core.delete());

// Whether fn's result looks like a Promise. A value that cannot even be
// read (a revoked Proxy) is not one: the codec refuses it with its path.
function isThenable(value) {
  try {
    return Boolean(value) && typeof value.then === 'function';
  } catch {
    return false;
  }
}

export class PersistentMap {
  #name;
  #options;
  #backendKind;
  #form;
  #core;
  #driver;
  #cache;
  #events = new Events();
  #closedStats = null;
  #closing = null;

  /** What recovery found when the store was opened. */
  recovery;

  /**
   * Opens (or creates) a store.
   * @param {string} name a file path (fs backend) or a store name
   * @param {import('./index.js').OpenOptions} [options]
   */
  static async open(name, options = {}) {
    const o = checkOptions(name, options);
    const module = await loadCore(o.wasm);
    const { backend, kind } = await makeBackend(name, o);
    const bytes = await backend.open();
    let core;
    try {
      core = new Core(module, o);
      const report = core.recover(bytes);
      if (!report.ok) {
        // INVALID: the log holds an intact record over maxRecordSize; the
        // store is sound, the option is too small for it (docs/FORMAT.md).
        throw report.code === 'INVALID' ? invalidRange(`${name}: ${report.message}`) : statusError(report, name);
      }
      if (!capabilitiesOf(backend).readIsLog && o.codec === jsonCodec) checkRows(name, core, report);
      const map = new PersistentMap(CONSTRUCT, name, o, kind, core, backend, report);
      await map.#driver.open(bytes.length, report);
      return map;
    } catch (err) {
      if (core) core.delete();
      await backend.close().catch(() => {});
      throw err;
    }
  }

  constructor(token, name, options, backendKind, core, backend, report) {
    if (token !== CONSTRUCT) throw new TypeError('use PersistentMap.open(name, options)');
    this.#name = name;
    this.#options = options;
    this.#backendKind = backendKind;
    this.#form = new StoredForm(name, options.codec);
    this.#core = core;
    this.#driver = new LogDriver(name, core, backend, options, {
      reloaded: () => {
        this.#cache.forget();
        this.#events.emit('change', { type: 'reload' });
      },
      error: (err) => this.#events.emit('error', err),
    });
    this.#cache = new ReadCache(this.#form, options.freeze === true, () => this.#driver.core());
    this.recovery = Object.freeze({
      generation: report.generation,
      records: report.records,
      damaged: Object.freeze(report.damaged.map((d) => Object.freeze({ ...d }))),
    });
    this.#cache.forget();
  }

  // ---- reads (sync, from memory) ----

  /** The value of `key` (a fresh copy, or a shared frozen one with { freeze: true }), or undefined. */
  get(key) {
    return this.#cache.get(key);
  }

  has(key) {
    return this.#cache.has(key);
  }

  get size() {
    return this.#cache.size;
  }

  /** The i-th [key, value] in insertion order (negative i counts from the end). */
  at(index) {
    return this.#cache.at(index);
  }

  // Iteration is live, as a Map's is; the first one after an open loads
  // every entry into the read cache.
  *keys() {
    for (const [key] of this.#cache.storedEntries()) yield key;
  }

  *values() {
    for (const [key, stored] of this.#cache.storedEntries()) yield this.#cache.value(key, stored);
  }

  *entries() {
    for (const [key, stored] of this.#cache.storedEntries()) yield [key, this.#cache.value(key, stored)];
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  forEach(callback, thisArg) {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  stats() {
    const state = this.#driver.state;
    const s = state === 'closed' ? this.#closedStats : state === 'open' ? this.#driver.core().stats() : this.#core.stats();
    return {
      size: this.size,
      liveRecords: s.liveRecords,
      totalRecords: s.totalRecords,
      logBytes: s.logBytes,
      pendingBytes: s.pendingBytes,
      deadRatio: s.deadRatio,
      generation: s.generation,
      backend: this.#backendKind,
      durability: this.#options.durability,
      state,
    };
  }

  // ---- writes ----

  /**
   * Sets `key`; resolves once the write is handed over (relaxed) or on
   * stable storage (strict). Not an async function: a set costs one promise
   * per group of writes, not two per write.
   */
  set(key, value) {
    try {
      this.#driver.checkWritable();
      checkKey(key);
      const stored = this.#form.encode(value);
      const ops = this.#driver.ops;
      const mark = ops.mark();
      const bytes = ops.put(key, stored, this.#form.bytesPrefix(stored));
      const size = this.#core.oversize(ops, mark);
      if (size > 0) {
        ops.rewind(mark);
        throw invalidRange(recordTooLarge(bytes, size, this.#options.maxRecordSize));
      }
      this.#cache.put(key, stored);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#written({ type: 'set', key });
  }

  /**
   * Deletes `key`; resolves to whether it was there. Like every write, also
   * one that changes nothing, it resolves once the earlier writes are as
   * durable as its own would be (an earlier pending delete may be why the
   * key is gone).
   */
  async delete(key) {
    this.#driver.checkWritable();
    checkKey(key);
    if (!this.has(key)) {
      await this.#driver.commit();
      return false;
    }
    this.#driver.ops.delete(key);
    this.#cache.delete(key);
    await this.#written({ type: 'delete', key });
    return true;
  }

  async clear() {
    this.#driver.checkWritable();
    this.#driver.ops.clear();
    this.#cache.clear();
    return this.#written({ type: 'clear' });
  }

  /** Sets `key` to fn(current value); resolves to the new value. fn gets a fresh copy, also with { freeze: true }. */
  async update(key, fn) {
    this.#driver.checkWritable();
    checkKey(key);
    if (typeof fn !== 'function') throw invalidType('update(key, fn) needs a function');
    const current = this.#cache.stored(key);
    const next = fn(current === undefined ? undefined : this.#form.decode(key, current));
    if (isThenable(next)) throw invalidType('the update function must return the new value, not a Promise');
    await this.set(key, next);
    return next;
  }

  /** Sets many entries as one atomic record. */
  async setMany(entries) {
    this.#driver.checkWritable();
    const list = [];
    for (const pair of entries instanceof Map ? entries : Array.from(entries ?? [])) {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidType('setMany takes [key, value] pairs (or a Map)');
      checkKey(pair[0]);
      list.push([pair[0], this.#form.encode(pair[1])]);
    }
    if (list.length === 0) return this.#driver.commit();
    const size = this.#putBatch(list);
    if (size > 0) {
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#options.maxRecordSize}); split it`);
    }
    return this.#written({ type: 'setMany', keys: list }, true);
  }

  // Queues [key, stored] pairs as one BATCH record and puts them in the
  // cache; returns 0, or (and nothing changed) the size of the record if it
  // would exceed maxRecordSize.
  #putBatch(list) {
    const ops = this.#driver.ops;
    const mark = ops.mark();
    ops.batch(list.length);
    for (const [key, stored] of list) ops.put(key, stored, this.#form.bytesPrefix(stored));
    const size = this.#core.oversize(ops, mark);
    if (size > 0) {
      ops.rewind(mark);
      return size;
    }
    for (const [key, stored] of list) this.#cache.put(key, stored);
    return 0;
  }

  /** Deletes many keys as one atomic record; resolves to how many were there. */
  async deleteMany(keys) {
    this.#driver.checkWritable();
    const present = [];
    const seen = new Set();
    for (const key of Array.from(keys ?? [])) {
      checkKey(key);
      if (!seen.has(key) && this.has(key)) {
        seen.add(key);
        present.push(key);
      }
    }
    if (present.length === 0) {
      await this.#driver.commit();
      return 0;
    }
    const ops = this.#driver.ops;
    const mark = ops.mark();
    ops.batch(present.length);
    for (const key of present) ops.delete(key);
    const size = this.#core.oversize(ops, mark);
    if (size > 0) {
      ops.rewind(mark);
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#options.maxRecordSize}); split it`);
    }
    for (const key of present) this.#cache.delete(key);
    await this.#written({ type: 'deleteMany', keys: present });
    return present.length;
  }

  /**
   * The entries as CSV (RFC 4180: header `key,value`, keys as text, values as
   * JSON text, insertion order), as an async iterable of text chunks. It
   * exports the map as it is at this call; later writes do not show.
   */
  exportCSV(options = {}) {
    return exportEntries(this.#cache.storedEntries(), this.#form, options);
  }

  /**
   * Puts every record of a CSV `source` (as exportCSV writes it) into the
   * map, atomically: a bad row (the error names its line and column) or a
   * failed write changes nothing. Resolves to the number of rows imported.
   */
  async importCSV(source) {
    this.#driver.checkWritable();
    // Issued now, before the source is read: an import of no rows settles
    // with the writes issued before this call.
    const issued = this.#driver.commit();
    issued.catch(() => {}); // reported below, if it is the import's outcome
    const { list, lines, units } = await readImport(source, this.#form);
    this.#driver.checkWritable();
    if (list.length === 0) {
      await issued;
      return 0;
    }
    // UTF-8 takes at least a byte per UTF-16 unit: past this, one record cannot hold it.
    if (units <= this.#options.maxRecordSize && this.#putBatch(list) === 0) {
      await this.#written({ type: 'setMany', keys: list }, true);
    } else {
      // Too big for one record: separate records, written as a snapshot.
      this.#cache.beforeWrite();
      const done = this.#driver.commitViaSnapshot(importOps(list, lines, this.#form, this.#core, this.#options.maxRecordSize));
      for (const [key, stored] of list) this.#cache.put(key, stored);
      if (this.#events.watched > 0) this.#events.emit('change', { type: 'setMany', keys: list.map(([k]) => k) }, done);
      await done;
    }
    return list.length;
  }

  // Commits the write just queued and tells the 'change' listeners, if any.
  // With `pairs`, event.keys holds [key, stored] pairs to be reduced to keys
  // (only when someone listens).
  #written(event, pairs = false) {
    const done = this.#driver.commit();
    if (this.#events.watched > 0) {
      if (pairs) event.keys = event.keys.map(([k]) => k);
      this.#events.emit('change', event, done);
    }
    return done;
  }

  /** Resolves once every earlier write is on stable storage. */
  async flush() {
    return this.#driver.flush();
  }

  /** Rewrites the log as a snapshot of the live entries. */
  async compact() {
    return this.#driver.compact();
  }

  /** Flushes, releases the store and frees the core. Idempotent. */
  async close() {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  // Reads go on after close, from the core, which is freed once the map
  // is garbage (closedCores).
  async #close() {
    const error = await this.#driver.close();
    this.#closedStats = this.#core.stats();
    closedCores.register(this, this.#core);
    await this.#driver.release();
    if (error) throw error;
  }

  // ---- events ----

  /**
   * Listens for 'change' ({type, key|keys}) and 'error' (a failed automatic
   * compaction, or a backend failure found after writes were acknowledged).
   */
  on(type, listener) {
    this.#events.on(type, listener);
    return this;
  }

  off(type, listener) {
    this.#events.off(type, listener);
    return this;
  }
}
