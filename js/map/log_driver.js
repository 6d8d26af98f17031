// The log driver: takes the map's writes to the core and the core's log
// bytes to the backend. It is the JavaScript twin of the native driver
// (src/native/store.cc), over the same Engine, and its steps carry the same
// names: write pending (group commit: the writes of one turn of the event
// loop become one backend write), roll back (a failed write is undone in
// memory and on the log), compact (a snapshot replaces the log, in the
// background where the backend can: map/background_compaction.js), fail
// (after a failure writes are refused until the store is reopened).
// Queued operations reach the core lazily (applyOps), before anything reads
// it and when a drain starts; map/write_groups.js keeps the promises.

import { OpWriter } from '../op_writer.js';
import { PersistentMapError, statusError } from '../errors.js';
import { BackgroundCompaction } from './background_compaction.js';
import { restoreLog } from './restore_log.js';
import { capabilitiesOf } from './registry.js';
import { WriteGroups, checkWritable } from './write_groups.js';

const EMPTY = new Uint8Array(0);

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
  #writes = new WriteGroups();
  #scheduled = false;
  #snapshotCommit = false; // the next commit replaces the log (a big import)
  #untaken = false; // the core holds log bytes of writes applied for a read
  #draining = null;
  #logBytes = 0; // bytes the backend's log holds
  #noAutoCompactBelow = 0;
  #replacing = null; // the BackgroundCompaction running, if any

  /**
   * `options`: the checked open options. `hooks`: reloaded() (the core was
   * rebuilt from the log: a roll-back), error(err) (a failure no write's
   * promise can report), and for a shared store's leader (share/leader.js)
   * taken(some), appended(bytes), resync().
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
    if (this.#can.lateFailures) {
      backend.onfailure = (err) => {
        if (this.state !== 'open') return;
        this.#fail(err);
        this.#hooks.error(err);
      };
    }
  }

  /** The core with every queued write applied, for reads. */
  core() {
    this.applyOps();
    return this.#core;
  }

  /** Finishes an open: cuts a torn tail, writes a new log's header, rewrites a salvaged log. */
  async open(fileBytes, report) {
    this.#logBytes = report.validBytes;
    if (report.validBytes < fileBytes) await this.#backend.truncate(report.validBytes); // drop the torn tail
    const header = this.#commitOps('copy');
    if (header.length > 0) { // a new log: its header, durable at once
      await this.#backend.append(header, { sync: true });
      this.#logBytes += header.length;
    }
    if (report.needsRewrite) await this.compact();
  }

  /** Throws CLOSED unless writes are taken. */
  checkWritable() {
    checkWritable(this.#name, this.state, this.failure);
  }

  /**
   * Issues a write whose operations (if any) were queued in `ops`; returns
   * its promise. Also a write that queued nothing settles with the writes
   * before it.
   */
  commit() {
    const done = this.#writes.issue();
    this.#schedule();
    return done;
  }

  /**
   * Issues a write of operations that go to the core as they are (records
   * of their own, too large together for one): the next commit replaces the
   * log with a snapshot, atomic on every backend (docs/BACKENDS.md).
   */
  commitViaSnapshot(ops) {
    const done = this.commitNow(ops, 'an import');
    this.#snapshotCommit = true;
    return done;
  }

  /**
   * Applies operations to the core now, after the writes queued before
   * them (a shared store's leader: a follower's write group); returns the
   * promise of their write. Throws, changing nothing, if the core refuses.
   */
  commitNow(ops, what = 'writes') {
    this.applyOps(); // earlier writes first
    const refused = this.#core.commit(ops, 'keep');
    if (refused !== null) throw statusError(refused, `${this.#name}: cannot apply ${what}`);
    this.#untaken = true;
    const done = this.commit();
    this.#writes.applied();
    return done;
  }

  /** Resolves once every earlier write is on stable storage. */
  flush() {
    return this.#waitFor(this.#writes.syncs);
  }

  /** Rewrites the log as a snapshot of the live entries. */
  compact() {
    return this.#waitFor(this.#writes.compactions);
  }

  #waitFor(queue) {
    this.checkWritable();
    const done = WriteGroups.wait(queue);
    this.#schedule();
    return done;
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
   * Hands the queued operations to the core, for a read (their log bytes
   * stay there until the next commit). Every write issued so far is then
   * applied, also one that queued nothing: it settles with those before it.
   */
  applyOps() {
    if (this.ops.empty) this.#writes.applied();
    else this.#commitOps('keep');
  }

  // One call into WebAssembly: the queued operations in, the log bytes out
  // as Core.commit's `take` says; returns the bytes copied out.
  #commitOps(take) {
    const refused = this.#core.commit(this.ops.take(), take);
    if (refused !== null) throw statusError(refused, `internal error applying writes to ${this.#name}`);
    this.#writes.applied();
    this.#untaken = take === 'keep';
    return this.#core.pending;
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#startDrain);
  }

  #startDrain = () => { // a field, so that scheduling allocates no closure
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
    const w = this.#writes;
    return !this.ops.empty || w.waiting || w.syncs.length > 0 ||
      (w.compactions.length > 0 && this.#replacing === null) || this.#replacing?.ready === true;
  }

  #autoCompactDue() {
    return this.state === 'open' && this.#compaction.auto && this.#can.autoCompact && this.#replacing === null &&
      this.#logBytes >= this.#noAutoCompactBelow && this.#core.compactDue;
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
      this.#hooks.taken?.(bytes.length > 0);
      if (bytes.length > 0) {
        await this.#writePending(bytes);
        // A loop of awaited writes keeps the drain from ever running out
        // of writes: a compaction that is due starts between two of them
        // (the core's bytes are all taken, as a snapshot needs).
        if (this.#autoCompactDue() && !this.#untaken) await this.#compactNow();
        else if (this.#replacing !== null && !this.#replacing.ready) await this.#replacing.letRun();
        continue;
      }
      this.#writes.settle(this.#writes.applied()); // writes that changed nothing
      // compact() called during a compaction in the background waits for a
      // compaction of its own, after it.
      if ((this.#writes.compactions.length > 0 && this.#replacing === null) || this.#autoCompactDue()) {
        await this.#compactNow();
        continue;
      }
      if (this.#writes.syncs.length > 0) {
        await this.#sync();
        continue;
      }
      return;
    }
    // Failed or closed: nothing more will be written.
    const error = this.failure ?? new PersistentMapError('CLOSED', `store ${this.#name} is closed`);
    this.#writes.rejectAll(error);
    await this.#abandonCompaction(error);
  }

  // Appends the core's pending bytes: one backend write for every write
  // applied so far.
  async #writePending(bytes) {
    const upto = this.#writes.appliedSeq;
    try {
      await this.#backend.append(bytes, { sync: this.#strict });
    } catch (err) {
      return this.#rollBack(err);
    }
    this.#logBytes += bytes.length;
    this.#replacing?.addTail(bytes);
    this.#hooks.appended?.(bytes);
    this.#writes.settle(upto);
  }

  /**
   * Resolves once every write appended so far is stored where a crash of
   * this context cannot undo it: at once for backends that store a write
   * before its append resolves (fs, sqlite); opfs and indexeddb acknowledge
   * a relaxed append earlier (docs/BACKENDS.md, `written()`).
   */
  async written() {
    await this.#backend.written?.();
  }

  async #sync() {
    const waiters = this.#writes.syncs.splice(0);
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
    const upto = this.#writes.appliedSeq;
    try {
      await this.#replaceLog();
    } catch (err) {
      return this.#rollBack(err);
    }
    this.#hooks.resync?.(); // no records describe what the snapshot holds
    this.#writes.settle(upto);
  }

  // Replaces the log with a snapshot of the core's entries.
  async #replaceLog() {
    const snapshot = this.#core.encodeSnapshot();
    await this.#backend.replace(snapshot);
    this.#core.snapshotInstalled();
    this.#logBytes = snapshot.length;
  }

  async #compactNow() {
    const waiters = this.#writes.compactions.splice(0);
    if (this.#can.replaceInBackground) {
      // The core encodes the snapshot in pieces and the backend stores it
      // beside the log; the drain goes on, and finishes the compaction once
      // that has settled.
      this.#replacing = new BackgroundCompaction(this.#backend, this.#core, waiters, () => this.#schedule());
      return;
    }
    try {
      await this.#replaceLog();
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.#compactionFailed(err, waiters);
    }
  }

  // The final step: writes wait for this step only.
  async #finishCompaction() {
    const job = this.#replacing;
    const length = await job.finish().catch((err) => err); // the new log's length, or why it failed
    this.#replacing = null;
    if (typeof length !== 'number') {
      this.#compactionFailed(length, job.waiters);
      return;
    }
    this.#core.snapshotInstalled();
    this.#logBytes = length;
    for (const w of job.waiters) w.resolve();
  }

  // Drops a compaction in the background; its waiters reject with `error`.
  async #abandonCompaction(error) {
    const job = this.#replacing;
    if (job === null) return;
    await job.abandon(error);
    this.#replacing = null;
  }

  #compactionFailed(err, waiters) {
    for (const w of waiters) w.reject(err);
    if (err.fatal) return this.#fail(err);
    // Leave the old log in place and do not retry at once.
    this.#noAutoCompactBelow = this.#logBytes + this.#compaction.minBytes;
    if (waiters.length === 0) this.#hooks.error(err);
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
      this.#logBytes = await restoreLog(this.#backend, this.#core, this.#logBytes, this.#can.readIsLog);
      this.ops.take();
      this.#writes.applied();
      this.#untaken = true; // a log without a header gets one
      this.#hooks.reloaded();
      this.#writes.settle(Infinity, error);
    } catch (err) {
      this.#fail(new PersistentMapError(error.code, `${error.message}, and restoring the store failed too (${err.message})`, { cause: err, fatal: true }));
    }
  }

  // From here writes are refused until the store is reopened.
  #fail(error) {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    this.#writes.rejectAll(error);
  }
}
