// A map's part in a shared store: which role it has (leader or follower),
// how it joins, and how a follower becomes the leader when the one it
// followed is gone. The transport (unix_socket.js in Node) is given by the
// environment through the backend registry (transportOf).

import { OpWriter } from '../op_writer.js';
import { PersistentMapError } from '../errors.js';
import { makeBackend } from '../map/registry.js';
import { CONFLICT, FollowerDriver, JOIN_PATIENCE_MS } from './follower.js';
import { Leader } from './leader.js';

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Sharing {
  /** The Leader, while this map leads. */
  leader = null;
  /** The FollowerDriver, while this map follows. */
  follower = null;
  #name;
  #options;
  #transport;
  #server = null;
  #deposed = null; // releases the transport's deposing lock

  /**
   * @param {string} name
   * @param {object} options the checked open options
   * @param {{ pid, connect(), listen(onConnection) }} transport
   */
  constructor(name, options, transport) {
    this.#name = name;
    this.#options = options;
    this.#transport = transport;
  }

  /**
   * Opens the store while another process holds its lock: as a follower of
   * its leader, or as the leader if the lock comes free. `make` builds the
   * map: follower(core, sharing), leader({ backend, bytes }), core().
   */
  static async join(name, options, transport, make) {
    const sharing = new Sharing(name, options, transport);
    const deadline = Date.now() + JOIN_PATIENCE_MS;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const conn = await transport.connect();
      if (conn !== null) {
        const core = make.core();
        try {
          const map = make.follower(core, sharing);
          await sharing.follower.join(conn);
          return map;
        } catch (err) {
          conn.close();
          core.delete();
          throw err;
        }
      }
      const lead = await sharing.tryLead();
      if (lead !== null) return make.leader(lead);
      if (Date.now() > deadline) {
        throw new PersistentMapError('LOCKED', `store ${name} is locked by a process that does not share it (it was opened with { exclusive: true }, or by the native library); close it there first`);
      }
      await sleep(delay);
    }
  }

  /**
   * Opens the backend if its lock is free: { backend, bytes }, or null.
   * With `steal`, the leader hung: takes the store from it, unless a leader
   * answers (another follower took it first). One follower at a time
   * (transport.deposing), until the new leader listens.
   */
  async tryLead({ steal = false } = {}) {
    if (steal) return this.#depose();
    const { backend } = await makeBackend(this.#name, { ...this.#options, wait: false });
    try {
      return { backend, bytes: await backend.open() };
    } catch (err) {
      if (err.code === 'LOCKED') return null;
      throw err;
    }
  }

  async #depose() {
    const release = await this.#transport.deposing();
    try {
      if (await this.#transport.leaderAnswers()) {
        release();
        return null;
      }
      const { backend } = await makeBackend(this.#name, { ...this.#options, wait: false, steal: true });
      const lead = { backend, bytes: await backend.open() };
      this.#deposed = release; // held until this map listens as the leader
      return lead;
    } catch {
      // The old leader's storage is not free yet (its page is frozen with
      // the file open): try again later, as a follower.
      release();
      return null;
    }
  }

  get role() {
    return this.leader !== null ? 'leader' : 'follower';
  }

  /** Followers connected (leader), or null (follower). */
  get clients() {
    return this.leader?.clients ?? null;
  }

  /** This map leads: its log driver `driver` over `core`; `remote` as Leader's hooks.remote. */
  lead(driver, core, remote) {
    this.follower = null;
    this.leader = new Leader(driver, core, { remote, pid: this.#transport.pid });
  }

  /** Takes followers from now on. */
  async listen() {
    try {
      this.#server = await this.#transport.listen((conn) => this.leader.attach(conn));
    } finally {
      this.#deposed?.();
      this.#deposed = null;
    }
  }

  /** This map follows: its driver (hooks as FollowerDriver's). */
  follow(core, overlay, hooks) {
    const sharing = {
      pid: this.#transport.pid,
      canDepose: typeof this.#transport.deposing === 'function',
      connect: () => this.#transport.connect(),
      tryLead: (how) => this.tryLead(how),
    };
    this.follower = new FollowerDriver(this.#name, core, overlay, sharing, this.#options, hooks);
    return this.follower;
  }

  /**
   * A follower became the leader (`driver` its new log driver): the writes
   * it had sent and not seen acknowledged are logged now, unless the log
   * already has them (the old leader logged them and died before saying
   * so), in their order; an update among them is tried again by its caller.
   */
  static replay(driver, core, { client, pending, syncs }) {
    const ops = new OpWriter();
    for (const g of pending) {
      if (g.ops.length === 0 || core.clientSeq(client) >= g.seq) {
        driver.commit().then(g.resolve, g.reject);
      } else if (g.cond !== undefined) {
        g.reject(CONFLICT); // read under the old leader
      } else {
        try {
          ops.tagged(client, g.seq, g.ops);
          driver.commitNow(ops.take()).then(g.resolve, g.reject);
        } catch (err) {
          g.reject(err);
        }
      }
    }
    for (const s of syncs) {
      let done = driver.commit();
      if (s.msg.strict) done = done.then(() => driver.flush());
      if (s.msg.compact) done = done.then(() => driver.compact());
      done.then(s.resolve, s.reject);
    }
  }

  /** The map is closing: no new followers, and no new writes from them. */
  stop() {
    this.leader?.stop();
    this.#server?.close();
    this.#server = null;
  }

  /** The map has written everything: the followers go (and elect the next leader). */
  close() {
    this.leader?.close();
  }
}
