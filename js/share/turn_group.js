// The writes of one turn of the event loop, collected into one write group
// (one record in the log) by a driver whose writes are ordered elsewhere:
// a follower's (follower.js, sent to the leader) or a NATS stream's
// (nats/stream_driver.js, published). The driver cuts the group at the
// end of the turn, before an update (which goes alone), or when the next
// write would not fit one record.

import { OpWriter } from '../op_writer.js';

export class TurnGroup {
  /** The operations of the open group (map/writes.js writes into it). */
  ops = new OpWriter();
  /** The group collecting this turn's writes, or null. */
  open = null;
  #seq = 0;
  #limit;
  #cut;

  /**
   * `limit`: op-stream bytes a group may hold; `cut()`: the driver closes
   * the open group (through close()).
   */
  constructor(limit, cut) {
    this.#limit = limit;
    this.#cut = cut;
  }

  /**
   * The seq of the group the next write joins; a write of up to `bytes`
   * more operation bytes starts a new one if the group would not fit one
   * record, and so does one that must be `alone` (an update).
   */
  groupFor(bytes, alone = false) {
    if (this.open !== null && (alone ? !this.ops.empty : this.ops.mark() + bytes > this.#limit)) this.#cut();
    if (this.open === null) {
      const group = { seq: ++this.#seq, ops: null, cond: undefined, promise: null, resolve: null, reject: null };
      group.promise = new Promise((resolve, reject) => {
        group.resolve = resolve;
        group.reject = reject;
      });
      this.open = group;
      queueMicrotask(() => {
        if (this.open === group) this.#cut();
      });
    }
    return this.open.seq;
  }

  /**
   * Closes the open group: returns it with its operations (`ops`), or null
   * if there is none, or if it holds nothing (a write refused before it was
   * queued): it then settles as `earlier` (the promise of the writes before).
   */
  close(earlier) {
    const group = this.open;
    if (group === null) return null;
    this.open = null;
    if (this.ops.empty) {
      group.resolve(earlier());
      return null;
    }
    group.ops = this.ops.take().slice();
    return group;
  }
}
