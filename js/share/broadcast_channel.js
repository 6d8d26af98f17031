// The transport of a shared store between the tabs and workers of an
// origin: one BroadcastChannel per store, on which every map of the store
// has an endpoint with a random id. A BroadcastChannel cannot carry
// MessagePorts, and two tabs have no other common channel without a
// SharedWorker (which this must not need), so a connection is virtual:
// a pair of ids, and messages addressed to them. The leader sends what goes
// to several followers (the log's records) once, addressed to all of them.
//
// Who is alive is what Web Locks say: every endpoint holds a lock named
// after its id while it lives, and the other end of each connection waits
// for that lock. The browser releases a tab's locks when it closes or
// crashes, so the wait is granted exactly when the peer is gone, and the
// connection closes as a socket would. (The store's own lock, taken by the
// backend, elects the leader.)
//
// On the channel:
//   { k: 'connect', from }                  a follower looks for the leader
//   { k: 'accept', to, from }               the leader answers
//   { k: 'data', from, items: [{ to: [ids], msg, bytes }] }
//                                           protocol.js messages, in order: what
//                                           an endpoint sends in one turn
//   { k: 'bye', to, from }                  the sender closed the connection

import { PersistentMapError } from '../errors.js';
import { protocolError, randomId } from './protocol.js';

const PEER_LOCK = 'persistent-map-peer:';
// How long a follower waits for a leader to answer before it concludes
// there is none that shares (then it tries to take the store's lock).
const CONNECT_MS = 500;

/** Whether this environment can share stores between tabs. */
export function canShare() {
  return typeof globalThis.BroadcastChannel === 'function' && globalThis.navigator?.locks !== undefined;
}

// Holds the lock of id `id` until the returned function is called.
async function holdPeerLock(id) {
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  await new Promise((resolve, reject) => {
    navigator.locks.request(PEER_LOCK + id, () => {
      resolve();
      return held;
    }).catch(reject);
  });
  return release;
}

// Calls onGone() once the endpoint `id` is gone; the returned function stops watching.
function watchPeer(id, onGone) {
  const stop = new AbortController();
  navigator.locks
    .request(PEER_LOCK + id, { signal: stop.signal }, () => {
      if (!stop.signal.aborted) onGone();
    })
    .catch(() => {}); // aborted
  return () => stop.abort();
}

const isId = (x) => typeof x === 'string' && /^[0-9a-f]{16}$/.test(x);

/** One end of a virtual connection (the interface of unix_socket.js's SocketConnection). */
class ChannelConnection {
  #endpoint;
  #stopWatching;
  #closed = false;
  onmessage = () => {};
  onclose = () => {};

  constructor(endpoint, peer) {
    this.#endpoint = endpoint;
    this.peer = peer;
    this.#stopWatching = watchPeer(peer, () => this.close(null));
  }

  get closed() {
    return this.#closed;
  }

  // Messages are structured clones between same-origin contexts: no
  // framing, so no frame limit; a page never exits, so nothing to keep alive.
  set maxFrame(_) {}

  keepAlive() {}

  send(msg, bytes) {
    if (!this.#closed) this.#endpoint.post(this.peer, msg, bytes);
  }

  /** Closes the connection; onclose(error) runs once. */
  close(error = null) {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching();
    this.#endpoint.drop(this, error === null);
    this.onclose(error);
  }

  /** Ends the connection after what was sent. */
  end() {
    this.close(null);
  }
}

/** A map's endpoint on the store's channel. */
class Endpoint {
  #channel;
  #releaseLock;
  #connections = new Map(); // peer id -> ChannelConnection
  // [{ to: [ids], msg, bytes }], posted together once the current
  // microtasks are done. (Waiting for the end of the task, with a
  // MessageChannel, would put a leader's records and acknowledgements in
  // one message, but measured slower: a task hop costs more here.)
  #queue = [];
  #accepting = null; // onConnection, while listening
  #waiting = null; // resolve(leader id), while connecting
  #closed = false;

  constructor(channelName, id, releaseLock) {
    this.id = id;
    this.#releaseLock = releaseLock;
    this.#channel = new BroadcastChannel(channelName);
    this.#channel.onmessage = (e) => this.#receive(e.data);
  }

  static async open(channelName) {
    const id = randomId();
    return new Endpoint(channelName, id, await holdPeerLock(id));
  }

  listen(onConnection) {
    this.#accepting = onConnection;
  }

  /** Asks for the leader: its id, or null if none answers in time. */
  findLeader() {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = null;
        resolve(null);
      }, CONNECT_MS);
      this.#waiting = (leader) => {
        clearTimeout(timer);
        this.#waiting = null;
        resolve(leader);
      };
      this.#channel.postMessage({ k: 'connect', from: this.id });
    });
  }

  connection(peer) {
    const conn = new ChannelConnection(this, peer);
    this.#connections.set(peer, conn);
    return conn;
  }

  post(peer, msg, bytes) {
    if (this.#closed) return;
    if (this.#queue.length === 0) queueMicrotask(this.#flush);
    const last = this.#queue[this.#queue.length - 1];
    // The same records to several followers: one message for all.
    if (last !== undefined && last.msg === msg && last.bytes === bytes && bytes !== undefined) last.to.push(peer);
    else this.#queue.push({ to: [peer], msg, bytes });
  }

  // Every message on the channel costs a task in each context of the
  // origin that listens to it: what is queued goes in one.
  #flush = () => {
    const items = this.#queue;
    this.#queue = [];
    if (this.#closed || items.length === 0) return;
    this.#channel.postMessage({ k: 'data', from: this.id, items });
  };

  drop(conn, sayBye) {
    if (this.#connections.get(conn.peer) !== conn) return;
    this.#connections.delete(conn.peer);
    if (sayBye && !this.#closed) {
      this.#flush();
      this.#channel.postMessage({ k: 'bye', to: conn.peer, from: this.id });
    }
    if (this.#connections.size === 0 && this.#accepting === null) this.close();
  }

  #receive(m) {
    if (this.#closed || m === null || typeof m !== 'object' || !isId(m.from)) return;
    switch (m.k) {
      case 'connect': {
        if (this.#accepting === null || this.#connections.has(m.from)) return;
        const conn = this.connection(m.from);
        this.#channel.postMessage({ k: 'accept', to: m.from, from: this.id });
        this.#accepting(conn);
        return;
      }
      case 'accept':
        if (m.to === this.id) this.#waiting?.(m.from);
        return;
      case 'bye':
        if (m.to === this.id) this.#connections.get(m.from)?.close(null);
        return;
      case 'data': {
        const conn = this.#connections.get(m.from);
        if (conn === undefined) return;
        if (!Array.isArray(m.items)) {
          conn.close(protocolError('a message that is not one of persistent-map\'s'));
          return;
        }
        for (const item of m.items) {
          if (conn.closed) return;
          if (!Array.isArray(item?.to) || !item.to.includes(this.id)) continue;
          if (item.msg === null || typeof item.msg !== 'object' || typeof item.msg.t !== 'string' || !(item.bytes === undefined || item.bytes instanceof Uint8Array)) {
            conn.close(protocolError('a message that is not one of persistent-map\'s'));
            return;
          }
          conn.onmessage(item.msg, item.bytes ?? new Uint8Array(0));
        }
        return;
      }
      default:
    }
  }

  /** Takes no new connections; the endpoint closes with its last connection. */
  stopListening() {
    this.#accepting = null;
    if (this.#connections.size === 0) this.close();
  }

  /** Leaves the channel; the peers see this endpoint go. */
  close() {
    if (this.#closed) return;
    this.#accepting = null;
    const conns = [...this.#connections.values()];
    for (const conn of conns) conn.close(null); // each says bye; the last closes this
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
    this.#releaseLock();
  }
}

/**
 * The transport of store `key` (the backend's kind and the store's name) in
 * this browser context (js/share/sharing.js).
 */
export function broadcastChannelTransport(key) {
  const channelName = `persistent-map-share:${key}`;
  return {
    pid: null,
    async connect() {
      const endpoint = await Endpoint.open(channelName);
      const leader = await endpoint.findLeader();
      if (leader === null) {
        endpoint.close();
        return null;
      }
      return endpoint.connection(leader);
    },
    /** Holds the lock under which one follower at a time deposes a hung leader: resolves to its release. */
    async deposing() {
      let release;
      const held = new Promise((resolve) => {
        release = resolve;
      });
      await new Promise((resolve, reject) => {
        navigator.locks.request(`persistent-map-depose:${key}`, () => {
          resolve();
          return held;
        }).catch(reject);
      });
      return release;
    },
    /** Whether a leader answers now. */
    async leaderAnswers() {
      const conn = await this.connect();
      conn?.close();
      return conn !== null;
    },
    async listen(onConnection) {
      if (!canShare()) throw new PersistentMapError('IO', 'this environment has no BroadcastChannel or Web Locks, so a store cannot be shared');
      const endpoint = await Endpoint.open(channelName);
      endpoint.listen(onConnection);
      return { close: () => endpoint.stopListening() };
    },
  };
}
