// NatsStream: one store's JetStream stream, as the driver (stream_driver.js)
// sees it: a connection to the cluster, the stream created or checked
// (stream_settings.js), appends with de-duplication and compare-and-set,
// an ordered consumer from a sequence number, single messages, and purges.
// The official clients (@nats-io/transport-node, @nats-io/jetstream) are
// optional peer dependencies, loaded here when a store is opened. Their
// errors become PersistentMapErrors: the cluster could not answer
// (no quorum, no connection, a time-out) is UNAVAILABLE.

import { PersistentMapError, invalidRange } from '../errors.js';
import { MESSAGE_OVERHEAD, checkStreamConfig, newStreamConfig } from './stream_settings.js';

// JetStream API error codes (nats-server's server/errors.json).
const WRONG_LAST_SEQUENCE = 10071;
const MESSAGE_TOO_LARGE = 10054;
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE = 10037;
const STREAM_NAME_IN_USE = 10058;
// JetStream not available, no suitable peers for placement, insufficient resources.
const NOT_AVAILABLE = [10008, 10005, 10023];

const CONSUMER_EXPIRES_MS = 4000;
const CONSUMER_HEARTBEAT_MS = 1000;
const CONSUMER_BATCH = 1000;
const STALL_MS = 3000;

/** Why a compare-and-set append was refused: the stream moved on. */
export const CAS_FAILED = Symbol('cas failed');
/** ... after a try whose answer was lost: it may be the message the stream moved on by. */
export const CAS_UNCERTAIN = Symbol('cas uncertain');

async function loadClients() {
  try {
    const [transport, jetstream] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]);
    return { connect: transport.connect, jetstream: jetstream.jetstream, jetstreamManager: jetstream.jetstreamManager };
  } catch (err) {
    throw new PersistentMapError('INVALID', `the nats backend needs the packages @nats-io/transport-node and @nats-io/jetstream (npm install @nats-io/transport-node @nats-io/jetstream): ${err.message}`, { cause: err });
  }
}

// The JetStream API error code of `err`, or undefined for another error.
function apiCode(err) {
  return typeof err?.code === 'number' ? err.code : undefined;
}

/** The PersistentMapError for a failure of the NATS client or server while doing `what`. */
export function natsError(err, what) {
  if (err instanceof PersistentMapError || err?.code === 'INVALID') return err;
  const code = apiCode(err);
  if (code === MESSAGE_TOO_LARGE) return invalidRange(`${what}: the message is larger than the stream allows (${err.message})`);
  if (code !== undefined && !NOT_AVAILABLE.includes(code)) {
    return new PersistentMapError('IO', `${what}: JetStream refused it (${err.message}, error ${code})`, { cause: err });
  }
  // Time-outs, no responders, a closed connection, NOT_AVAILABLE: the
  // cluster has too few nodes up for the stream (or no quorum answered).
  return new PersistentMapError('UNAVAILABLE', `${what}: the NATS cluster did not answer (${err?.message ?? err}); it may have lost its quorum. Reads go on; writes resume once a quorum of its nodes is back`, { cause: err });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NatsStream {
  /** The largest record a message of this stream holds. */
  maxRecordSize;
  names;
  #nc;
  #js;
  #jsm;
  #timeout;

  constructor(nc, js, jsm, names, maxRecordSize, timeout) {
    this.#nc = nc;
    this.#js = js;
    this.#jsm = jsm;
    this.names = names;
    this.maxRecordSize = maxRecordSize;
    this.#timeout = timeout;
  }

  /**
   * Connects (`settings` of natsBackend) and creates the stream of `names`
   * if it does not exist, or checks it if it does.
   */
  static async open(names, settings, maxRecordSize) {
    const { connect, jetstream, jetstreamManager } = await loadClients();
    let nc;
    try {
      nc = await connect({ ...settings.connection, servers: settings.servers, timeout: settings.timeout, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    } catch (err) {
      throw natsError(err, `cannot connect to NATS at ${settings.servers.join(',')}`);
    }
    try {
      const requestTimeout = Math.min(settings.timeout, 2000);
      const jsm = await jetstreamManager(nc, { timeout: requestTimeout, checkAPI: false });
      const js = jetstream(nc, { timeout: requestTimeout });
      const limit = await NatsStream.#ensureStream(jsm, names, settings, maxRecordSize, nc.info);
      return new NatsStream(nc, js, jsm, names, limit, settings.timeout);
    } catch (err) {
      await nc.close().catch(() => {});
      throw natsError(err, `cannot open the JetStream stream ${names.stream}`);
    }
  }

  // The stream's record limit; a new stream gets `settings.replicas`
  // copies, by default 3 in a cluster and 1 on a single server. Servers
  // opening the store at once all try to create it: one does, the others
  // find it (and so does one whose answer timed out, in the next round).
  static async #ensureStream(jsm, names, settings, maxRecordSize, info) {
    const maxPayload = info.max_payload;
    const limit = Math.min(maxRecordSize, maxPayload - MESSAGE_OVERHEAD);
    const replicas = settings.replicas ?? (info.cluster ? 3 : 1);
    const deadline = Date.now() + settings.timeout;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        try {
          const existing = await jsm.streams.info(names.stream);
          return checkStreamConfig(names, existing.config, maxPayload);
        } catch (err) {
          if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
        }
        await jsm.streams.add(newStreamConfig(names, { replicas, storage: settings.storage, maxRecordSize: limit }));
        return limit;
      } catch (err) {
        const e = natsError(err, `cannot open the JetStream stream ${names.stream}`);
        const again = e.code === 'UNAVAILABLE' || apiCode(err) === STREAM_NAME_IN_USE;
        if (!again || Date.now() + delay > deadline) throw e;
        await sleep(delay);
      }
    }
  }

  // Runs fn, a request that may be sent again, again while the cluster
  // does not answer, until the time-out (then UNAVAILABLE).
  async #request(fn, what) {
    const deadline = Date.now() + this.#timeout;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await fn();
      } catch (err) {
        if (err === CAS_FAILED || err === CAS_UNCERTAIN || err instanceof PersistentMapError) throw err;
        const e = natsError(err, what);
        if (e.code !== 'UNAVAILABLE' || Date.now() + delay > deadline || this.#nc.isClosed()) throw e;
        await sleep(delay);
      }
    }
  }

  /**
   * Appends `bytes` to `subject` (the log by default) as the message
   * `msgID` (a message sent again with the same id within the stream's
   * duplicate window is stored once); with `lastSeq`, only if the
   * stream's last message is that one (0: it has none; else rejects with
   * CAS_FAILED, or CAS_UNCERTAIN if an earlier try went unanswered).
   * (Not the last message of the subject: nats-server before
   * 2.9.21 does not serialize that check in a cluster, nats-server#4320.)
   * Resolves to the stream sequence.
   */
  publish(bytes, { msgID, lastSeq, subject = this.names.log }) {
    const opts = { msgID };
    if (lastSeq !== undefined) opts.expect = { lastSequence: lastSeq };
    let sent = false;
    return this.#request(async () => {
      try {
        return (await this.#js.publish(subject, bytes, opts)).seq;
      } catch (err) {
        if (apiCode(err) !== WRONG_LAST_SEQUENCE) {
          sent = true;
          throw err;
        }
        // A try before went unanswered: the stream may have moved on by
        // this very message.
        throw sent ? CAS_UNCERTAIN : CAS_FAILED;
      }
    }, `cannot append to the stream ${this.names.stream}`);
  }

  /** The sequence of the stream's last message (0 if it has none). */
  lastSeq() {
    return this.#request(async () => (await this.#jsm.streams.info(this.names.stream)).state.last_seq, `cannot read the state of the stream ${this.names.stream}`);
  }

  /**
   * The message at `seq`, or with `next`, the first of subject `next` from
   * `seq` on: { seq, subject, data }, or null if there is none.
   */
  message({ seq, next }) {
    return this.#request(async () => {
      try {
        const m = await this.#jsm.streams.getMessage(this.names.stream, next === undefined ? { seq } : { next_by_subj: next, seq });
        return m === null ? null : { seq: m.seq, subject: m.subject, data: m.data };
      } catch (err) {
        if (apiCode(err) === NO_MESSAGE) return null;
        throw err;
      }
    }, `cannot read message ${seq}${next === undefined ? '' : ` (or the next of ${next})`} of the stream ${this.names.stream}`);
  }

  /** Removes the messages before `seq`. */
  purge(seq) {
    return this.#request(() => this.#jsm.streams.purge(this.names.stream, { seq }), `cannot purge the stream ${this.names.stream} before message ${seq}`);
  }

  /**
   * Delivers every message from sequence `from` on, in order, to
   * onMessage(seq, subject, data), which returns false to stop. The
   * client's ordered consumer makes its server-side consumer again when
   * that one is lost (its node died); should the client give up on it, a
   * new one starts after the last message delivered. Resolves, once the
   * first consumer is made, to a function that stops it. While wanted()
   * says messages are awaited and none came for STALL_MS, the consumer is
   * made again too (after a node's death the client's may wait forever).
   */
  async consume(from, onMessage, wanted) {
    let next = from;
    let stopped = false;
    let messages = null;
    let last = Date.now();
    const watchdog = setInterval(() => {
      if (wanted() && Date.now() - last > STALL_MS) {
        last = Date.now();
        messages?.stop(); // ends the iteration below, which makes a new one
      }
    }, STALL_MS / 2);
    watchdog.unref?.();
    const open = () => this.#request(async () => {
      const consumer = await this.#js.consumers.get(this.names.stream, { deliver_policy: 'by_start_sequence', opt_start_seq: next });
      // Heartbeats every second: a consumer lost with its node is made
      // again on another within a few seconds. A joining map reads up to
      // CONSUMER_BATCH messages per round trip.
      return consumer.consume({ expires: CONSUMER_EXPIRES_MS, idle_heartbeat: CONSUMER_HEARTBEAT_MS, max_messages: CONSUMER_BATCH });
    }, `cannot read the stream ${this.names.stream}`);
    const stop = () => {
      stopped = true;
      clearInterval(watchdog);
      messages?.stop();
    };
    messages = await open();
    (async () => {
      for (;;) {
        try {
          for await (const m of messages) {
            if (stopped) return;
            last = Date.now();
            next = m.seq + 1;
            if (onMessage(m.seq, m.subject, m.data) === false) {
              stop();
              return;
            }
          }
        } catch {
          // Made again below.
        }
        while (!stopped && !this.#nc.isClosed()) {
          await sleep(CONSUMER_EXPIRES_MS / 4);
          try {
            messages = await open();
            break;
          } catch {
            // The cluster is not answering: try again.
          }
        }
        if (stopped || this.#nc.isClosed()) {
          clearInterval(watchdog);
          return;
        }
      }
    })();
    return stop;
  }

  async close() {
    await this.#nc.close().catch(() => {});
  }
}
