// Snapshots of a NATS store (docs/BACKENDS.md, "nats"): compaction stores
// the core's snapshot (a whole log, as a compacted file holds it) as chunk
// messages, then a manifest on the snapshot subject that names them and
// the stream position the snapshot covers; a client that joins reads the
// latest manifest, its chunks, and the stream after that position.
//
// Two servers may compact at once, and a slow one may store a snapshot
// older than the latest. So a client that joins takes the manifest that
// covers the latest position, not the last one stored; and a purge
// removes only messages up to the position its snapshot covers (on every
// subject: older snapshots go too), never past that manifest's. A client
// that has read the stream that far never misses a message; one that had
// not, or that took a manifest a compaction made obsolete while it read,
// finds a gap in the stream's sequence numbers and loads the snapshot
// again (stream_driver.js).

import { PersistentMapError } from '../errors.js';

const FORMAT = 'persistent-map-nats-snapshot/1';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function notOurs(stream, seq, why) {
  return new PersistentMapError('CORRUPT', `message ${seq} of the JetStream stream ${stream} is not a persistent-map snapshot manifest (${why}); something other than persistent-map writes to its subjects. Remove that message (nats stream rmm ${stream} ${seq}) or open the store under another name`);
}

/** The manifest in message `m` ({ seq, data }): { seq, covers, chunks, bytes }; CORRUPT if it is not one. */
export function readManifest(stream, m) {
  let v;
  try {
    v = JSON.parse(decoder.decode(m.data));
  } catch (err) {
    throw notOurs(stream, m.seq, err.message);
  }
  const seqs = (a) => Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && x > 0);
  if (v === null || typeof v !== 'object' || v.format !== FORMAT || !Number.isSafeInteger(v.covers) || !seqs(v.chunks) || !Number.isSafeInteger(v.bytes)) {
    throw notOurs(stream, m.seq, 'not the fields of one');
  }
  return { seq: m.seq, covers: v.covers, chunks: v.chunks, bytes: v.bytes };
}

export class Snapshots {
  #stream;
  #client;

  /** @param {import('./nats_stream.js').NatsStream} stream @param {string} client */
  constructor(stream, client) {
    this.#stream = stream;
    this.#client = client;
  }

  /** The manifest that covers the latest position, or null if the store was never compacted. */
  async latest() {
    let best = null;
    for (let seq = 1; ;) {
      const m = await this.#stream.message({ next: this.#stream.names.snap, seq });
      if (m === null) return best;
      const manifest = readManifest(this.#stream.names.stream, m);
      if (best === null || manifest.covers > best.covers) best = manifest;
      seq = m.seq + 1;
    }
  }

  /** The snapshot of `manifest`, or null if a later compaction purged it meanwhile. */
  async load(manifest) {
    const bytes = new Uint8Array(manifest.bytes);
    let at = 0;
    for (const seq of manifest.chunks) {
      const m = await this.#stream.message({ seq });
      if (m === null) return null;
      if (m.subject !== this.#stream.names.chunk || at + m.data.length > bytes.length) {
        throw notOurs(this.#stream.names.stream, manifest.seq, `chunk ${seq} does not fit it`);
      }
      bytes.set(m.data, at);
      at += m.data.length;
    }
    if (at !== bytes.length) throw notOurs(this.#stream.names.stream, manifest.seq, `its chunks hold ${at} of ${bytes.length} bytes`);
    return bytes;
  }

  /**
   * Stores `bytes`, the state after every message up to stream sequence
   * `covers`, unless the
   * manifest `prev` (null: none) covers as much, then purges what it
   * replaces. Resolves to whether it was stored.
   */
  async store(bytes, covers, prev) {
    if (prev !== null && prev.covers >= covers) return false;
    const names = this.#stream.names;
    const size = this.#stream.maxRecordSize;
    const chunks = [];
    for (let at = 0; at < bytes.length; at += size) {
      chunks.push(await this.#stream.publish(bytes.subarray(at, at + size), { subject: names.chunk, msgID: `${this.#client}:chunk:${covers}:${at}` }));
    }
    const manifest = encoder.encode(JSON.stringify({ format: FORMAT, covers, chunks, bytes: bytes.length }));
    await this.#stream.publish(manifest, { subject: names.snap, msgID: `${this.#client}:snap:${covers}` });
    await this.#stream.purge(covers + 1);
    return true;
  }
}
