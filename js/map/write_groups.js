// The promises of writes. Writes are numbered as they are issued (seq); a
// group of writes applied to the core together shares one promise (they
// always succeed or fail together: one backend write, one roll-back), so a
// write costs one promise per group, not one per write. Flushes and
// compactions wait in queues of their own.

import { PersistentMapError } from '../errors.js';

/** Throws CLOSED unless a driver in `state` takes writes. */
export function checkWritable(name, state, failure) {
  if (state === 'closed') throw new PersistentMapError('CLOSED', `store ${name} is closed`);
  if (state === 'failed') {
    throw new PersistentMapError('CLOSED', `store ${name} refuses writes after an earlier failure (${failure.message}); reopen it`, { cause: failure });
  }
}

export class WriteGroups {
  #seq = 0; // writes issued
  #appliedSeq = 0; // writes applied to the core
  #groups = []; // { seq, promise, resolve, reject }, in seq order
  /** flush() calls waiting for a sync: { resolve, reject }. */
  syncs = [];
  /** compact() calls waiting for a compaction: { resolve, reject }. */
  compactions = [];

  /** A promise settled through `queue` (syncs or compactions). */
  static wait(queue) {
    return new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
    });
  }

  /** Issues a write; returns the promise of its group. */
  issue() {
    const seq = ++this.#seq;
    const groups = this.#groups;
    let group = groups.length > 0 ? groups[groups.length - 1] : null;
    if (group !== null && group.seq > this.#appliedSeq) {
      group.seq = seq; // its group is not applied yet: this write joins it
    } else {
      group = { seq, promise: null, resolve: null, reject: null };
      group.promise = new Promise((resolve, reject) => {
        group.resolve = resolve;
        group.reject = reject;
      });
      groups.push(group);
    }
    return group.promise;
  }

  /** Every write issued so far is applied to the core; returns the last one's seq. */
  applied() {
    this.#appliedSeq = this.#seq;
    return this.#appliedSeq;
  }

  /** The seq of the last write applied to the core. */
  get appliedSeq() {
    return this.#appliedSeq;
  }

  /** Whether a write's promise is still open. */
  get waiting() {
    return this.#groups.length > 0;
  }

  /** Resolves (or, with `error`, rejects) the writes up to seq `upto`. */
  settle(upto, error = null) {
    let n = 0;
    while (n < this.#groups.length && this.#groups[n].seq <= upto) n++;
    for (const g of this.#groups.splice(0, n)) {
      if (error) g.reject(error);
      else g.resolve();
    }
  }

  /** Rejects every write, flush and compaction still waiting. */
  rejectAll(error) {
    this.settle(Infinity, error);
    for (const w of this.syncs.splice(0)) w.reject(error);
    for (const w of this.compactions.splice(0)) w.reject(error);
  }
}
