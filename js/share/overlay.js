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
// order is the log's, as in every process.

export class Overlay {
  #entries = new Map(); // key -> [{ seq, stored }] (stored undefined: deleted), oldest first
  #clears = []; // seqs of pending clears
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

  /**
   * The write group `seq` is settled: in the core now (its records came
   * before its acknowledgement), or refused. Either way it leaves.
   */
  settle(seq) {
    for (const [key, list] of this.#entries) {
      const kept = list.filter((e) => e.seq !== seq);
      if (kept.length === 0) this.#entries.delete(key);
      else if (kept.length !== list.length) this.#entries.set(key, kept);
    }
    this.#clears = this.#clears.filter((s) => s !== seq);
  }

  /** Every pending write is in the core now (a new leader applied them). */
  reset() {
    this.#entries.clear();
    this.#clears = [];
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
