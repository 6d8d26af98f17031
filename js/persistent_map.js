// PersistentMap: a Map whose writes survive restarts. The WebAssembly core
// holds every entry (its index is rebuilt from the log on open); a
// JavaScript Map of encoded values in front of it caches what was read or
// written, so repeated reads cost a Map lookup plus the decode of a fresh
// copy. Writes update both at once, are encoded by the core into log
// records and handed to the backend in one piece per turn of the event loop
// (group commit). See README.md for the contract.

import { Core, RECOVERY_MODES, loadCore, recoveryModeList } from './core.js';
import { OpWriter } from './op_writer.js';
import { BYTES_TAG, checkCodec, jsonCodec } from './codec.js';
import { csvChunks, csvError, exportOptions, readCsvEntries, storedToText, textToStored } from './csv.js';
import { PersistentMapError, invalidRange, invalidType, statusError } from './errors.js';
import { MemoryBackend } from './backends/memory.js';
import { encoder } from './utf8.js';

const MiB = 1 << 20;
const DEFAULTS = Object.freeze({
  backend: 'auto',
  durability: 'relaxed',
  recovery: RECOVERY_MODES[0],
  maxRecordSize: 64 * MiB,
  compaction: Object.freeze({ auto: true, ratio: 2, minBytes: MiB }),
});
const OPTION_KEYS = new Set(['backend', 'durability', 'recovery', 'maxRecordSize', 'compaction', 'codec', 'wasm', 'wait', 'signal', 'freeze']);
const EMPTY = new Uint8Array(0);

// The message for a put whose record the core refused as too large.
function recordTooLarge(bytes, size, max) {
  return `key and value take ${bytes} bytes, more than maxRecordSize (${max}) allows: their record would take ${size} bytes`;
}

const backendFactories = new Map([['memory', (name) => new MemoryBackend(name)]]);
let autoBackend = null;

/**
 * Makes `kind` usable as { backend: kind }: factory(name, { wait, signal, wasm }) returns a
 * backend. `auto` marks the default; a function picks among several.
 */
export function registerBackend(kind, factory, { auto = false } = {}) {
  backendFactories.set(kind, factory);
  if (auto) autoBackend = kind;
}

/** Sets how 'auto' chooses: a kind, or a function returning (a promise of) one. */
export function setAutoBackend(choose) {
  autoBackend = choose;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function wellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !LONE_SURROGATE.test(s);
}

function checkKey(key) {
  if (typeof key !== 'string') {
    throw invalidType(`keys must be strings, got ${key === null ? 'null' : typeof key}`);
  }
  if (!wellFormed(key)) {
    throw invalidType('key contains a lone UTF-16 surrogate, which UTF-8 cannot store; fix the string (String.prototype.toWellFormed)');
  }
}

function checkOptions(name, options) {
  if (typeof name !== 'string' || name === '') {
    throw invalidType('PersistentMap.open needs a store name or file path (a non-empty string)');
  }
  if (options === null || typeof options !== 'object') throw invalidType('options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw invalidType(`unknown option '${k}'; known options: ${[...OPTION_KEYS].join(', ')}`);
  }
  const o = { ...DEFAULTS, ...options, compaction: { ...DEFAULTS.compaction, ...(options.compaction ?? {}) } };
  if (o.durability !== 'relaxed' && o.durability !== 'strict') {
    throw invalidType(`durability must be 'relaxed' or 'strict', got ${JSON.stringify(o.durability)}`);
  }
  if (!RECOVERY_MODES.includes(o.recovery)) {
    throw invalidType(`recovery must be ${recoveryModeList()}, got ${JSON.stringify(o.recovery)}`);
  }
  if (!Number.isInteger(o.maxRecordSize) || o.maxRecordSize < 64 || o.maxRecordSize > 1024 * MiB) {
    throw invalidRange('maxRecordSize must be an integer from 64 bytes to 1 GiB');
  }
  const c = o.compaction;
  if (o.wait !== undefined && typeof o.wait !== 'boolean') throw invalidType('wait must be true or false');
  if (o.signal !== undefined && !(typeof o.signal?.aborted === 'boolean' && typeof o.signal.addEventListener === 'function')) {
    throw invalidType('signal must be an AbortSignal');
  }
  if (typeof c.auto !== 'boolean' || !(c.ratio >= 1) || !(Number.isFinite(c.minBytes) && c.minBytes >= 0)) {
    throw invalidType('compaction must be { auto: boolean, ratio: number >= 1, minBytes: number >= 0 }');
  }
  o.codec = checkCodec(o.codec);
  if (o.freeze !== undefined && typeof o.freeze !== 'boolean') throw invalidType('freeze must be true or false');
  if (o.freeze === true && o.codec !== jsonCodec) {
    throw invalidType('freeze works with the default codec only (a custom codec may decode to objects that freezing would break)');
  }
  return o;
}

// Freezes a value JSON.parse made (plain objects, arrays, primitives) and
// everything in it.
function deepFreeze(value) {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    for (const k in value) deepFreeze(value[k]);
  }
  return Object.freeze(value);
}

async function makeBackend(name, backend, options) {
  if (backend && typeof backend === 'object') {
    for (const m of ['open', 'read', 'append', 'truncate', 'sync', 'replace', 'close']) {
      if (typeof backend[m] !== 'function') throw invalidType(`custom backend lacks a ${m}() method (see docs/BACKENDS.md)`);
    }
    options.backendKind = 'custom';
    return backend;
  }
  const kind = backend === 'auto' ? (typeof autoBackend === 'function' ? await autoBackend() : autoBackend) : backend;
  if (kind === null) {
    throw new PersistentMapError('INVALID', "no persistent backend is available in this environment yet; pass { backend: 'memory' } for a store that lives only in this page");
  }
  const factory = backendFactories.get(kind);
  if (!factory) {
    throw invalidType(`unknown backend ${JSON.stringify(backend)}; use ${[...backendFactories.keys(), 'auto'].map((k) => `'${k}'`).join(', ')} or a backend object`);
  }
  options.backendKind = kind;
  return factory(name, { wait: options.wait === true, signal: options.signal, wasm: options.wasm });
}

const CONSTRUCT = Symbol('construct');

export class PersistentMap {
  #name;
  #options;
  #codec;
  #core;
  #backend;
  #asText; // the default codec: values are JSON text or tagged bytes
  // key -> string (JSON text) | Uint8Array. Holds every entry when
  // #complete, else those read or written since the core was loaded; an
  // entry it holds is always current.
  #entries = new Map();
  #complete = true;
  #frozen = null; // with { freeze: true }: key -> deep-frozen value, as read
  #watched = 0; // 'change' listeners
  #ops = new OpWriter(); // writes not yet applied to the core
  #seq = 0; // writes issued
  #appliedSeq = 0; // writes applied to the core
  // { seq, promise, resolve, reject }, in seq order: one per group of writes
  // applied to the core together, which share one promise.
  #waiters = [];
  #syncWaiters = [];
  #compactWaiters = [];
  #scheduled = false;
  #snapshotCommit = false; // the next commit replaces the log (a big import)
  #untaken = false; // the core holds log bytes of writes applied for a read
  #draining = null;
  #logBytes = 0; // bytes the backend's log holds
  #noAutoCompactBelow = 0;
  #state = 'open';
  #failure = null;
  #listeners = new Map();
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
    const backend = await makeBackend(name, o.backend, o);
    const bytes = await backend.open();
    let core;
    try {
      core = new Core(module, o);
      const report = core.recover(bytes);
      if (!report.ok) throw new PersistentMapError('CORRUPT', `${name}: ${report.message}`);
      const map = new PersistentMap(CONSTRUCT, name, o, core, backend, report);
      await map.#finishOpen(bytes.length, report);
      return map;
    } catch (err) {
      if (core) core.delete();
      await backend.close().catch(() => {});
      throw err;
    }
  }

  constructor(token, name, options, core, backend, report) {
    if (token !== CONSTRUCT) throw new TypeError('use PersistentMap.open(name, options)');
    this.#name = name;
    this.#options = options;
    this.#codec = options.codec;
    this.#asText = options.codec === jsonCodec;
    if (options.freeze === true) this.#frozen = new Map();
    this.#core = core;
    this.#backend = backend;
    this.recovery = Object.freeze({
      generation: report.generation,
      records: report.records,
      damaged: Object.freeze(report.damaged.map((d) => Object.freeze({ ...d }))),
    });
    this.#forgetEntries();
    // Backends that acknowledge a relaxed write before storing it (opfs,
    // indexeddb) report a failure found later here: it can no longer reject
    // that write, so the store stops taking writes and says so at once.
    if ('onfailure' in backend) backend.onfailure = (err) => this.#lateFailure(err);
  }

  async #finishOpen(fileBytes, report) {
    this.#logBytes = report.validBytes;
    if (report.validBytes < fileBytes) {
      await this.#backend.truncate(report.validBytes); // drop the torn tail
    }
    const header = this.#commitOps('copy');
    if (header.length > 0) {
      // A new log: its header, durable at once.
      await this.#backend.append(header, { sync: true });
      this.#logBytes += header.length;
    }
    if (report.needsRewrite) await this.compact();
  }

  // The core was (re)built from the log: the cache starts empty and reads
  // ask the core. (Loading every entry into a JS Map here would build the
  // state twice and make an open several times slower.)
  #forgetEntries() {
    this.#entries.clear();
    this.#complete = this.#core.size() === 0;
    this.#frozen?.clear();
  }

  // Loads every entry into #entries in the store's order, so that it can
  // answer alone: for iteration (which follows its order) and after close.
  #loadAll() {
    if (this.#complete) return;
    this.#applyOps();
    const entries = new Map();
    this.#core.forEachEntry(this.#asText, (key, kind, value) => entries.set(key, value));
    this.#entries = entries;
    this.#complete = true;
  }

  // The stored form of `key`, or undefined.
  #stored(key) {
    const hit = this.#entries.get(key);
    if (hit !== undefined || this.#complete) return hit;
    if (typeof key !== 'string' || !wellFormed(key)) return undefined; // never stored
    this.#applyOps();
    const stored = this.#core.get(key, this.#asText);
    if (stored !== undefined) this.#entries.set(key, stored);
    return stored;
  }

  // The value to hand out for a stored form: a fresh copy, or with
  // { freeze: true } a shared deep-frozen one (bytes are copied anyway).
  #value(key, stored) {
    if (this.#frozen === null || typeof stored !== 'string') return this.#decode(stored);
    let value = this.#frozen.get(key);
    if (value === undefined) {
      value = deepFreeze(JSON.parse(stored));
      this.#frozen.set(key, value);
    }
    return value;
  }

  // ---- reads (sync, from memory) ----

  /** The value of `key` (a fresh copy, or a shared frozen one with { freeze: true }), or undefined. */
  get(key) {
    if (this.#frozen !== null) {
      const value = this.#frozen.get(key);
      if (value !== undefined) return value;
    }
    const stored = this.#stored(key);
    return stored === undefined ? undefined : this.#value(key, stored);
  }

  has(key) {
    if (this.#entries.has(key)) return true;
    if (this.#complete || typeof key !== 'string' || !wellFormed(key)) return false;
    this.#applyOps();
    return this.#core.has(key);
  }

  get size() {
    if (this.#complete) return this.#entries.size;
    this.#applyOps();
    return this.#core.size();
  }

  /** The i-th [key, value] in insertion order (negative i counts from the end). */
  at(index) {
    if (!Number.isInteger(index)) throw invalidType(`at() needs an integer index, got ${index}`);
    const n = this.size;
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n) return undefined;
    if (this.#state === 'closed') {
      // The core is freed; reads go on from memory, in O(n).
      let j = 0;
      for (const key of this.#entries.keys()) if (j++ === i) return [key, this.get(key)];
    }
    this.#applyOps();
    // Key and value from the core together: a key that is not valid UTF-8
    // (written by another program) has no JS string that finds it again.
    const [key, stored] = this.#core.entryAt(i, this.#asText);
    return [key, this.#value(key, stored)];
  }

  // Iteration follows the JS Map, live as a Map's is; the first one after
  // an open loads every entry into it.
  *keys() {
    this.#loadAll();
    yield* this.#entries.keys();
  }

  *values() {
    this.#loadAll();
    for (const [key, stored] of this.#entries) yield this.#value(key, stored);
  }

  *entries() {
    this.#loadAll();
    for (const [key, stored] of this.#entries) yield [key, this.#value(key, stored)];
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  forEach(callback, thisArg) {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  stats() {
    if (this.#state === 'open') this.#applyOps();
    const s = this.#state === 'closed' ? this.#closedStats : this.#core.stats();
    return {
      size: this.size,
      liveRecords: s.liveRecords,
      totalRecords: s.totalRecords,
      logBytes: s.logBytes,
      pendingBytes: s.pendingBytes,
      deadRatio: s.deadRatio,
      generation: s.generation,
      backend: this.#options.backendKind,
      durability: this.#options.durability,
      state: this.#state,
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
      this.#checkWritable();
      checkKey(key);
      const stored = this.#encode(value);
      const mark = this.#ops.mark();
      const bytes = this.#ops.put(key, stored, this.#bytesPrefix(stored));
      const size = this.#core.oversize(this.#ops, mark);
      if (size > 0) {
        this.#ops.rewind(mark);
        throw invalidRange(recordTooLarge(bytes, size, this.#options.maxRecordSize));
      }
      this.#entries.set(key, stored);
      if (this.#frozen !== null) this.#frozen.delete(key);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#watched > 0) this.#emit('change', { type: 'set', key });
    return this.#commit();
  }

  /** Deletes `key`; resolves to whether it was there. */
  async delete(key) {
    this.#checkWritable();
    checkKey(key);
    if (!this.has(key)) return false;
    this.#ops.delete(key);
    this.#entries.delete(key);
    this.#frozen?.delete(key);
    if (this.#watched > 0) this.#emit('change', { type: 'delete', key });
    await this.#commit();
    return true;
  }

  async clear() {
    this.#checkWritable();
    this.#ops.clear();
    this.#entries.clear();
    this.#complete = true;
    this.#frozen?.clear();
    if (this.#watched > 0) this.#emit('change', { type: 'clear' });
    return this.#commit();
  }

  /** Sets `key` to fn(current value); resolves to the new value. fn gets a fresh copy, also with { freeze: true }. */
  async update(key, fn) {
    this.#checkWritable();
    checkKey(key);
    if (typeof fn !== 'function') throw invalidType('update(key, fn) needs a function');
    const current = this.#stored(key);
    const next = fn(current === undefined ? undefined : this.#decode(current));
    if (next && typeof next.then === 'function') {
      throw invalidType('the update function must return the new value, not a Promise');
    }
    await this.set(key, next);
    return next;
  }

  /** Sets many entries as one atomic record. */
  async setMany(entries) {
    this.#checkWritable();
    const list = [];
    for (const pair of entries instanceof Map ? entries : Array.from(entries ?? [])) {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidType('setMany takes [key, value] pairs (or a Map)');
      checkKey(pair[0]);
      list.push([pair[0], this.#encode(pair[1])]);
    }
    if (list.length === 0) return undefined;
    const size = this.#putBatch(list);
    if (size > 0) {
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#options.maxRecordSize}); split it`);
    }
    if (this.#watched > 0) this.#emit('change', { type: 'setMany', keys: list.map(([k]) => k) });
    return this.#commit();
  }

  // Queues [key, stored] pairs as one BATCH record and puts them in memory;
  // returns 0, or (and nothing changed) the size of the record if it would
  // exceed maxRecordSize.
  #putBatch(list) {
    const mark = this.#ops.mark();
    this.#ops.batch(list.length);
    for (const [key, stored] of list) this.#ops.put(key, stored, this.#bytesPrefix(stored));
    const size = this.#core.oversize(this.#ops, mark);
    if (size > 0) {
      this.#ops.rewind(mark);
      return size;
    }
    for (const [key, stored] of list) {
      this.#entries.set(key, stored);
      this.#frozen?.delete(key);
    }
    return 0;
  }

  /** Deletes many keys as one atomic record; resolves to how many were there. */
  async deleteMany(keys) {
    this.#checkWritable();
    const present = [];
    const seen = new Set();
    for (const key of Array.from(keys ?? [])) {
      checkKey(key);
      if (!seen.has(key) && this.has(key)) {
        seen.add(key);
        present.push(key);
      }
    }
    if (present.length === 0) return 0;
    const mark = this.#ops.mark();
    this.#ops.batch(present.length);
    for (const key of present) this.#ops.delete(key);
    const size = this.#core.oversize(this.#ops, mark);
    if (size > 0) {
      this.#ops.rewind(mark);
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#options.maxRecordSize}); split it`);
    }
    for (const key of present) {
      this.#entries.delete(key);
      this.#frozen?.delete(key);
    }
    if (this.#watched > 0) this.#emit('change', { type: 'deleteMany', keys: present });
    await this.#commit();
    return present.length;
  }

  /**
   * The entries as CSV (RFC 4180: header `key,value`, keys as text, values as
   * JSON text, insertion order), as an async iterable of text chunks. It
   * exports the map as it is at this call; later writes do not show.
   */
  exportCSV(options = {}) {
    const opts = exportOptions(options);
    this.#loadAll();
    const keys = Array.from(this.#entries.keys());
    const values = Array.from(this.#entries.values());
    const json = this.#asText;
    return csvChunks(keys, values, (stored) => storedToText(stored, json), opts);
  }

  /**
   * Puts every record of a CSV `source` (as exportCSV writes it) into the
   * map, atomically: a bad row (the error names its line and column) or a
   * failed write changes nothing. Resolves to the number of rows imported.
   */
  async importCSV(source) {
    this.#checkWritable();
    const json = this.#asText;
    const list = [];
    const lines = [];
    let units = 0;
    await readCsvEntries(source, (key, text, starts) => {
      const at = (field, err) => csvError(starts[field][0], starts[field][1], err.message);
      try {
        checkKey(key);
      } catch (err) {
        throw at(0, err);
      }
      let stored;
      try {
        stored = textToStored(text, json, (value) => this.#encode(value));
      } catch (err) {
        throw at(1, err);
      }
      list.push([key, stored]);
      lines.push(starts[0][0]);
      units += key.length + (typeof stored === 'string' ? stored.length : stored.byteLength);
    });
    this.#checkWritable();
    if (list.length === 0) return 0;
    // UTF-8 takes at least a byte per UTF-16 unit: past this, one record cannot hold it.
    if (units <= this.#options.maxRecordSize && this.#putBatch(list) === 0) {
      if (this.#watched > 0) this.#emit('change', { type: 'setMany', keys: list.map(([k]) => k) });
      await this.#commit();
    } else {
      await this.#putViaSnapshot(list, lines);
    }
    return list.length;
  }

  // An import too big for one record: it goes to the core as separate
  // records, and the next commit replaces the log with a snapshot instead of
  // appending them, which is atomic on every backend (docs/BACKENDS.md).
  #putViaSnapshot(list, lines) {
    const ops = new OpWriter();
    for (let i = 0; i < list.length; i++) {
      const [key, stored] = list[i];
      const mark = ops.mark();
      const bytes = ops.put(key, stored, this.#bytesPrefix(stored));
      const size = this.#core.oversize(ops, mark);
      if (size > 0) throw csvError(lines[i], 0, recordTooLarge(bytes, size, this.#options.maxRecordSize));
    }
    this.#applyOps(); // earlier writes first
    const refused = this.#core.commit(ops.take(), 'keep');
    if (refused !== null) throw statusError(refused, `internal error applying an import to ${this.#name}`);
    for (const [key, stored] of list) {
      this.#entries.set(key, stored);
      this.#frozen?.delete(key);
    }
    this.#snapshotCommit = true;
    if (this.#watched > 0) this.#emit('change', { type: 'setMany', keys: list.map(([k]) => k) });
    const done = this.#commit();
    this.#appliedSeq = this.#seq;
    return done;
  }

  /** Resolves once every earlier write is on stable storage. */
  async flush() {
    this.#checkWritable();
    return new Promise((resolve, reject) => {
      this.#syncWaiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Rewrites the log as a snapshot of the live entries. */
  async compact() {
    this.#checkWritable();
    return new Promise((resolve, reject) => {
      this.#compactWaiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Flushes, releases the store and frees the core. Idempotent. */
  async close() {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close() {
    let error = null;
    if (this.#state === 'open') {
      try {
        await this.flush();
      } catch (err) {
        error = err;
      }
    }
    while (this.#draining) await this.#draining;
    try {
      this.#loadAll(); // reads go on after close, without the core
    } catch (err) {
      error ??= err;
    }
    this.#closedStats = this.#core.stats();
    this.#state = 'closed';
    try {
      await this.#backend.close();
    } finally {
      this.#core.delete();
    }
    if (error) throw error;
  }

  // ---- events ----

  /**
   * Listens for 'change' ({type, key|keys}) and 'error' (a failed automatic
   * compaction, or a backend failure found after writes were acknowledged).
   */
  on(type, listener) {
    if (typeof listener !== 'function') throw invalidType('listener must be a function');
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    this.#watched = this.#listeners.get('change')?.size ?? 0;
    return this;
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
    this.#watched = this.#listeners.get('change')?.size ?? 0;
    return this;
  }

  #emit(type, event) {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  // ---- internals ----

  #encode(value) {
    const encoded = this.#codec.encode(value);
    // new Uint8Array(x) copies; a Buffer's slice() would only be a view.
    if (this.#asText) return typeof encoded === 'string' ? encoded : new Uint8Array(encoded);
    if (typeof encoded === 'string') {
      if (!wellFormed(encoded)) throw invalidType('codec.encode returned a string with a lone surrogate');
      return encoder.encode(encoded);
    }
    if (!(encoded instanceof Uint8Array)) throw invalidType('codec.encode must return a Uint8Array or a string');
    return new Uint8Array(encoded);
  }

  #bytesPrefix(stored) {
    return this.#asText && typeof stored !== 'string' ? BYTES_TAG : -1;
  }

  #decode(stored) {
    if (this.#asText) return typeof stored === 'string' ? JSON.parse(stored) : stored.slice();
    return this.#codec.decode(stored.slice());
  }

  #checkWritable() {
    if (this.#state === 'closed') {
      throw new PersistentMapError('CLOSED', `store ${this.#name} is closed`);
    }
    if (this.#state === 'failed') {
      throw new PersistentMapError('CLOSED', `store ${this.#name} refuses writes after an earlier failure (${this.#failure.message}); reopen it`, { cause: this.#failure });
    }
  }

  #commit() {
    const seq = ++this.#seq;
    const waiters = this.#waiters;
    let waiter = waiters.length > 0 ? waiters[waiters.length - 1] : null;
    if (waiter !== null && waiter.seq > this.#appliedSeq) {
      // Its group is not applied yet: this write joins it. Writes of one
      // group always succeed or fail together (one backend write, one
      // roll-back), so they can share a promise.
      waiter.seq = seq;
    } else {
      waiter = { seq, promise: null, resolve: null, reject: null };
      waiter.promise = new Promise((resolve, reject) => {
        waiter.resolve = resolve;
        waiter.reject = reject;
      });
      waiters.push(waiter);
    }
    this.#schedule();
    return waiter.promise;
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#startDrain);
  }

  // A field, so that scheduling allocates no closure.
  #startDrain = () => {
    this.#scheduled = false;
    if (!this.#draining) this.#draining = this.#drainLoop();
  };

  async #drainLoop() {
    try {
      await this.#drain();
    } catch (err) {
      this.#fail(err); // a bug, not an I/O error: stop writing
    } finally {
      this.#draining = null;
      // Work that arrived while the loop was deciding to stop.
      if (this.#state === 'open' && this.#hasWork()) this.#schedule();
    }
  }

  #hasWork() {
    return !this.#ops.empty || this.#waiters.length > 0 || this.#syncWaiters.length > 0 ||
      this.#compactWaiters.length > 0;
  }

  // Applies the queued writes to the core for a read; their log bytes stay
  // in the core until the next commit.
  #applyOps() {
    if (!this.#ops.empty) this.#commitOps('keep');
  }

  // Hands the queued writes to the core and takes its log bytes as
  // Core.commit's `take` says (one call into WebAssembly); returns the
  // bytes copied out.
  #commitOps(take) {
    const refused = this.#core.commit(this.#ops.take(), take);
    if (refused !== null) throw statusError(refused, `internal error applying writes to ${this.#name}`);
    this.#appliedSeq = this.#seq;
    this.#untaken = take === 'keep';
    return this.#core.pending;
  }

  #settle(upto, error) {
    let n = 0;
    while (n < this.#waiters.length && this.#waiters[n].seq <= upto) n++;
    for (const w of this.#waiters.splice(0, n)) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  async #drain() {
    const strict = this.#options.durability === 'strict';
    while (this.#state === 'open') {
      if (this.#snapshotCommit) {
        await this.#commitSnapshot();
        continue;
      }
      const bytes = !this.#ops.empty || this.#untaken ? this.#commitOps('copy') : EMPTY;
      if (bytes.length > 0) {
        const upto = this.#appliedSeq;
        try {
          await this.#backend.append(bytes, { sync: strict });
        } catch (err) {
          await this.#rollBack(err);
          continue;
        }
        this.#logBytes += bytes.length;
        this.#settle(upto, null);
        continue;
      }
      this.#settle(this.#appliedSeq, null); // writes that changed nothing
      // A table backend holds only live rows: nothing to compact automatically.
      const auto = this.#options.compaction.auto && this.#backend.kind !== 'table' &&
        this.#logBytes >= this.#noAutoCompactBelow && this.#core.compactDue;
      if (this.#compactWaiters.length > 0 || auto) {
        await this.#compactNow();
        continue;
      }
      if (this.#syncWaiters.length > 0) {
        const waiters = this.#syncWaiters.splice(0);
        try {
          await this.#backend.sync();
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err);
          this.#fail(err);
        }
        continue;
      }
      return;
    }
    // Failed or closed: nothing more will be written.
    this.#rejectAll(this.#failure ?? new PersistentMapError('CLOSED', `store ${this.#name} is closed`));
  }

  // Writes everything applied so far as one snapshot that replaces the log.
  async #commitSnapshot() {
    this.#snapshotCommit = false;
    this.#commitOps('drop'); // these records reach the log inside the snapshot
    const upto = this.#appliedSeq;
    try {
      await this.#replaceLog();
    } catch (err) {
      await this.#rollBack(err);
      return;
    }
    this.#settle(upto, null);
  }

  // Replaces the log with a snapshot of the core's entries.
  async #replaceLog() {
    const snapshot = this.#core.encodeSnapshot();
    await this.#backend.replace(snapshot);
    this.#core.snapshotInstalled();
    this.#logBytes = snapshot.length;
  }

  async #compactNow() {
    const waiters = this.#compactWaiters.splice(0);
    try {
      await this.#replaceLog();
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
      if (err.fatal) {
        this.#fail(err);
      } else {
        // Leave the old log in place and do not retry at once.
        this.#noAutoCompactBelow = this.#logBytes + this.#options.compaction.minBytes;
        if (waiters.length === 0) this.#emit('error', err);
      }
    }
  }

  // A write failed: cut the log back to what it held before and rebuild the
  // map from it, so memory never claims what the log does not hold. Every
  // write not yet on the log is rejected.
  async #rollBack(cause) {
    if (cause?.fatal) {
      this.#fail(cause instanceof PersistentMapError ? cause
        : new PersistentMapError('IO', String(cause?.message ?? cause), { cause }));
      return;
    }
    const error = new PersistentMapError(cause?.code ?? 'IO',
      `${cause?.message ?? cause}; the write was rolled back`, { cause });
    try {
      await this.#backend.truncate(this.#logBytes);
      const bytes = await this.#backend.read();
      const report = this.#core.recover(bytes);
      if (!report.ok) throw statusError(report);
      // A table backend's read() is a snapshot of its rows, shorter than
      // the log it stands for (docs/BACKENDS.md).
      const table = this.#backend.kind === 'table';
      if (report.validBytes !== bytes.length || (!table && bytes.length !== this.#logBytes)) {
        throw new PersistentMapError('CORRUPT', 'the log does not end where the last good write did');
      }
      this.#logBytes = bytes.length;
      this.#ops.take();
      this.#appliedSeq = this.#seq;
      this.#untaken = true; // a log without a header gets one
      this.#forgetEntries();
      this.#settle(Infinity, error);
      this.#emit('change', { type: 'reload' });
    } catch (err) {
      this.#fail(new PersistentMapError(error.code, `${error.message}, and restoring the store failed too (${err.message})`, { cause: err }));
    }
  }

  #lateFailure(error) {
    if (this.#state !== 'open') return;
    this.#fail(error);
    this.#emit('error', error);
  }

  #fail(error) {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#failure = error;
    this.#rejectAll(error);
  }

  // Rejects every write, flush and compaction still waiting.
  #rejectAll(error) {
    this.#settle(Infinity, error);
    for (const w of this.#syncWaiters.splice(0)) w.reject(error);
    for (const w of this.#compactWaiters.splice(0)) w.reject(error);
  }
}
