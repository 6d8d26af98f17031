// The protocol of a shared store (README "Sharing a store"): the messages
// between the leader, which holds the store's lock and appends, and its
// followers. It is independent of the transport: a message is a small
// header object plus, for some, bytes (log records, a snapshot, an
// operation stream), and a transport moves the pair. Byte-stream transports
// (a Unix socket) frame them with encodeFrame / FrameReader below.
//
// follower -> leader
//   hello   { protocol, client, pid }           first message
//   write   { seq, strict, cond? } + ops        a group of writes (op stream,
//           src/op_stream.h); cond = { key, term, tick }: refuse it if another
//           client's write to key was sequenced after tick of term
//   sync    { id, strict, compact }             answer once every write
//           sequenced so far has been sent (with strict: and synced; with
//           compact: and the log compacted)
// leader -> follower
//   welcome { protocol, term, pid }             the answer to hello
//   snapshot { tick } + log bytes               the state at tick: replaces
//           the follower's core (on joining, and after an import that
//           replaced the log)
//   records { tick } + log records              appended to the log, in order
//   ack     { seq, error?, conflict? }          the write group seq is in the
//           log (with error: refused; with conflict: a tick to catch up to
//           before trying the update again)
//   synced  { id, error? }
//
// Order is what makes it simple: a transport delivers in order, so a
// follower has applied every record before it reads the ack of the write
// they include.

import { PersistentMapError } from '../errors.js';

export const PROTOCOL = 'persistent-map-share/1';

// A frame: u32 length of what follows, u32 length of the JSON header, the
// header, then the bytes.
const MAX_HEADER = 64 << 10;
/** The largest frame: a 1 GiB record or snapshot, plus headroom. */
export const MAX_FRAME = (1 << 30) + (1 << 20);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

/** A peer broke the protocol: the connection is dropped, nothing else changes. */
export function protocolError(message) {
  return new PersistentMapError('CORRUPT', `shared store protocol: ${message}`);
}

/** The frame of a message: header `msg` (JSON-able) and `bytes` (or none). */
export function encodeFrame(msg, bytes = EMPTY) {
  const header = encoder.encode(JSON.stringify(msg));
  const frame = new Uint8Array(8 + header.length + bytes.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 4 + header.length + bytes.length, true);
  view.setUint32(4, header.length, true);
  frame.set(header, 8);
  frame.set(bytes, 8 + header.length);
  return frame;
}

/** Frames before a peer said hello are at most this long: a stranger cannot make us buffer much. */
export const MAX_FIRST_FRAME = 64 << 10;

/** Cuts a byte stream into messages; push() throws protocolError on garbage. */
export class FrameReader {
  #chunks = [];
  #buffered = 0;
  /** The longest frame accepted now. */
  limit = MAX_FRAME;

  /** Adds a chunk; returns the complete messages, [{ msg, bytes }]. */
  push(chunk) {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out = [];
    for (;;) {
      if (this.#buffered < 4) return out;
      const head = this.#peek(8);
      const view = new DataView(head.buffer, head.byteOffset, head.length);
      const length = view.getUint32(0, true);
      if (length < 4 || length > this.limit) throw protocolError(`a frame of ${length} bytes`);
      if (this.#buffered < 4 + length) return out;
      const frame = this.#take(4 + length);
      const fv = new DataView(frame.buffer, frame.byteOffset, frame.length);
      const headerLength = fv.getUint32(4, true);
      if (headerLength > MAX_HEADER || headerLength > length - 4) throw protocolError(`a header of ${headerLength} bytes`);
      let msg;
      try {
        msg = JSON.parse(decoder.decode(frame.subarray(8, 8 + headerLength)));
      } catch (err) {
        throw protocolError(`a header that is not JSON (${err.message})`);
      }
      if (msg === null || typeof msg !== 'object' || typeof msg.t !== 'string') throw protocolError('a header without a message type');
      out.push({ msg, bytes: frame.subarray(8 + headerLength) });
    }
  }

  #peek(n) {
    const first = this.#chunks[0];
    if (first.length >= n) return first;
    return this.#flatten().subarray(0, Math.min(n, this.#buffered));
  }

  #take(n) {
    const all = this.#flatten();
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }

  #flatten() {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const all = new Uint8Array(this.#buffered);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.#chunks = [all];
    return all;
  }
}

const ID = /^[0-9a-f]{16}$/;

/** A random 64-bit id as 16 hex digits (a client's, a leader's term). */
export function randomId() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checks a message from a follower; throws protocolError. */
export function checkFromFollower(msg, bytes) {
  switch (msg.t) {
    case 'hello':
      if (msg.protocol !== PROTOCOL) throw protocolError(`the peer speaks ${JSON.stringify(msg.protocol)}, this process ${PROTOCOL}; run one version of persistent-map in every process of a store`);
      if (typeof msg.client !== 'string' || !ID.test(msg.client)) throw protocolError('hello without a client id');
      return;
    case 'write':
      if (!Number.isSafeInteger(msg.seq) || msg.seq < 1 || bytes.length === 0) throw protocolError('a write without a sequence number or operations');
      if (msg.cond !== undefined && (typeof msg.cond?.key !== 'string' || typeof msg.cond.term !== 'string' || !Number.isSafeInteger(msg.cond.tick))) {
        throw protocolError('a write with a malformed condition');
      }
      return;
    case 'sync':
      if (!Number.isSafeInteger(msg.id)) throw protocolError('a sync without an id');
      return;
    default:
      throw protocolError(`unknown message ${JSON.stringify(msg.t)} from a follower`);
  }
}

/** Checks a message from the leader; throws protocolError. */
export function checkFromLeader(msg) {
  if (msg.t === 'welcome' && msg.protocol !== PROTOCOL) {
    throw protocolError(`the leader speaks ${JSON.stringify(msg.protocol)}, this process ${PROTOCOL}; run one version of persistent-map in every process of a store`);
  }
  const ok = {
    welcome: () => typeof msg.term === 'string',
    snapshot: () => Number.isSafeInteger(msg.tick),
    records: () => Number.isSafeInteger(msg.tick),
    ack: () => Number.isSafeInteger(msg.seq),
    synced: () => Number.isSafeInteger(msg.id),
  }[msg.t];
  if (ok === undefined) throw protocolError(`unknown message ${JSON.stringify(msg.t)} from the leader`);
  if (!ok()) throw protocolError(`a malformed ${msg.t} message from the leader`);
}
