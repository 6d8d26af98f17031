// The overlay of a shared store's follower: its own writes that the leader
// has not acknowledged yet, shown over the core. The core holds exactly the
// log's records the follower has received (so that every process replays
// the same bytes); a write becomes part of it when its record comes back
// from the leader, and the overlay drops it when the acknowledgement, which
// follows the record, arrives. Reads look here first, then in the read
// cache (which reads the core).
//
// While writes are pending, values are exact and iteration shows the
// follower's own new keys after the others; once they are acknowledged the
// order is the log's, as in every process. Another client's write to a key
// a pending write hides changes nothing a read sees, so it makes no event;
// the key is noted (shadow), and when the pending write leaves, settle()
// says which keys now read differently.

function sameBytes(a, b) {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Write group `seq` of a follower leaves `overlay` (acknowledged, or
 * `refused`): the keys that now read differently are reported to `hooks`
 * (a refused clear may have changed any: a reload).
 */
export function settleGroup(overlay, hooks, seq, refused) {
  const { keys, clear } = overlay.settle(seq);
  if (clear && refused) hooks.reloaded();
  else if (keys.length > 0) hooks.settled(keys);
}

export class Overlay {
  #entries = new Map(); // key -> [{ seq, stored }] (stored undefined: deleted), oldest first
  #clears = []; // seqs of pending clears
  #shadowed = new Set(); // keys another client wrote while a pending write hid them
  #cache;

  /** @param {import('../map/read_cache.js').ReadCache} cache */
  constructor(cache) {
    this.#cache = cache;
  }

  /** Whether any write is pending (else reads go straight to the cache). */
  get active() {
    return this.#entries.size > 0 || this.#clears.length > 0;
  }

  put(key, stored, seq) {
    const list = this.#entries.get(key);
    if (list === undefined) this.#entries.set(key, [{ seq, stored }]);
    else list.push({ seq, stored });
  }

  delete(key, seq) {
    this.put(key, undefined, seq);
  }

  clear(seq) {
    this.#entries.clear();
    this.#clears.push(seq);
  }

  /** Another client wrote `key` while this follower's pending writes decide it. */
  shadow(key) {
    this.#shadowed.add(key);
  }

  /**
   * The write group `seq` is settled: in the core now (its records came
   * before its acknowledgement), or refused. Either way it leaves. Returns
   * { keys, clear }: the keys that now read differently (its own, where
   * the log decided otherwise, and keys others wrote meanwhile), and
   * whether the group was a clear (refused, every key may read differently).
   */
  settle(seq) {
    const clear = this.#clears.includes(seq);
    const touched = new Set(this.#shadowed);
    for (const [key, list] of this.#entries) if (list.some((e) => e.seq === seq)) touched.add(key);
    const before = new Map([...touched].map((key) => [key, this.stored(key)]));
    for (const [key, list] of this.#entries) {
      const kept = list.filter((e) => e.seq !== seq);
      if (kept.length === 0) this.#entries.delete(key);
      else if (kept.length !== list.length) this.#entries.set(key, kept);
    }
    this.#clears = this.#clears.filter((s) => s !== seq);
    const keys = [];
    for (const [key, stored] of before) {
      if (this.decides(key)) continue; // still hidden: noted until then
      this.#shadowed.delete(key);
      if (!sameBytes(stored, this.stored(key))) keys.push(key);
    }
    return { keys, clear };
  }

  /** Every pending write is in the core now (a new leader applied them). */
  reset() {
    this.#entries.clear();
    this.#clears = [];
    this.#shadowed.clear();
  }

  // { hit, stored }: hit when the overlay decides what `key` reads as.
  #lookup(key) {
    const list = this.#entries.get(key);
    if (list !== undefined) return { hit: true, stored: list[list.length - 1].stored };
    return { hit: this.#clears.length > 0, stored: undefined };
  }

  /** Whether `key` is written by a pending write of this follower (or a pending clear hides it). */
  decides(key) {
    return this.#entries.has(key) || this.#clears.length > 0;
  }

  stored(key) {
    const { hit, stored } = this.#lookup(key);
    return hit ? stored : this.#cache.stored(key);
  }

  get(key) {
    const { hit, stored } = this.#lookup(key);
    if (!hit) return this.#cache.get(key);
    return stored === undefined ? undefined : this.#cache.value(key, stored);
  }

  has(key) {
    const { hit, stored } = this.#lookup(key);
    return hit ? stored !== undefined : this.#cache.has(key);
  }

  get size() {
    let n = this.#clears.length > 0 ? 0 : this.#cache.size;
    for (const [key, list] of this.#entries) {
      const present = list[list.length - 1].stored !== undefined;
      const below = this.#clears.length === 0 && this.#cache.has(key);
      n += (present ? 1 : 0) - (below ? 1 : 0);
    }
    return n;
  }

  /** [key, stored form] of every entry as this follower sees it. */
  *storedEntries() {
    const mine = this.#entries;
    if (this.#clears.length === 0) {
      for (const [key, stored] of this.#cache.storedEntries()) {
        const list = mine.get(key);
        if (list === undefined) yield [key, stored];
        else if (list[list.length - 1].stored !== undefined) yield [key, list[list.length - 1].stored];
      }
    }
    for (const [key, list] of [...mine]) {
      const stored = list[list.length - 1].stored;
      if (stored !== undefined && (this.#clears.length > 0 || !this.#cache.has(key))) yield [key, stored];
    }
  }

  /** The i-th [key, value] (negative i counts from the end). */
  at(index) {
    const all = [...this.storedEntries()];
    const i = index < 0 ? all.length + index : index;
    if (i < 0 || i >= all.length) return undefined;
    const [key, stored] = all[i];
    return [key, this.#cache.value(key, stored)];
  }
}
