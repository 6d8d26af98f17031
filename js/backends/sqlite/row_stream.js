// RowStream: rows (key and value as bytes) packed in order into one buffer,
// the form in which a table-shaped store hands its contents to TableLog
// (table_log.js) to become a log: per row a u32 key length, the key bytes,
// a u32 value length, the value bytes (little-endian). One buffer, so a
// whole table crosses a worker boundary or into WebAssembly in one copy.

export class RowStream {
  constructor() {
    this.buf = new Uint8Array(1 << 16);
    this.view = new DataView(this.buf.buffer);
    this.length = 0;
  }

  #reserve(n) {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  #field(bytes) {
    this.#reserve(4 + bytes.length);
    this.view.setUint32(this.length, bytes.length, true);
    this.buf.set(bytes, this.length + 4);
    this.length += 4 + bytes.length;
  }

  /** Adds a row; `key` and `value` are copied. */
  add(key, value) {
    this.#field(key);
    this.#field(value);
  }

  /** The packed rows (a view of the internal buffer). */
  bytes() {
    return this.buf.subarray(0, this.length);
  }
}
