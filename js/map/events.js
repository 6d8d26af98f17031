// The map's events: 'change' (after a write is queued, or a reload) and
// 'error' (a failure no write's promise can report), and the store contract
// UI frameworks use: a version that moves on with every visible change, and
// subscribers told of each (they get no event, so writes build none for them).

import { invalidType } from '../errors.js';

/** Whether a 'change' event may have changed `key` (a clear or a reload may have changed any). */
export function touches(event, key) {
  if (event.key !== undefined) return event.key === key;
  if (event.keys !== undefined) return event.keys.includes(key);
  return true;
}

export class Events {
  #listeners = new Map(); // type -> Set of listeners
  /** How many 'change' listeners there are: writes build their events only when someone listens. */
  watched = 0;
  /** Moves on (by one) exactly when what reads see changes. */
  version = 0;

  on(type, listener) {
    if (typeof listener !== 'function') throw invalidType('listener must be a function');
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    this.watched = this.#listeners.get('change')?.size ?? 0;
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
    this.watched = this.#listeners.get('change')?.size ?? 0;
  }

  /**
   * What reads see has changed (`after`: the promise of the write that
   * changed it): the version moves on, then subscribers hear of it. Called
   * before the 'change' listeners, so that they see the new version.
   */
  changed(after = null) {
    this.version++;
    this.emit('subscribe', undefined, after);
  }

  /**
   * Calls the listeners of `type`. A listener's exception never stops a
   * write: it is thrown again, as an uncaught exception, once the write the
   * event reports (`after`, its promise) has settled, so that a process that
   * dies of it has stored what that write acknowledged.
   */
  emit(type, event, after = null) {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (err) {
        const rethrow = () => queueMicrotask(() => {
          throw err;
        });
        if (after === null) rethrow();
        else after.then(rethrow, rethrow);
      }
    }
  }
}
