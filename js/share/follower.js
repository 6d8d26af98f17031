// The driver of a shared store's follower: the map's writes go to the
// leader as write groups (the operation stream of one turn of the event
// loop, as a leader's driver makes one backend write of it), and the log's
// records come back from it; the core applies exactly those. The map shows
// its own writes at once through its overlay (overlay.js) until their
// acknowledgement arrives. When the leader goes away, the follower takes
// the store's lock and leads, or joins whoever did, and sends again every
// group not acknowledged: the leader logs each group once (its client id
// and sequence number are in the log). See protocol.js.

import { PersistentMapError, errorFromWorker, statusError } from '../errors.js';
import { checkWritable } from '../map/write_groups.js';
import { settleGroup } from './overlay.js';
import { TurnGroup } from './turn_group.js';
import { PROTOCOL, checkFromLeader, randomId } from './protocol.js';

/** Why an update's write was refused: another write to its key came first. */
export const CONFLICT = Symbol('conflict');

/**
 * How long an open waits for a leader that holds the lock but does not
 * listen: it is starting, or it does not share the store.
 */
export const JOIN_PATIENCE_MS = 3000;

/**
 * How long a follower waits for a leader that does not answer before it
 * takes the store over (where the transport can: tabs, whose leader may be
 * frozen or hung; a process that hangs still holds its socket).
 */
export const HANG_MS = 3000;

function hung(name) {
  return Object.assign(new PersistentMapError('IO', `the leader of store ${name} did not answer for ${HANG_MS} ms`), { hung: true });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class FollowerDriver {
  state = 'open';
  failure = null;
  /** This client's id in the log's tagged records. */
  client = randomId();

  #name;
  #core;
  #overlay;
  #sharing;
  #hooks;
  #strict;
  #groups;
  #pending = []; // groups cut, not yet acknowledged, in seq order
  #conn = null;
  #term = null;
  #tick = 0; // position of the last record applied, in the leader's term
  #joined = null; // { resolve, reject } while (re)joining
  #syncs = new Map(); // id -> { msg, resolve, reject }
  #syncId = 0;
  #heard = 0; // when the leader was last heard from, or asked something while idle
  #watchdog = null; // the timer that looks for a hung leader, while one is waited for

  /**
   * `sharing`: { connect(), tryLead({ steal }), canDepose } (the transport
   * and the backend);
   * `hooks`: remote(apply), reloaded(), settled(keys) (keys whose reads
   * changed when a pending write left the overlay), promote(lead, handOver) (this
   * follower took the lock: lead from `lead`, { backend, bytes }, and call
   * handOver() for its unfinished business once ready), error(err).
   */
  constructor(name, core, overlay, sharing, options, hooks) {
    this.#name = name;
    this.#core = core;
    this.#overlay = overlay;
    this.#sharing = sharing;
    this.#hooks = hooks;
    this.#strict = options.durability === 'strict';
    // A tagged record adds a few bytes per operation (docs/FORMAT.md):
    // a third of the limit leaves room for them in every case.
    this.#groups = new TurnGroup(Math.floor(options.maxRecordSize / 3), () => this.#cut());
  }

  core() {
    return this.#core;
  }

  /** Joins the leader at `conn`; resolves once this follower has the state. */
  join(conn) {
    return new Promise((resolve, reject) => {
      this.#joined = { resolve, reject };
      this.#attach(conn);
    });
  }

  checkWritable() {
    checkWritable(this.#name, this.state, this.failure);
  }

  /** The operations of this turn's group (turn_group.js). */
  get ops() {
    return this.#groups.ops;
  }

  /** The seq of the group the next write joins (turn_group.js). */
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

  /** Where this follower's reads are: the condition of an update read now. */
  position() {
    return { term: this.#term ?? '', tick: this.#tick };
  }

  /**
   * Issues the update queued as the only write of its group, refused with
   * CONFLICT if `key` was written by another client after `cond` (from
   * position()).
   */
  commitConditional(key, cond) {
    const group = this.#groups.open;
    group.cond = { key, term: cond.term, tick: cond.tick };
    this.#cut();
    return group.promise;
  }

  /** Closes the group of this turn (the writes before an update, or a full group). */
  #cut() {
    const group = this.#groups.close(() => this.commit());
    if (group === null) return;
    this.#waiting();
    this.#pending.push(group);
    this.#send(group);
  }

  #send(group) {
    this.#conn?.send({ t: 'write', seq: group.seq, strict: this.#strict, cond: group.cond }, group.ops);
    this.#conn?.keepAlive(true);
  }

  // Something is asked of the leader: if it stays silent for HANG_MS, it
  // is deposed (where the transport can take a store over).
  #waiting() {
    if (this.#sharing.canDepose !== true) return;
    if (this.#pending.length === 0 && this.#syncs.size === 0) this.#heard = Date.now(); // asked while idle
    this.#watchdog ??= setInterval(() => {
      if (this.#pending.length === 0 && this.#syncs.size === 0) {
        this.#stopWatchdog();
      } else if (this.#conn !== null && Date.now() - this.#heard > HANG_MS) {
        this.#conn.close(hung(this.#name)); // #lost: rejoin, deposing it
      }
    }, HANG_MS / 4);
  }

  #stopWatchdog() {
    clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  /** Resolves once this map reflects every write sequenced before the call. */
  refresh() {
    return this.#sync({});
  }

  flush() {
    this.checkWritable();
    return this.#sync({ strict: true });
  }

  compact() {
    this.checkWritable();
    return this.#sync({ compact: true });
  }

  #sync(what) {
    this.#cut();
    const id = ++this.#syncId;
    const msg = { t: 'sync', id, ...what };
    return new Promise((resolve, reject) => {
      this.#waiting();
      this.#syncs.set(id, { msg, resolve, reject });
      this.#conn?.send(msg);
      this.#conn?.keepAlive(true);
    });
  }

  #attach(conn) {
    this.#conn = conn;
    this.#term = null;
    conn.onmessage = (msg, bytes) => {
      this.#heard = Date.now();
      try {
        checkFromLeader(msg);
        this.#onMessage(msg, bytes);
      } catch (err) {
        conn.close(err);
      }
    };
    conn.onclose = (err) => this.#lost(conn, err);
    conn.keepAlive(true); // until the snapshot is in
    conn.send({ t: 'hello', protocol: PROTOCOL, client: this.client, pid: this.#sharing.pid });
  }

  #onMessage(msg, bytes) {
    switch (msg.t) {
      case 'welcome':
        this.#term = msg.term;
        return;
      case 'snapshot':
        this.#snapshot(msg, bytes);
        return;
      case 'records':
        this.#records(msg, bytes);
        return;
      case 'ack':
        this.#ack(msg);
        return;
      default:
        this.#synced(msg);
    }
  }

  // The state as of msg.tick replaces the core: on joining, the first
  // thing a follower gets, and then its unacknowledged writes go out again.
  #snapshot(msg, bytes) {
    const report = this.#core.recover(bytes);
    if (!report.ok) throw statusError(report, `${this.#name}: the leader's snapshot`);
    this.#tick = msg.tick;
    this.#hooks.reloaded();
    const joined = this.#joined;
    this.#joined = null;
    for (const group of this.#pending) this.#send(group);
    for (const { msg: sync } of this.#syncs.values()) this.#conn.send(sync);
    this.#idle();
    joined?.resolve();
  }

  #records(msg, bytes) {
    this.#hooks.remote(() => {
      const events = [];
      this.#core.follow(bytes, (kind, key, client) => {
        events.push({ type: kind, key, mine: client === this.client });
      });
      return events;
    });
    this.#tick = msg.tick;
  }

  #ack(msg) {
    const i = this.#pending.findIndex((g) => g.seq === msg.seq);
    if (i < 0) return;
    const [group] = this.#pending.splice(i, 1);
    settleGroup(this.#overlay, this.#hooks, group.seq, msg.conflict || msg.error !== undefined);
    this.#idle();
    if (msg.conflict) group.reject(CONFLICT);
    else if (msg.error) group.reject(errorFromWorker(msg.error));
    else group.resolve();
  }

  #synced(msg) {
    const sync = this.#syncs.get(msg.id);
    if (sync === undefined) return;
    this.#syncs.delete(msg.id);
    this.#idle();
    if (msg.error) sync.reject(errorFromWorker(msg.error));
    else sync.resolve();
  }

  #idle() {
    if (this.#pending.length === 0 && this.#syncs.size === 0) this.#conn?.keepAlive(false);
  }

  // The leader went away (closed, died, or dropped us): lead, or join the
  // next leader.
  #lost(conn, err) {
    if (this.#conn !== conn) return;
    this.#conn = null;
    if (this.state !== 'open') return;
    if (this.#joined !== null && err?.code === 'CORRUPT') {
      this.#fail(err); // the leader speaks another protocol: do not loop
      return;
    }
    this.#rejoin(err?.hung === true);
  }

  // Leads or joins the next leader; `depose`: the last one hung, take the
  // store from it unless another leader answers.
  async #rejoin(depose) {
    for (let delay = 1; this.state === 'open'; delay = Math.min(delay * 2, 50)) {
      try {
        const lead = await this.#sharing.tryLead({ steal: depose });
        if (lead !== null) {
          if (this.state === 'open') await this.#hooks.promote(lead, () => this.#handOver());
          else await lead.backend.close(); // closed meanwhile
          return;
        }
        const conn = await this.#sharing.connect();
        if (conn !== null) {
          if (this.state === 'open') this.#attach(conn);
          else conn.close();
          return;
        }
      } catch (err) {
        this.#fail(err);
        return;
      }
      await sleep(delay);
    }
  }

  /**
   * Gives up the follower's part to a new leader (this process): the
   * groups not acknowledged (each { seq, ops, promise's resolve/reject }),
   * the syncs waiting, and every write queued since.
   */
  #handOver() {
    this.#cut();
    this.#stopWatchdog();
    this.state = 'closed';
    const pending = this.#pending.splice(0);
    const syncs = [...this.#syncs.values()];
    this.#syncs.clear();
    this.#joined?.resolve(); // an open that was joining has its map: it leads
    this.#joined = null;
    return { client: this.client, pending, syncs };
  }

  #fail(error) {
    if (this.state !== 'open') return;
    this.#stopWatchdog();
    this.state = 'failed';
    this.failure = error;
    this.#cut();
    for (const g of this.#pending.splice(0)) {
      settleGroup(this.#overlay, this.#hooks, g.seq, true);
      g.reject(error);
    }
    for (const s of this.#syncs.values()) s.reject(error);
    this.#syncs.clear();
    this.#joined?.reject(error);
    this.#joined = null;
    this.#hooks.error(error);
  }

  /** Waits for every write to be acknowledged (the error of the first that failed, if any). */
  async close() {
    let error = null;
    if (this.state === 'open') {
      try {
        await this.commit();
        if (this.#pending.length > 0) await Promise.allSettled(this.#pending.map((g) => g.promise));
      } catch (err) {
        error = err;
      }
    }
    return error;
  }

  async release() {
    this.#stopWatchdog();
    this.state = 'closed';
    const conn = this.#conn;
    this.#conn = null;
    conn?.close();
  }
}
