// PersistentMap: a Map whose writes survive restarts. The WebAssembly core
// holds every entry (its index is rebuilt from the log on open); a read
// cache in front of it (map/read_cache.js) keeps what was read or written,
// so repeated reads cost a Map lookup plus the decode of a fresh copy.
// Writes (map/writes.js) update both at once; the log driver
// (map/log_driver.js) has the core encode them into log records and hands
// those to the backend in one piece per turn of the event loop (group
// commit). A store opened by several processes is shared (js/share/): one
// leads and owns the log, the others follow it. This file is the Map-shaped
// facade, its roles and its events. See README.md for the contract.

import { jsonCodec } from './codec.js';
import { Core, loadCore } from './core.js';
import { invalidRange, invalidType, statusError } from './errors.js';
import { exportEntries } from './map/csv_io.js';
import { Events } from './map/events.js';
import { LogDriver } from './map/log_driver.js';
import { checkOptions } from './map/options.js';
import { ReadCache } from './map/read_cache.js';
import { capabilitiesOf, isSequencer, makeBackend, transportOf } from './map/registry.js';
import { StoredForm } from './map/stored_form.js';
import { Writes } from './map/writes.js';
import { checkRows } from './map/table_rows.js';
import { Overlay } from './share/overlay.js';
import { Sharing } from './share/sharing.js';

export { registerBackend, setAutoBackend } from './map/registry.js';

const CONSTRUCT = Symbol('construct');

// The cores of closed maps, freed when their map is garbage collected.
const closedCores = new FinalizationRegistry((core) => core.delete());


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
  #sharing; // null: the store is not shared (exclusive, or a backend that cannot be)
  #overlay; // a follower's own writes not yet in the log
  #writes;

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
    if (isSequencer(backend)) return PersistentMap.#follow(name, kind, module, backend, o);
    // `wait` is for exclusive access: a shared open never waits, it joins.
    const transport = o.exclusive || o.wait ? null : transportOf(kind, name);
    let bytes;
    try {
      bytes = await backend.open();
    } catch (err) {
      if (transport === null || err.code !== 'LOCKED') throw err;
      // Another process leads the store: join it (or lead, if it is gone).
      return Sharing.join(name, o, transport, {
        follower: (core, sharing) => new PersistentMap(CONSTRUCT, name, o, kind, core, null, null, sharing),
        leader: (lead) => PersistentMap.#lead(name, o, kind, module, lead, transport),
        core: () => new Core(module, o),
      });
    }
    return PersistentMap.#lead(name, o, kind, module, { backend, bytes }, transport);
  }

  // Opens a store whose backend orders the writes itself (a NATS stream):
  // this map follows it, as every other client does.
  static #follow(name, kind, module, sequencer, o) {
    return sequencer.join(name, o, {
      core: (options) => new Core(module, options),
      map: (options, core, sharing) => new PersistentMap(CONSTRUCT, name, options, kind, core, null, null, sharing),
    });
  }

  // Opens the store as its writer: from the bytes of its log (`lead`).
  static async #lead(name, o, kind, module, { backend, bytes }, transport) {
    let core;
    try {
      core = new Core(module, o);
      const report = PersistentMap.#recover(name, o, core, backend, bytes);
      const sharing = transport === null ? null : new Sharing(name, o, transport);
      const map = new PersistentMap(CONSTRUCT, name, o, kind, core, backend, report, sharing);
      await map.#driver.open(bytes.length, report);
      await sharing?.listen();
      return map;
    } catch (err) {
      if (core) core.delete();
      await backend.close().catch(() => {});
      throw err;
    }
  }

  static #recover(name, o, core, backend, bytes) {
    const report = core.recover(bytes);
    if (!report.ok) {
      // INVALID: the log holds an intact record over maxRecordSize; the
      // store is sound, the option is too small for it (docs/FORMAT.md).
      throw report.code === 'INVALID' ? invalidRange(`${name}: ${report.message}`) : statusError(report, name);
    }
    if (!capabilitiesOf(backend).readIsLog && o.codec === jsonCodec) checkRows(name, core, report);
    return report;
  }

  constructor(token, name, options, backendKind, core, backend, report, sharing) {
    if (token !== CONSTRUCT) throw new TypeError('use PersistentMap.open(name, options)');
    this.#name = name;
    this.#options = options;
    this.#backendKind = backendKind;
    this.#form = new StoredForm(name, options.codec);
    this.#core = core;
    this.#sharing = sharing;
    this.#cache = new ReadCache(this.#form, options.freeze === true, () => this.#driver.core());
    this.#overlay = new Overlay(this.#cache);
    const map = this;
    this.#writes = new Writes({
      get driver() {
        return map.#driver;
      },
      get reads() {
        return map.#reads;
      },
      core,
      form: this.#form,
      options,
      cache: this.#cache,
      overlay: this.#overlay,
      sharing,
      events: this.#events,
    });
    if (backend !== null) {
      this.#driver = this.#logDriver(backend);
      sharing?.lead(this.#driver, core, this.#remote);
    } else {
      this.#driver = sharing.follow(core, this.#overlay, {
        remote: this.#remote,
        reloaded: () => this.#reloaded(),
        settled: (keys) => this.#settled(keys),
        promote: (lead, handOver) => this.#promote(lead, handOver),
        error: (err) => this.#events.emit('error', err),
      });
    }
    // A follower recovers nothing itself: the leader did.
    this.recovery = Object.freeze({
      generation: report?.generation ?? 0,
      records: report?.records ?? 0,
      damaged: Object.freeze((report?.damaged ?? []).map((d) => Object.freeze({ ...d }))),
    });
    this.#cache.forget();
  }

  #logDriver(backend) {
    const leader = () => this.#sharing?.leader ?? null;
    return new LogDriver(this.#name, this.#core, backend, this.#options, {
      reloaded: () => {
        leader()?.resync();
        this.#reloaded();
      },
      error: (err) => {
        // Deposed (web_lock.js): another map leads now; its followers go to it.
        if (err.code === 'LOCKED' && leader() !== null) {
          this.#sharing.stop();
          this.#sharing.close();
        }
        this.#events.emit('error', err);
      },
      taken: (some) => leader()?.taken(some),
      appended: (bytes) => leader()?.appended(bytes),
      resync: () => leader()?.resync(),
    });
  }

  #reloaded() {
    this.#cache.forget();
    this.#events.changed();
    this.#events.emit('change', { type: 'reload', origin: 'local' });
  }

  // Another process's writes change the core (apply() applies them and
  // returns their events): reads are refreshed around it, and the events
  // this map's reads can see are reported.
  #remote = (apply) => {
    this.#cache.beforeWrite();
    const events = apply();
    for (const e of events) {
      if (e.type === 'clear') this.#cache.forget();
      else for (const key of e.keys ?? [e.key]) this.#cache.forgetKey(key);
    }
    // A follower's own write, or one its pending writes hide, changes nothing
    // it reads (a hidden one is reported when the pending write leaves).
    const seen = [];
    for (const e of events) {
      if (e.mine) continue;
      if (e.key !== undefined && this.#overlay.decides(e.key)) this.#overlay.shadow(e.key);
      else seen.push(e);
    }
    if (seen.length === 0) return;
    this.#events.changed();
    if (this.#events.watched === 0) return;
    for (const { mine, ...e } of seen) {
      e.origin = 'remote';
      this.#events.emit('change', e);
    }
  };

  // A follower's pending write left its overlay and `keys` read differently
  // now: the log put another client's write after it, or it was refused.
  #settled(keys) {
    this.#events.changed();
    if (this.#events.watched === 0) return;
    for (const key of keys) this.#events.emit('change', { type: this.#reads.has(key) ? 'set' : 'delete', key, origin: 'remote' });
  }

  // The leader this follower followed is gone and this map took the lock:
  // it leads from the log, after logging the writes it had sent.
  async #promote(lead, handOver) {
    let driver;
    try {
      const report = PersistentMap.#recover(this.#name, this.#options, this.#core, lead.backend, lead.bytes);
      driver = this.#logDriver(lead.backend);
      await driver.open(lead.bytes.length, report);
    } catch (err) {
      await lead.backend.close().catch(() => {});
      throw err; // the follower fails, with its writes
    }
    this.#driver = driver;
    this.#sharing.lead(driver, this.#core, this.#remote);
    Sharing.replay(driver, this.#core, handOver());
    this.#overlay.reset();
    this.#reloaded();
    await this.#sharing.listen().catch((err) => this.#events.emit('error', err));
  }

  // Reads see this follower's own pending writes over the core.
  get #reads() {
    return this.#overlay.active ? this.#overlay : this.#cache;
  }

  // ---- reads (sync, from memory) ----

  /** The value of `key` (a fresh copy, or a shared frozen one with { freeze: true }), or undefined. */
  get(key) {
    return this.#reads.get(key);
  }

  has(key) {
    return this.#reads.has(key);
  }

  get size() {
    return this.#reads.size;
  }

  /** The i-th [key, value] in insertion order (negative i counts from the end). */
  at(index) {
    if (!Number.isInteger(index)) throw invalidType(`at() needs an integer index, got ${index}`);
    return this.#reads.at(index);
  }

  // Iteration is live, as a Map's is; the first one after an open loads
  // every entry into the read cache.
  *keys() {
    for (const [key] of this.#reads.storedEntries()) yield key;
  }

  *values() {
    for (const [key, stored] of this.#reads.storedEntries()) yield this.#cache.value(key, stored);
  }

  *entries() {
    for (const [key, stored] of this.#reads.storedEntries()) yield [key, this.#cache.value(key, stored)];
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
      role: this.#sharing?.role ?? 'exclusive',
      clients: this.#sharing?.clients ?? null,
    };
  }

  /**
   * Resolves once this map reflects every write sequenced before the call,
   * by any process sharing the store.
   */
  async refresh() {
    await this.#sharing?.follower?.refresh();
  }

  // ---- writes (map/writes.js) ----

  /**
   * Sets `key`; resolves once the write is handed over (relaxed) or on
   * stable storage (strict). Not an async function: a set costs one promise
   * per group of writes, not two per write.
   */
  set(key, value) {
    return this.#writes.set(key, value);
  }

  /** Deletes `key`; resolves to whether it was there. */
  delete(key) {
    return this.#writes.delete(key);
  }

  clear() {
    return this.#writes.clear();
  }

  /** Sets `key` to fn(current value), atomically; resolves to the new value. */
  update(key, fn) {
    return this.#writes.update(key, fn);
  }

  /** Sets many entries as one atomic record. */
  setMany(entries) {
    return this.#writes.setMany(entries);
  }

  /** Deletes many keys as one atomic record; resolves to how many were there. */
  deleteMany(keys) {
    return this.#writes.deleteMany(keys);
  }

  /**
   * The entries as CSV (RFC 4180: header `key,value`, keys as text, values as
   * JSON text, insertion order), as an async iterable of text chunks. It
   * exports the map as it is at this call; later writes do not show.
   */
  exportCSV(options = {}) {
    return exportEntries(this.#reads.storedEntries(), this.#form, options);
  }

  /** Puts every record of a CSV `source` into the map, atomically; resolves to the number of rows. */
  importCSV(source) {
    return this.#writes.importCSV(source);
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
    let error = null;
    // A follower whose leader went away may become the leader while it
    // waits for its writes: then the new driver is closed too.
    for (let driver = null; driver !== this.#driver;) {
      driver = this.#driver;
      this.#sharing?.stop();
      error = (await driver.close()) ?? error;
    }
    this.#closedStats = this.#core.stats();
    closedCores.register(this, this.#core);
    this.#sharing?.close(); // followers see the leader go, and elect the next
    await this.#driver.release();
    if (error) throw error;
  }

  // ---- events ----

  /**
   * A number that changes exactly when what reads see changes (a write
   * through this map, another process's, a reload): React's getSnapshot.
   */
  get version() {
    return this.#events.version;
  }

  /**
   * Calls `listener(map)` at once and after every change (the Svelte store
   * contract; React's useSyncExternalStore ignores the argument); returns
   * the function that stops it.
   */
  subscribe(listener) {
    if (typeof listener !== 'function') throw invalidType('subscribe(listener) needs a function');
    const run = () => listener(this);
    listener(this);
    this.#events.on('subscribe', run);
    return () => this.#events.off('subscribe', run);
  }

  /**
   * Listens for 'change' ({type, key|keys, origin: 'local'|'remote'}) and
   * 'error' (a failed automatic compaction, a backend failure found after
   * writes were acknowledged, a shared store's follower that failed).
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
