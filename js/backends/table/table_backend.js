// TableBackend: the log interface of docs/BACKENDS.md over a store that
// keeps entries as rows (one per key, in insertion order) instead of log
// bytes: the sqlite backend, and any table-shaped store a user writes.
//
// The map hands every group commit over as log bytes; they are parsed by
// the WebAssembly core (TableLog) and given to the row store as operations,
// which it applies in one transaction. open() and read() turn the rows back
// into a log (a header, then one PUT per row in order) for the map to
// replay. A row store therefore never sees the log format, and a failed
// transaction leaves the rows as they were, so a failed append needs no
// truncation: the map re-reads the rows (docs/BACKENDS.md).
//
// A row store has these methods (all may return promises):
//   open()    takes the store's lock; returns { exists, generation, rows,
//             clients } with `rows` the RowStream bytes of every entry in
//             order and `clients` (optional) the client table: entries
//             { client, seq }, the one updated longest ago first
//   load()    the same, again
//   apply(change, { sync })   one transaction: change.generation (a number,
//             when the first write of a new store brings the log header, else
//             null), then the operations change.ops (TableLog.decode) whose
//             keys and values are slices of change.bytes, then the client
//             table entries change.clients ({ client, seq } in order; each
//             sets its client's seq to the larger of the two and makes it
//             the latest updated). With sync, on stable storage when it
//             resolves
//   replace(change)   one transaction: every row replaced by change's puts
//             (in order), the client table by change.clients, the
//             generation set
//   sync()    everything applied so far on stable storage
//   close()   releases the lock

import { PersistentMapError } from '../../errors.js';
import { TableLog } from './table_log.js';

export class TableBackend {
  /**
   * @param {string} name the store's name, for messages
   * @param {object} store the row store (see above)
   * @param {{ wasm?: object }} [options] where the WebAssembly core is (see loadCore)
   */
  constructor(name, store, { wasm } = {}) {
    this.name = name;
    this.kind = 'table';
    this.store = store;
    this.wasm = wasm;
    this.log = null;
    this.exists = false; // the store has received its header
    this.length = 0; // bytes of the log as the map knows it
  }

  async open() {
    this.log ??= await TableLog.load(this.wasm);
    const state = await this.store.open();
    try {
      return this.#asLog(state);
    } catch (err) {
      await this.close().catch(() => {});
      throw err;
    }
  }

  async read() {
    return this.#asLog(await this.store.load());
  }

  #asLog({ exists, generation, rows, clients = [] }) {
    this.exists = exists;
    const bytes = exists ? this.log.encode(generation, rows, clients) : new Uint8Array(0);
    this.length = bytes.length;
    return bytes;
  }

  async append(bytes, { sync = false } = {}) {
    const run = this.log.decode(bytes, !this.exists);
    await this.store.apply({ bytes, ops: run.ops, generation: run.hasHeader ? run.generation : null, clients: run.clients }, { sync });
    this.exists = true;
    this.length += bytes.length;
  }

  /** Rows cannot be cut at a byte offset: only the current length is accepted. */
  async truncate(length) {
    if (length === this.length) return;
    throw new PersistentMapError('INVALID', `store ${this.name} keeps rows, not log bytes, so its log cannot be cut from ${this.length} to ${length} bytes (a row larger than maxRecordSize reads as a damaged record)`);
  }

  sync() {
    return this.store.sync();
  }

  async replace(bytes) {
    const run = this.log.decode(bytes, true);
    await this.store.replace({ bytes, ops: run.ops, generation: run.generation, clients: run.clients });
    this.exists = true;
    this.length = bytes.length;
  }

  async close() {
    try {
      await this.store.close();
    } finally {
      this.log?.delete();
      this.log = null;
    }
  }
}
