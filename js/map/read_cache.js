// The read cache: a JavaScript Map of stored forms in front of the
// WebAssembly core, which holds every entry. It holds every entry once
// `complete` (after loadAll, or for a store that started empty), else those
// read or written since the core was (re)built; an entry it holds is always
// current. Writes go through put/delete/clear so that the Map, its
// completeness and the frozen values change together.

import { invalidType } from '../errors.js';
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

export class ReadCache {
  #form;
  #core; // () => the core, with every queued write applied; null once closed
  #entries = new Map(); // key -> stored form
  #complete = true;
  #frozen; // with { freeze: true }: key -> deep-frozen value, as read

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
   * state twice and make an open several times slower.)
   */
  forget() {
    this.#entries.clear();
    this.#complete = this.#core().size() === 0;
    this.#frozen?.clear();
  }

  /**
   * Loads every entry in the store's order, so that the cache can answer
   * alone: for iteration (which follows its order) and after close.
   */
  loadAll() {
    if (this.#complete) return;
    const entries = new Map();
    this.#core().forEachEntry(this.#form.asText, (key, kind, value) => entries.set(key, value));
    this.#entries = entries;
    this.#complete = true;
  }

  /** Every entry is here from now on; the core is no longer asked (it is freed on close). */
  detach() {
    this.loadAll();
    this.#core = null;
  }

  // ---- writes (the core gets them through the log driver) ----

  put(key, stored) {
    this.#entries.set(key, stored);
    this.#frozen?.delete(key);
  }

  delete(key) {
    this.#entries.delete(key);
    this.#frozen?.delete(key);
  }

  clear() {
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
   * { freeze: true } a shared deep-frozen one (bytes are copied anyway).
   */
  value(key, stored) {
    if (this.#frozen === null || typeof stored !== 'string') return this.#form.decode(key, stored);
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
    if (!Number.isInteger(index)) throw invalidType(`at() needs an integer index, got ${index}`);
    const n = this.size;
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n) return undefined;
    if (this.#core === null) {
      // The core is freed; reads go on from memory, in O(n).
      let j = 0;
      for (const key of this.#entries.keys()) if (j++ === i) return [key, this.get(key)];
    }
    // Key and value from the core together: a key that is not valid UTF-8
    // (written by another program) has no JS string that finds it again.
    const [key, stored] = this.#core().entryAt(i, this.#form.asText);
    return [key, this.value(key, stored)];
  }

  /** [key, stored form] of every entry in the store's order, live as a Map's iteration is. */
  storedEntries() {
    this.loadAll();
    return this.#entries.entries();
  }
}
