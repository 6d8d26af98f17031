// The driver of a map whose store is a NATS JetStream stream (README,
// "Sharing a store → servers"). The stream is the sequencer: every client
// appends its writes to it and reads it back in order. A write group (the
// writes of one turn of the event loop, as FollowerDriver makes them) is
// one TAGGED record, encoded by the core without being applied, published
// as one message with the id <client>:<seq> (JetStream stores a message
// sent again under the same id once). The map shows its own writes at once
// through its overlay; they reach the core when the consumer delivers
// their message, in the stream's order, through Core.follow, with the
// checks of recovery. A write resolves once the stream acknowledged it
// and this map has applied every message up to it.
//
// One message is in flight at a time, so a client's writes reach the
// stream in its order even when one is sent again; the groups that queue
// meanwhile go out together in the next message. An update's group goes
// alone, appended only if the stream's last message is still the one this
// map had applied when fn read the value, or one of this map's own
// messages right after it (fn saw those writes: reads show them at once);
// else, or if a write of this map was refused since fn read (fn may have
// seen it), CONFLICT, and the update is tried again.

import { OpWriter } from '../op_writer.js';
import { PersistentMapError, statusError } from '../errors.js';
import { checkWritable } from '../map/write_groups.js';
import { CONFLICT } from '../share/follower.js';
import { settleGroup } from '../share/overlay.js';
import { TurnGroup } from '../share/turn_group.js';
import { randomId } from '../share/protocol.js';
import { CAS_FAILED, CAS_UNCERTAIN } from './nats_stream.js';
import { Snapshots, readManifest } from './snapshots.js';

const EMPTY = new Uint8Array(0);
// How often an open tries again when a compaction purged the snapshot it was reading.
const JOIN_ATTEMPTS = 5;
// How many of its own messages' sequences a map remembers for its updates.
const MINE_KEPT = 1024;

export class StreamDriver {
  state = 'open';
  failure = null;
  /** This client's id in the log's tagged records. */
  client = randomId();

  #name;
  #core;
  #overlay;
  #stream;
  #snapshots;
  #hooks;
  #compaction;
  #groups;
  #pending = []; // groups cut, not yet settled, in seq order
  #queue = []; // groups cut, not yet published
  #publishing = false;
  #position = 0; // stream sequence of the last message applied
  #waiters = []; // { seq, resolve, reject }: until #position >= seq
  #stopConsumer = null;
  #resyncing = false;
  #mine = new Set(); // stream sequences of this map's own log messages (the latest)
  #refusals = 0; // this map's write groups refused so far
  #since = { bytes: 0, records: 0, live: 0 }; // log applied since the latest snapshot, for automatic compaction
  #compacting = null;

  /**
   * `stream`: a NatsStream; `hooks`: remote(apply), reloaded(), error(err)
   * as FollowerDriver's.
   */
  constructor(name, core, overlay, stream, options, hooks) {
    this.#name = name;
    this.#core = core;
    this.#overlay = overlay;
    this.#stream = stream;
    this.#snapshots = new Snapshots(stream, this.client);
    this.#hooks = hooks;
    this.#compaction = options.compaction;
    // A tagged record adds a few bytes per operation (docs/FORMAT.md):
    // a third of the limit leaves room for them in every case.
    this.#groups = new TurnGroup(Math.floor(options.maxRecordSize / 3), () => this.#cut());
  }

  core() {
    return this.#core;
  }

  /** Loads the latest snapshot and the stream after it; resolves once this map is current. */
  async join() {
    for (let attempt = 1; ; attempt++) {
      if (await this.#load()) break;
      if (attempt === JOIN_ATTEMPTS) throw new PersistentMapError('UNAVAILABLE', `${this.#name}: compactions kept purging the snapshot this open was reading; try again`);
    }
    this.#hooks.reloaded();
    await this.#consume();
    await this.refresh();
  }

  // Replaces the core with the latest snapshot (or an empty state);
  // false if a compaction purged it while it was read.
  async #load() {
    const manifest = await this.#snapshots.latest();
    const bytes = manifest === null ? EMPTY : await this.#snapshots.load(manifest);
    if (bytes === null) return false;
    const report = this.#core.recover(bytes);
    if (!report.ok || report.damaged.length > 0) {
      throw statusError(report.ok ? { ok: false, code: 'CORRUPT', message: 'the snapshot is damaged' } : report, `${this.#name}: the snapshot of stream message ${manifest?.seq}`);
    }
    this.#core.commit(EMPTY, 'drop'); // a new store's header: the stream has no file to write it to
    this.#position = manifest?.covers ?? 0;
    this.#since = { bytes: 0, records: this.#core.stats().totalRecords, live: this.#core.size() };
    return true;
  }

  async #consume() {
    this.#stopConsumer = await this.#stream.consume(this.#position + 1, (seq, subject, data) => this.#onMessage(seq, subject, data), () => this.#waiters.length > 0);
  }

  checkWritable() {
    checkWritable(this.#name, this.state, this.failure);
  }

  /** The operations of this turn's group (share/turn_group.js). */
  get ops() {
    return this.#groups.ops;
  }

  /** The seq of the group the next write joins (share/turn_group.js). */
  groupFor(bytes, alone = false) {
    return this.#groups.groupFor(bytes, alone);
  }

  /** Issues the writes queued so far: the promise of their group (or of the writes before). */
  commit() {
    if (this.#groups.open !== null) return this.#groups.open.promise;
    const last = this.#pending[this.#pending.length - 1];
    return last === undefined ? Promise.resolve() : last.promise.catch(() => {}).then(() => this.#settledEarlier());
  }

  // A write that queued nothing settles with the ones before it; if those
  // failed, so does it.
  #settledEarlier() {
    if (this.state !== 'open') this.checkWritable();
  }

  /** Where this map's reads are: the condition of an update read now. */
  position() {
    return { at: this.#position, refusals: this.#refusals };
  }

  // The stream sequence an update read at `cond` is appended after, or null
  // if it must be refused now.
  #expected(cond) {
    if (cond.refusals !== this.#refusals) return null;
    let last = cond.at;
    while (this.#mine.has(last + 1)) last++;
    return last;
  }

  /**
   * Issues the update queued as the only write of its group, refused with
   * CONFLICT if the stream moved on after `cond` (from position()).
   */
  commitConditional(key, cond) {
    const group = this.#groups.open;
    group.cond = cond;
    this.#cut();
    return group.promise;
  }

  /** Closes the group of this turn: its records go out with the next message. */
  #cut() {
    const group = this.#groups.close(() => this.commit());
    if (group === null) return;
    const tagged = new OpWriter();
    try {
      tagged.tagged(this.client, group.seq, group.ops);
      group.records = this.#core.encode(tagged.take());
    } catch (err) {
      settleGroup(this.#overlay, this.#hooks, group.seq, true);
      group.reject(err);
      return;
    }
    this.#pending.push(group);
    this.#queue.push(group);
    this.#pump();
  }

  // Publishes the queued groups, one message at a time.
  async #pump() {
    if (this.#publishing) return;
    this.#publishing = true;
    while (this.#queue.length > 0 && this.state === 'open') {
      await this.#publish(this.#takeMessage());
    }
    this.#publishing = false;
  }

  // The groups of the next message: an update's alone, else as many as fit.
  #takeMessage() {
    const first = this.#queue.shift();
    const groups = [first];
    let bytes = first.records.length;
    while (first.cond === undefined && this.#queue.length > 0) {
      const next = this.#queue[0];
      if (next.cond !== undefined || bytes + next.records.length > this.#stream.maxRecordSize) break;
      bytes += next.records.length;
      groups.push(this.#queue.shift());
    }
    return groups;
  }

  async #publish(groups) {
    const bytes = groups.length === 1 ? groups[0].records : concat(groups.map((g) => g.records), groups.reduce((n, g) => n + g.records.length, 0));
    const cond = groups[0].cond;
    let seq;
    try {
      const lastSeq = cond === undefined ? undefined : this.#expected(cond);
      if (lastSeq === null) throw CAS_FAILED;
      seq = await this.#stream.publish(bytes, { msgID: `${this.client}:${groups[0].seq}`, lastSeq });
    } catch (err) {
      const error = err === CAS_UNCERTAIN ? await this.#inStream(groups[0]) : err === CAS_FAILED ? CONFLICT : err;
      if (error === null) {
        this.#settle(groups[0], null);
        return;
      }
      this.#refusals++;
      for (const g of groups) this.#settle(g, error);
      return;
    }
    this.#noteMine(seq);
    this.#reach(seq).then(() => {
      for (const g of groups) this.#settle(g, null);
    }, (err) => {
      for (const g of groups) this.#settle(g, err);
    });
  }

  // An update whose first try went unanswered and whose next was refused:
  // null if the first reached the stream (the map has its record once it
  // has read the stream to its end), else CONFLICT.
  async #inStream(group) {
    try {
      await this.refresh();
    } catch (err) {
      return err;
    }
    return this.#core.clientSeq(this.client) >= group.seq ? null : CONFLICT;
  }

  #noteMine(seq) {
    this.#mine.add(seq);
    if (this.#mine.size <= MINE_KEPT) return;
    // Updates read before the oldest kept are refused, and tried again.
    for (const m of this.#mine) {
      if (this.#mine.size <= MINE_KEPT / 2) break;
      this.#mine.delete(m);
    }
  }

  #settle(group, error) {
    const i = this.#pending.indexOf(group);
    if (i >= 0) this.#pending.splice(i, 1);
    settleGroup(this.#overlay, this.#hooks, group.seq, error !== null);
    if (error === null) group.resolve();
    else group.reject(error);
  }

  // Resolves once this map has applied the stream up to `seq`.
  #reach(seq) {
    if (this.#position >= seq) return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
  }

  // A message of the stream, in order; returns false to stop the consumer.
  #onMessage(seq, subject, data) {
    if (this.state === 'failed' || this.#resyncing) return false;
    if (seq <= this.#position) return true; // delivered again after a reconnection
    if (seq !== this.#position + 1) {
      // A gap: a compaction purged messages this map had not read yet.
      this.#resync(seq);
      return false;
    }
    const names = this.#stream.names;
    try {
      if (subject === names.log) this.#apply(seq, data);
      else if (subject === names.snap) this.#snapshotSeen(seq, data);
      else if (subject !== names.chunk) throw new PersistentMapError('CORRUPT', `message ${seq} of the JetStream stream ${names.stream} is on the subject ${subject}, which is not one of this store's`);
    } catch (err) {
      this.#fail(err);
      return false;
    }
    this.#position = seq;
    this.#wake();
    return true;
  }

  #apply(seq, data) {
    let mine = false;
    try {
      this.#hooks.remote(() => {
        const events = [];
        this.#core.follow(data, (kind, key, client) => {
          mine ||= client === this.client;
          events.push({ type: kind, key, mine: client === this.client });
        });
        return events;
      });
    } catch (err) {
      const stream = this.#stream.names.stream;
      throw new PersistentMapError(err.code === 'INVALID' ? 'INVALID' : 'CORRUPT', `message ${seq} of the JetStream stream ${stream} is not a run of this store's log records (${err.message}); something other than persistent-map writes to its log subject. Remove that message (nats stream rmm ${stream} ${seq}) and open the store again`, { cause: err });
    }
    this.#since.bytes += data.length;
    if (mine) this.#compactIfDue();
  }

  // Another snapshot (checked that it is one): the log since it starts anew.
  #snapshotSeen(seq, data) {
    readManifest(this.#stream.names.stream, { seq, data });
    const s = this.#core.stats();
    this.#since = { bytes: 0, records: s.totalRecords, live: s.liveRecords };
  }

  // Automatic compaction, by the client whose own write made it due: the
  // log since the latest snapshot holds at least minBytes and, with the
  // snapshot's entries, `ratio` times as many records as there are entries.
  #compactIfDue() {
    const c = this.#compaction;
    if (!c.auto || this.#compacting !== null || this.#since.bytes < c.minBytes) return;
    const s = this.#core.stats();
    const total = this.#since.live + (s.totalRecords - this.#since.records);
    if (s.liveRecords > 0 && total < c.ratio * s.liveRecords) return;
    this.compact().catch((err) => this.#hooks.error(err));
  }

  #wake() {
    if (this.#waiters.length === 0) return;
    const still = [];
    for (const w of this.#waiters) {
      if (w.seq <= this.#position) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  // Starts again from the latest snapshot, which must cover the messages
  // before `seq` that are gone.
  async #resync(seq) {
    this.#resyncing = true;
    this.#stopConsumer?.();
    try {
      for (let attempt = 1; !(await this.#load()); attempt++) {
        if (attempt === JOIN_ATTEMPTS) throw new PersistentMapError('UNAVAILABLE', `${this.#name}: compactions kept purging the snapshot this map was reading`);
      }
      if (this.#position < seq - 1) {
        const stream = this.#stream.names.stream;
        throw new PersistentMapError('CORRUPT', `${this.#name}: messages ${this.#position + 1} to ${seq - 1} of the JetStream stream ${stream} are gone and no snapshot covers them (removed by something other than persistent-map)`);
      }
      this.#hooks.reloaded();
      this.#resyncing = false;
      this.#wake();
      await this.#consume();
    } catch (err) {
      this.#resyncing = false;
      this.#fail(err);
    }
  }

  /** Resolves once this map reflects every write sequenced before the call. */
  async refresh() {
    this.#cut();
    await this.#reach(await this.#stream.lastSeq());
  }

  /** Resolves once every write issued before is in the stream (relaxed and strict alike: see README). */
  async flush() {
    this.checkWritable();
    await this.commit();
  }

  /**
   * Stores a snapshot of the state at this map's position and purges the
   * log it replaces (snapshots.js); resolves (to nothing) also when
   * another server's compaction came first.
   */
  compact() {
    this.checkWritable();
    this.#compacting ??= this.#compact().finally(() => {
      this.#compacting = null;
    });
    return this.#compacting;
  }

  async #compact() {
    await this.refresh();
    const prev = await this.#snapshots.latest();
    const covers = this.#position;
    const bytes = this.#core.encodeSnapshot();
    await this.#snapshots.store(bytes, covers, prev);
  }

  #fail(error) {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = error;
    this.#stopConsumer?.();
    this.#cut();
    for (const g of this.#pending.splice(0)) {
      settleGroup(this.#overlay, this.#hooks, g.seq, true);
      g.reject(error);
    }
    this.#queue = [];
    for (const w of this.#waiters.splice(0)) w.reject(error);
    this.#hooks.error(error);
  }

  /** Waits for every write to settle (the error of the first that failed, if any). */
  async close() {
    let error = null;
    if (this.state === 'open') {
      try {
        await this.commit();
        if (this.#pending.length > 0) await Promise.allSettled(this.#pending.map((g) => g.promise));
        await this.#compacting?.catch(() => {});
      } catch (err) {
        error = err;
      }
    }
    return error;
  }

  async release() {
    this.state = 'closed';
    this.#stopConsumer?.();
    for (const w of this.#waiters.splice(0)) w.reject(new PersistentMapError('CLOSED', `${this.#name} is closed`));
    await this.#stream.close();
  }
}

function concat(parts, length) {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
