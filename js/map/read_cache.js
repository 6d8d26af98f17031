// The read cache: a JavaScript Map of stored forms in front of the
// WebAssembly core, which holds every entry. It holds every entry once
// `complete` (for a store that started empty, or after a clear), else those
// read or written since the core was (re)built; an entry it holds is always
// current. Writes go through put/delete/clear so that the Map, its
// completeness, the frozen values and the iterations going on change
// together. Iteration reads the core in chunks through a cursor
// (src/ordered_index.h) and keeps nothing: the values are in memory once,
// in the core.

import { isTagged } from '../codec.js';
import { wellFormed } from './options.js';

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

// Bytes of keys and values an iteration reads from the core at a time.
const ITERATION_CHUNK = 256 << 10;

export class ReadCache {
  #form;
  #core; // () => the core, with every queued write applied
  #entries = new Map(); // key -> stored form
  #complete = true;
  #frozen; // with { freeze: true }: key -> deep-frozen value, as read
  // Iterations over the core going on: { cursor, read, stale, ended }.
  #iterations = new Set();

  /**
   * @param {import('./stored_form.js').StoredForm} form
   * @param {boolean} freeze
   * @param {() => import('../core.js').Core} core the core, up to date
   */
  constructor(form, freeze, core) {
    this.#form = form;
    this.#frozen = freeze ? new Map() : null;
    this.#core = core;
  }

  /**
   * The core was (re)built from the log: the cache starts empty and reads
   * ask the core. (Loading every entry into a JS Map here would build the
   * state twice and make an open several times slower.) Iterations going
   * on end, as a Map's do when it is cleared.
   */
  forget() {
    this.#entries.clear();
    this.#complete = this.#core().size() === 0;
    this.#frozen?.clear();
    for (const it of this.#iterations) it.ended = true;
  }

  /**
   * Another writer changed `key` in the core (a shared store's leader or
   * follower applied records it did not write itself).
   */
  forgetKey(key) {
    this.#entries.delete(key);
    this.#frozen?.delete(key);
    this.#complete = false;
  }

  /**
   * A write is about to reach the core (it is queued, not applied; put,
   * delete and clear call this themselves): each iteration's cursor moves
   * past the entries it has handed out, in the core as it was when their
   * chunk was read, and the rest of the chunk, which may be out of date, is
   * read again.
   */
  beforeWrite() {
    for (const it of this.#iterations) {
      if (it.stale || it.ended) continue;
      it.core.skipCursor(it.cursor, it.read);
      it.stale = true;
    }
  }

  // ---- writes (the core gets them through the log driver) ----

  put(key, stored) {
    this.beforeWrite();
    this.#entries.set(key, stored);
    this.#frozen?.delete(key);
  }

  delete(key) {
    this.beforeWrite();
    this.#entries.delete(key);
    this.#frozen?.delete(key);
  }

  clear() {
    this.beforeWrite();
    this.#entries.clear();
    this.#complete = true;
    this.#frozen?.clear();
  }

  // ---- reads ----

  /** The stored form of `key`, or undefined. */
  stored(key) {
    const hit = this.#entries.get(key);
    if (hit !== undefined || this.#complete) return hit;
    if (typeof key !== 'string' || !wellFormed(key)) return undefined; // never stored
    const stored = this.#core().get(key, this.#form.asText);
    if (stored !== undefined) this.#entries.set(key, stored);
    return stored;
  }

  /**
   * The value to hand out for a stored form: a fresh copy, or with
   * { freeze: true } a shared deep-frozen one (bytes and tagged values,
   * whose Maps, Sets, Dates and typed arrays cannot be frozen, are fresh
   * copies anyway).
   */
  value(key, stored) {
    if (this.#frozen === null || typeof stored !== 'string' || isTagged(stored)) return this.#form.decode(key, stored);
    let value = this.#frozen.get(key);
    if (value === undefined) {
      value = deepFreeze(this.#form.parse(key, stored));
      this.#frozen.set(key, value);
    }
    return value;
  }

  get(key) {
    if (this.#frozen !== null) {
      const value = this.#frozen.get(key);
      if (value !== undefined) return value;
    }
    const stored = this.stored(key);
    return stored === undefined ? undefined : this.value(key, stored);
  }

  has(key) {
    if (this.#entries.has(key)) return true;
    if (this.#complete || typeof key !== 'string' || !wellFormed(key)) return false;
    return this.#core().has(key);
  }

  get size() {
    return this.#complete ? this.#entries.size : this.#core().size();
  }

  /** The i-th [key, value] in insertion order (negative i counts from the end). */
  at(index) {
    const n = this.size; // the map checked that index is an integer
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n) return undefined;
    // Key and value from the core together: a key that is not valid UTF-8
    // (written by another program) has no JS string that finds it again.
    const [key, stored] = this.#core().entryAt(i, this.#form.asText);
    return [key, this.value(key, stored)];
  }

  /**
   * [key, stored form] of every entry in the store's order, live as a
   * Map's iteration is: entries set after it started are visited, deleted
   * ones are not, and each value is the one current when it is handed out.
   */
  *storedEntries() {
    if (this.#complete) {
      yield* this.#entries.entries();
      return;
    }
    const core = this.#core();
    const it = { core, cursor: core.addCursor(), read: 0, stale: false, ended: false };
    this.#iterations.add(it);
    try {
      let skip = 0;
      for (;;) {
        const keys = [];
        const values = [];
        // this.#core() applies the queued writes before the chunk is read.
        this.#core().cursorChunk(it.cursor, skip, ITERATION_CHUNK, this.#form.asText, (key, kind, value) => {
          keys.push(key);
          values.push(value);
        });
        if (keys.length === 0) return;
        it.read = 0;
        it.stale = false;
        while (it.read < keys.length && !it.stale && !it.ended) {
          const i = it.read++;
          yield [keys[i], values[i]];
        }
        if (it.ended) return;
        skip = it.stale ? 0 : keys.length; // stale: beforeWrite() moved the cursor already
      }
    } finally {
      this.#iterations.delete(it);
      core.removeCursor(it.cursor);
      if (this.#iterations.size === 0) core.releaseExport();
    }
  }
}
