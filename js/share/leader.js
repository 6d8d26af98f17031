// The leader of a shared store: the process that holds the store's lock and
// owns its backend. Its log driver (map/log_driver.js) stays in charge of
// the log; this puts its followers' writes into the driver's order, sends
// every record the log gets to every follower, in order and as the log's
// own bytes, hands a joining follower the state as a snapshot, and decides
// the followers' atomic updates (compare and set). See protocol.js.

import { OpWriter } from '../op_writer.js';
import { describeForPosting } from '../errors.js';
import { MAX_FRAME, checkFromFollower, protocolError, randomId } from './protocol.js';
import { opEvents } from './op_events.js';

// Writes remembered for the followers' updates; past this many keys the
// memory is dropped, and an update read before that is retried.
const HISTORY_KEYS = 1 << 16;

export class Leader {
  /** Identifies this leader's term: a follower's reads are positioned in it. */
  term = randomId();
  #driver;
  #core;
  #hooks;
  #followers = new Set(); // { conn, client, live }
  #joiners = new Set(); // followers waiting for a snapshot
  #prepared = null; // { bytes, tick, followers }: a snapshot waiting for its records' append
  #tick = 0; // writes sequenced (a follower's group, or one of ours)
  #takenTick = 0; // the tick of the records in flight to the backend
  #history = new Map(); // key -> { tick, client }: the last write to it
  #cleared = { tick: 0, client: null };
  #horizon = 0; // writes up to this tick are not in #history
  #ops = new OpWriter();
  #closed = false;
  #upgrade = null; // a log of format version 1 being compacted into version 2

  /**
   * `hooks.remote(apply)`: a follower's writes are about to change the
   * core (apply() does it and returns their events; the map refreshes its
   * reads around it and reports them). `hooks.pid`: this process, for followers' messages.
   */
  constructor(driver, core, hooks) {
    this.#driver = driver;
    this.#core = core;
    this.#hooks = hooks;
  }

  /** How many followers are connected. */
  get clients() {
    return this.#followers.size;
  }

  /** A follower connected (its transport connection). */
  attach(conn) {
    if (this.#closed) {
      conn.close();
      return;
    }
    const f = { conn, client: null, live: false };
    conn.onmessage = (msg, bytes) => {
      if (this.#closed) return; // closing: the next leader takes it
      try {
        checkFromFollower(msg, bytes);
        this.#onMessage(f, msg, bytes);
      } catch (err) {
        conn.close(err);
      }
    };
    conn.onclose = () => {
      this.#followers.delete(f);
      this.#joiners.delete(f);
    };
  }

  #onMessage(f, msg, bytes) {
    if (msg.t === 'hello') {
      if (f.client !== null) throw protocolError('a second hello');
      f.client = msg.client;
      f.conn.maxFrame = MAX_FRAME;
      if (this.#followers.size === 0) this.#forget(); // nobody could have read what came before
      this.#followers.add(f);
      f.conn.send({ t: 'welcome', protocol: msg.protocol, term: this.term, pid: this.#hooks.pid });
      this.#joiners.add(f);
      this.#driver.commit().catch(() => {}); // a turn of the drain, which takes the snapshot
      if (this.#core.formatVersion() < 2 && this.#upgrade === null) {
        // Tagged records need version 2 (docs/FORMAT.md): a compaction
        // rewrites the log in it, before the first follower's write.
        this.#upgrade = this.#driver.compact().catch(() => {});
        this.#upgrade.then(() => {
          this.#upgrade = null;
        });
      }
      return;
    }
    if (f.client === null) throw protocolError(`${msg.t} before hello`);
    const handle = () => (msg.t === 'write' ? this.#write(f, msg, bytes) : this.#sync(f, msg));
    if (this.#upgrade === null) handle();
    else this.#upgrade.then(handle); // in order, after the upgrade
  }

  // A follower's write group: logged once (a group the log already has,
  // sent again after a failover, is only acknowledged), checked against its
  // condition, then put in the log's order, after every write before it.
  #write(f, msg, ops) {
    const ack = (extra = {}) => f.conn.send({ t: 'ack', seq: msg.seq, ...extra });
    const fail = (err) => ack({ error: describeForPosting(err, 'the leader could not write') });
    if (this.#core.clientSeq(f.client) >= msg.seq) {
      this.#driver.commit().then(() => ack(), fail);
      return;
    }
    if (msg.cond !== undefined && this.#conflicts(f.client, msg.cond)) {
      ack({ conflict: true });
      return;
    }
    this.#ops.tagged(f.client, msg.seq, ops);
    const tagged = this.#ops.take();
    let events;
    let done;
    try {
      events = opEvents(ops);
      this.#hooks.remote(() => {
        done = this.#driver.commitNow(tagged, `a write of client ${f.client}`);
        return events;
      });
    } catch (err) {
      fail(err);
      return;
    }
    const tick = ++this.#tick;
    for (const e of events) {
      if (e.type === 'clear') this.#cleared = { tick, client: f.client };
      else for (const key of e.keys ?? [e.key]) this.#note(key, tick, f.client);
    }
    // Acknowledged once stored where the leader's crash cannot undo it: the
    // follower keeps the write to send again until then.
    (msg.strict ? done.then(() => this.#driver.flush()) : done.then(() => this.#driver.written())).then(() => ack(), fail);
  }

  #sync(f, msg) {
    let done = this.#driver.commit();
    if (msg.strict) done = done.then(() => this.#driver.flush());
    if (msg.compact) done = done.then(() => this.#driver.compact());
    done.then(() => f.conn.send({ t: 'synced', id: msg.id }),
      (err) => f.conn.send({ t: 'synced', id: msg.id, error: describeForPosting(err, 'the leader could not sync') }));
  }

  // Whether a write to cond.key by another client was sequenced after the
  // follower read it (at cond.tick of cond.term).
  #conflicts(client, { key, term, tick }) {
    if (term !== this.term || tick < this.#horizon) return true;
    const last = this.#history.get(key);
    if (last !== undefined && last.tick > tick && last.client !== client) return true;
    return this.#cleared.tick > tick && this.#cleared.client !== client;
  }

  #note(key, tick, client) {
    if (this.#history.size >= HISTORY_KEYS) this.#forget();
    this.#history.set(key, { tick, client });
  }

  #forget() {
    this.#history.clear();
    this.#horizon = this.#tick;
  }

  /** This map wrote `key` (null: cleared); noted only while followers may update. */
  wrote(key) {
    if (this.#followers.size === 0) return;
    const tick = ++this.#tick;
    if (key === null) this.#cleared = { tick, client: null };
    else this.#note(key, tick, null);
  }

  // ---- the log driver's hooks ----

  /**
   * The driver took the core's log bytes (`some`: there are any, and they
   * go to the backend now): the core holds exactly what the log will. A
   * snapshot for joining followers is taken here, and sent once those bytes
   * are in the log.
   */
  taken(some) {
    this.#takenTick = this.#tick;
    if (this.#joiners.size > 0 && this.#prepared === null) {
      this.#prepared = { bytes: this.#core.encodeSnapshot(), tick: this.#tick, followers: [...this.#joiners] };
      this.#joiners.clear();
    }
    if (!some) this.#deliver();
  }

  /** The bytes taken last are in the backend's log: every follower gets them. */
  appended(bytes) {
    const msg = { t: 'records', tick: this.#takenTick }; // one message for all: transports encode it once
    for (const f of this.#followers) {
      if (f.live) f.conn.send(msg, bytes);
    }
    this.#deliver();
  }

  /**
   * The core was rebuilt from the log (a failed write rolled back), or the
   * log replaced by a snapshot that no records describe (a large import):
   * every follower starts again from a snapshot.
   */
  resync() {
    if (this.#prepared !== null) {
      for (const f of this.#prepared.followers) this.#joiners.add(f);
      this.#prepared = null;
    }
    for (const f of this.#followers) {
      if (f.live) {
        f.live = false;
        this.#joiners.add(f);
      }
    }
    if (this.#joiners.size > 0) this.#driver.commit().catch(() => {});
  }

  #deliver() {
    const p = this.#prepared;
    if (p === null) return;
    this.#prepared = null;
    for (const f of p.followers) {
      if (f.conn.closed) continue;
      f.conn.send({ t: 'snapshot', tick: p.tick }, p.bytes);
      f.live = true;
    }
  }

  /**
   * Takes no more writes: what followers send from now on goes to the next
   * leader, and what was taken is answered as the driver writes it.
   */
  stop() {
    this.#closed = true;
  }

  /** Disconnects every follower (once the driver has written everything). */
  close() {
    this.#closed = true;
    for (const f of this.#followers) f.conn.end();
    this.#followers.clear();
    this.#joiners.clear();
  }
}
