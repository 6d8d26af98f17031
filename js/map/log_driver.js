// The log driver: takes the map's writes to the core and the core's log
// bytes to the backend. It is the JavaScript twin of the native driver
// (src/native/store.cc), over the same Engine, and its steps carry the same
// names: write pending (group commit: the writes of one turn of the event
// loop become one backend write), roll back (a failed write is undone in
// memory and on the log), compact (a snapshot replaces the log), fail (after
// a failure nothing can be promised: writes are refused until reopened).
//
// A backend that can replace its log in the background (beginReplace /
// finishReplace, docs/BACKENDS.md) compacts without holding up writes: while
// it stores the snapshot, writes go on being appended to the old log, and
// are kept as the new log's tail, which the short final step appends to the
// snapshot before it replaces the log. Every acknowledged write is thus in
// the old log until the new one, which holds it too, takes its place.
//
// Writes are numbered as they are issued (seq). Queued operations reach the
// core lazily (applyOps), before anything reads the core and when a drain
// starts; a group of writes applied together shares one promise, settled
// once its bytes are on the log as the durability asks.

import { concatBytes } from '../backends/common/bytes.js';
import { OpWriter } from '../op_writer.js';
import { PersistentMapError, statusError } from '../errors.js';
import { capabilitiesOf } from './registry.js';

const EMPTY = new Uint8Array(0);
// A turn of the event loop (a macrotask), where I/O callbacks run.
const nextTurn = typeof setImmediate === 'function'
  ? () => new Promise((resolve) => setImmediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

export class LogDriver {
  /** Operations of writes not yet applied to the core (the map queues them here). */
  ops = new OpWriter();
  /** 'open', 'failed' or 'closed'. */
  state = 'open';
  /** Why the store failed (state 'failed'). */
  failure = null;

  #name;
  #core;
  #backend;
  #can;
  #strict;
  #compaction;
  #hooks;
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
  // A compaction in the background: { waiters, length (the snapshot's),
  // tail (bytes appended since it was encoded), tailBytes, ready (its
  // beginReplace settled), error (why that failed), settled (a promise) }.
  #replacing = null;
  #lastTurn = 0; // performance.now() when the drain last gave the event loop a turn

  /**
   * @param {string} name the store's name, for messages
   * @param {import('../core.js').Core} core
   * @param {object} backend
   * @param {object} options the checked open options
   * @param {{ reloaded: () => void, error: (err: Error) => void }} hooks
   *   reloaded: the core was rebuilt from the log (after a roll-back);
   *   error: a failure no write's promise can report
   */
  constructor(name, core, backend, options, hooks) {
    this.#name = name;
    this.#core = core;
    this.#backend = backend;
    this.#can = capabilitiesOf(backend);
    this.#strict = options.durability === 'strict';
    this.#compaction = options.compaction;
    this.#hooks = hooks;
    // Backends that acknowledge a relaxed write before storing it (opfs,
    // indexeddb) report a failure found later here: it can no longer reject
    // that write, so the store stops taking writes and says so at once.
    if (this.#can.lateFailures) backend.onfailure = (err) => this.#lateFailure(err);
  }

  /** The core with every queued write applied, for reads. */
  core() {
    this.applyOps();
    return this.#core;
  }

  /** Finishes an open: cuts a torn tail, writes a new log's header, rewrites a salvaged log. */
  async open(fileBytes, report) {
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

  /** Throws CLOSED unless writes are taken. */
  checkWritable() {
    if (this.state === 'closed') {
      throw new PersistentMapError('CLOSED', `store ${this.#name} is closed`);
    }
    if (this.state === 'failed') {
      throw new PersistentMapError('CLOSED', `store ${this.#name} refuses writes after an earlier failure (${this.failure.message}); reopen it`, { cause: this.failure });
    }
  }

  /**
   * Issues a write whose operations (if any) were queued in `ops`; returns
   * its promise. Also a write that queued nothing settles with the writes
   * before it.
   */
  commit() {
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

  /**
   * Issues a write of operations that go to the core as they are (records
   * of their own, which may exceed one record's limit together): the next
   * commit replaces the log with a snapshot instead of appending them, which
   * is atomic on every backend (docs/BACKENDS.md).
   */
  commitViaSnapshot(ops) {
    this.applyOps(); // earlier writes first
    const refused = this.#core.commit(ops, 'keep');
    if (refused !== null) throw statusError(refused, `internal error applying an import to ${this.#name}`);
    this.#snapshotCommit = true;
    const done = this.commit();
    this.#appliedSeq = this.#seq;
    return done;
  }

  /** Resolves once every earlier write is on stable storage. */
  flush() {
    this.checkWritable();
    return new Promise((resolve, reject) => {
      this.#syncWaiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Rewrites the log as a snapshot of the live entries. */
  compact() {
    this.checkWritable();
    return new Promise((resolve, reject) => {
      this.#compactWaiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Flushes (the error, if any, is returned), then waits for the drain to stop. */
  async close() {
    let error = null;
    if (this.state === 'open') {
      try {
        await this.flush();
      } catch (err) {
        error = err;
      }
    }
    // A compaction in the background finishes first (or is abandoned, if
    // the store has failed): the backend is not released under it.
    while (this.#draining || this.#replacing) {
      if (this.#draining) await this.#draining;
      else if (this.state === 'open') await this.#replacing.settled;
      else await this.#abandonCompaction(this.failure);
    }
    return error;
  }

  /** Marks the store closed and releases the backend. */
  async release() {
    this.state = 'closed';
    await this.#backend.close();
  }

  /**
   * Hands the queued operations to the core, for a read; their log bytes
   * stay in the core until the next commit. Every write issued so far is
   * then applied, also those that queued nothing (a delete of an absent
   * key): they settle with the writes before them.
   */
  applyOps() {
    if (this.ops.empty) this.#appliedSeq = this.#seq;
    else this.#commitOps('keep');
  }

  // Hands the queued operations to the core and takes its log bytes as
  // Core.commit's `take` says (one call into WebAssembly); returns the
  // bytes copied out.
  #commitOps(take) {
    const refused = this.#core.commit(this.ops.take(), take);
    if (refused !== null) throw statusError(refused, `internal error applying writes to ${this.#name}`);
    this.#appliedSeq = this.#seq;
    this.#untaken = take === 'keep';
    return this.#core.pending;
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
      if (this.state === 'open' && this.#hasWork()) this.#schedule();
    }
  }

  #hasWork() {
    return !this.ops.empty || this.#waiters.length > 0 || this.#syncWaiters.length > 0 ||
      (this.#compactWaiters.length > 0 && this.#replacing === null) || this.#replacing?.ready === true;
  }

  #autoCompactDue() {
    return this.state === 'open' && this.#compaction.auto && this.#can.autoCompact && this.#replacing === null &&
      this.#logBytes >= this.#noAutoCompactBelow && this.#core.compactDue;
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
    while (this.state === 'open') {
      if (this.#snapshotCommit) {
        // The import's snapshot replaces the log once the one in the
        // background has (its tail holds every write taken before).
        if (this.#replacing !== null) await this.#finishCompaction();
        else await this.#writeSnapshot();
        continue;
      }
      if (this.#replacing?.ready) {
        // Before further writes, which would otherwise keep it waiting.
        await this.#finishCompaction();
        continue;
      }
      const bytes = !this.ops.empty || this.#untaken ? this.#commitOps('copy') : EMPTY;
      if (bytes.length > 0) {
        await this.#writePending(bytes);
        // A loop of awaited writes keeps the drain from ever running out
        // of writes: a compaction that is due starts between two of them
        // (the core's bytes are all taken, as a snapshot needs).
        if (this.#autoCompactDue() && !this.#untaken) await this.#compactNow();
        else if (this.#replacing !== null && !this.#replacing.ready) await this.#letCompactionRun();
        continue;
      }
      this.#appliedSeq = this.#seq;
      this.#settle(this.#appliedSeq, null); // writes that changed nothing
      // compact() called during a compaction in the background waits for a
      // compaction of its own, after it.
      if ((this.#compactWaiters.length > 0 && this.#replacing === null) || this.#autoCompactDue()) {
        await this.#compactNow();
        continue;
      }
      if (this.#syncWaiters.length > 0) {
        await this.#sync();
        continue;
      }
      return;
    }
    // Failed or closed: nothing more will be written.
    const error = this.failure ?? new PersistentMapError('CLOSED', `store ${this.#name} is closed`);
    this.#rejectAll(error);
    await this.#abandonCompaction(error);
  }

  // Appends the core's pending bytes: one backend write for every write
  // applied so far.
  async #writePending(bytes) {
    const upto = this.#appliedSeq;
    try {
      await this.#backend.append(bytes, { sync: this.#strict });
    } catch (err) {
      await this.#rollBack(err);
      return;
    }
    this.#logBytes += bytes.length;
    if (this.#replacing !== null) {
      this.#replacing.tail.push(bytes);
      this.#replacing.tailBytes += bytes.length;
    }
    this.#settle(upto, null);
  }

  async #sync() {
    const waiters = this.#syncWaiters.splice(0);
    try {
      await this.#backend.sync();
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
      this.#fail(err);
    }
  }

  // Writes everything applied so far as one snapshot that replaces the log.
  async #writeSnapshot() {
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
    if (this.#can.replaceInBackground) {
      this.#beginCompaction(waiters);
      return;
    }
    try {
      await this.#replaceLog();
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.#compactionFailed(err, waiters);
    }
  }

  // Encodes the snapshot and has the backend store it beside the log; the
  // drain goes on, and finishes the compaction once that has settled.
  #beginCompaction(waiters) {
    const snapshot = this.#core.encodeSnapshot();
    const job = { waiters, length: snapshot.length, tail: [], tailBytes: 0, ready: false, error: null, settled: null };
    job.settled = Promise.resolve()
      .then(() => this.#backend.beginReplace(snapshot))
      .catch((err) => { job.error = err; })
      .then(() => {
        job.ready = true;
        this.#schedule();
      });
    this.#replacing = job;
    this.#lastTurn = performance.now();
  }

  // Awaited writes that follow one another never leave the microtask queue
  // (a relaxed fs append is synchronous), so the I/O of a compaction in the
  // background would not progress, nor its tail stop growing, until they
  // stop: while one runs, the event loop gets a turn every millisecond.
  async #letCompactionRun() {
    if (performance.now() - this.#lastTurn < 1) return;
    await nextTurn();
    this.#lastTurn = performance.now();
  }

  // The final step: the tail goes after the snapshot, which then replaces
  // the log. Writes wait for this step only.
  async #finishCompaction() {
    const job = this.#replacing;
    await job.settled;
    let error = job.error;
    if (error === null) {
      try {
        await this.#backend.finishReplace(concatBytes(job.tail));
      } catch (err) {
        error = err;
      }
    }
    this.#replacing = null;
    if (error !== null) {
      this.#compactionFailed(error, job.waiters);
      return;
    }
    this.#core.snapshotInstalled();
    this.#logBytes = job.length + job.tailBytes;
    for (const w of job.waiters) w.resolve();
  }

  // A compaction in the background is dropped (a write failed and is being
  // rolled back, or the store failed or closed): the old log holds every
  // write, so only the new log's beginnings are thrown away.
  async #abandonCompaction(error) {
    const job = this.#replacing;
    if (job === null) return;
    await job.settled;
    if (job.error === null) {
      // A leftover the backend cannot remove is removed by the next open
      // (docs/BACKENDS.md); the store itself is sound.
      await this.#backend.abortReplace().catch(() => {});
    }
    this.#replacing = null;
    for (const w of job.waiters) w.reject(error);
  }

  #compactionFailed(err, waiters) {
    for (const w of waiters) w.reject(err);
    if (err.fatal) {
      this.#fail(err);
    } else {
      // Leave the old log in place and do not retry at once.
      this.#noAutoCompactBelow = this.#logBytes + this.#compaction.minBytes;
      if (waiters.length === 0) this.#hooks.error(err);
    }
  }

  // A write failed: cut the log back to what it held before and rebuild the
  // core from it, so memory never claims what the log does not hold. Every
  // write not yet on the log is rejected.
  async #rollBack(cause) {
    if (cause?.fatal) {
      this.#fail(cause instanceof PersistentMapError ? cause
        : new PersistentMapError('IO', String(cause?.message ?? cause), { cause, fatal: true }));
      return;
    }
    const error = new PersistentMapError(cause?.code ?? 'IO',
      `${cause?.message ?? cause}; the write was rolled back`, { cause });
    // The core is rebuilt from the old log below, which a snapshot being
    // stored in the background no longer accounts for: drop it.
    await this.#abandonCompaction(error);
    try {
      await this.#backend.truncate(this.#logBytes);
      const bytes = await this.#backend.read();
      const report = this.#core.recover(bytes);
      if (!report.ok) throw statusError(report);
      // A table backend's read() is a snapshot of its rows, shorter than
      // the log it stands for (docs/BACKENDS.md).
      if (report.validBytes !== bytes.length || (this.#can.readIsLog && bytes.length !== this.#logBytes)) {
        throw new PersistentMapError('CORRUPT', 'the log does not end where the last good write did');
      }
      this.#logBytes = bytes.length;
      this.ops.take();
      this.#appliedSeq = this.#seq;
      this.#untaken = true; // a log without a header gets one
      this.#hooks.reloaded();
      this.#settle(Infinity, error);
    } catch (err) {
      this.#fail(new PersistentMapError(error.code, `${error.message}, and restoring the store failed too (${err.message})`, { cause: err, fatal: true }));
    }
  }

  #lateFailure(error) {
    if (this.state !== 'open') return;
    this.#fail(error);
    this.#hooks.error(error);
  }

  // From here writes are refused until the store is reopened.
  #fail(error) {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    this.#rejectAll(error);
  }

  // Rejects every write, flush and compaction still waiting.
  #rejectAll(error) {
    this.#settle(Infinity, error);
    for (const w of this.#syncWaiters.splice(0)) w.reject(error);
    for (const w of this.#compactWaiters.splice(0)) w.reject(error);
  }
}
