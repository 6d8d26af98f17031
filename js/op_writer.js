// OpWriter: the operation stream (specified in src/op_stream.h) that
// carries a group of writes into the WebAssembly core in one piece.

import { clientIdHalves } from './client_id.js';
import { invalidRange, invalidType } from './errors.js';
import { NodeBuffer, encoder, utf8Write } from './utf8.js';

const TWO_32 = 2 ** 32;

// Strings up to this length are tried as ASCII in a loop, which is cheaper
// than a call into the runtime.
const SHORT_STRING = 32;

/** Builds the operation stream specified in src/op_stream.h. */
export class OpWriter {
  // Where the tagged writes in the stream start, in order.
  #tagged = [];

  constructor() {
    this.#use(new Uint8Array(1 << 16));
    this.pos = 0;
  }

  #use(buf) {
    this.buf = buf;
    this.view = new DataView(buf.buffer);
    this.nodeBuf = utf8Write === null ? null : NodeBuffer.from(buf.buffer, buf.byteOffset, buf.length);
  }

  #reserve(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.#use(bigger);
  }

  // The UTF-8 of `s` at `at` (room for 3 bytes per UTF-16 unit is reserved);
  // returns its length.
  #utf8(s, at) {
    const n = s.length;
    if (n <= SHORT_STRING) {
      const buf = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + i] = c;
      }
      if (i === n) return n;
    }
    return this.nodeBuf !== null ? utf8Write.call(this.nodeBuf, s, at) : encoder.encodeInto(s, this.buf.subarray(at)).written;
  }

  // Writes a u32 length and the UTF-8 bytes of `s` (or the bytes, with a
  // prefix byte if given); returns the number of payload bytes.
  #field(data, prefix = -1) {
    if (typeof data === 'string') {
      this.#reserve(4 + data.length * 3);
      const written = this.#utf8(data, this.pos + 4);
      this.view.setUint32(this.pos, written, true);
      this.pos += 4 + written;
      return written;
    }
    const extra = prefix >= 0 ? 1 : 0;
    this.#reserve(4 + extra + data.length);
    this.view.setUint32(this.pos, data.length + extra, true);
    if (extra) this.buf[this.pos + 4] = prefix;
    this.buf.set(data, this.pos + 4 + extra);
    this.pos += 4 + extra + data.length;
    return data.length + extra;
  }

  #u8(v) {
    this.#reserve(1);
    this.buf[this.pos++] = v;
  }

  /** Appends a put; returns the bytes of key and value together. */
  put(key, value, bytesPrefix) {
    this.#u8(1);
    return this.#field(key) + this.#field(value, bytesPrefix);
  }

  delete(key) {
    this.#u8(2);
    return this.#field(key);
  }

  clear() {
    this.#u8(3);
  }

  /** Starts a batch of `count` operations. */
  batch(count) {
    this.#u8(4);
    this.#reserve(4);
    this.view.setUint32(this.pos, count, true);
    this.pos += 4;
  }

  /**
   * Appends a tagged write: the operations `inner` (an operation stream of
   * puts, deletes, clears and batches, as another OpWriter wrote them; not
   * parsed here, the core checks them at commit) written by the client whose
   * id is `client` (16 lowercase hex digits) as its write number `seq` (an
   * integer from 0 to 2^53 - 1). They become one TAGGED record.
   */
  tagged(client, seq, inner) {
    const [lo, hi] = clientIdHalves(client);
    if (!Number.isSafeInteger(seq) || seq < 0) throw invalidRange(`a tagged write's sequence number is an integer from 0 to 2^53 - 1, not ${seq}`);
    if (!(inner instanceof Uint8Array) || inner.length === 0) throw invalidType('a tagged write holds a non-empty Uint8Array of operations');
    this.#reserve(21 + inner.length);
    const at = this.pos;
    this.buf[at] = 5;
    this.view.setUint32(at + 1, lo, true);
    this.view.setUint32(at + 5, hi, true);
    this.view.setUint32(at + 9, seq % TWO_32, true);
    this.view.setUint32(at + 13, Math.floor(seq / TWO_32), true);
    this.view.setUint32(at + 17, inner.length, true);
    this.buf.set(inner, at + 21);
    this.pos = at + 21 + inner.length;
    this.#tagged.push(at);
  }

  /** Whether the stream holds a tagged write written since `mark`. */
  hasTaggedSince(mark) {
    return this.#tagged.length > 0 && this.#tagged[this.#tagged.length - 1] >= mark;
  }

  mark() {
    return this.pos;
  }

  /** The stream written since `mark` (a view, valid until the next write). */
  since(mark) {
    return this.buf.subarray(mark, this.pos);
  }

  rewind(mark) {
    this.pos = mark;
    while (this.#tagged.length > 0 && this.#tagged[this.#tagged.length - 1] >= mark) this.#tagged.pop();
  }

  get empty() {
    return this.pos === 0;
  }

  take() {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.#tagged.length = 0;
    return out;
  }
}
