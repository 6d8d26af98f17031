// TableLog: log runs to operations and row streams back to logs, for
// table-shaped backends (table_backend.js), done by the WebAssembly core
// (wasm/table_log_bindings.cc) so that the format has one parser and one
// encoder.

import { clientIdHalves, clientIdHex } from '../../client_id.js';
import { loadCore, withWasmBytes } from '../../core.js';
import { PersistentMapError } from '../../errors.js';

export class TableLog {
  /** Loads the core (the default one unless `wasm` says otherwise, see loadCore). */
  static async load(wasm) {
    return new TableLog(await loadCore(wasm));
  }

  constructor(module) {
    this.module = module;
    this.codec = new module.TableLog();
  }

  #withBytes(bytes, fn) {
    return withWasmBytes(this.module, bytes, fn);
  }

  /**
   * Parses a run of log bytes (a header first if `withHeader`). Returns
   * { hasHeader, generation, ops, clients } with ops as described in
   * table_ops.js, offsets pointing into `bytes` (a tagged write's operations
   * among them, in place), and clients the client table entries the run
   * sets, in order, as { client (16 hex digits), seq (a Number) }; throws
   * INVALID if the run is not whole, valid log records.
   */
  decode(bytes, withHeader) {
    return this.#withBytes(bytes, (ptr, n) => {
      const status = this.codec.decode(ptr, n, withHeader);
      try {
        if (!status.ok) {
          throw new PersistentMapError('INVALID', `a table backend was handed bytes that are not ${withHeader ? 'a log' : 'whole log records'}: ${status.message}`);
        }
        const words = this.codec.clients();
        const clients = [];
        for (let i = 0; i < words.length; i += 4) {
          clients.push({ client: clientIdHex(words[i], words[i + 1]), seq: words[i + 3] * 2 ** 32 + words[i + 2] });
        }
        return { hasHeader: status.hasHeader, generation: status.generation, ops: this.codec.ops().slice(), clients };
      } finally {
        this.codec.release();
      }
    });
  }

  /**
   * A log (header with `generation`, CLIENTS records holding `clients`, one
   * PUT per row) from a RowStream's bytes and client table entries
   * ({ client, seq }, the one logged longest ago first).
   */
  encode(generation, rows, clients = []) {
    const bytes = new Uint8Array(rows.length + 16 * clients.length);
    bytes.set(rows, 0);
    const view = new DataView(bytes.buffer);
    clients.forEach(({ client, seq }, i) => {
      const at = rows.length + 16 * i;
      const [lo, hi] = clientIdHalves(client);
      view.setUint32(at, lo, true);
      view.setUint32(at + 4, hi, true);
      view.setUint32(at + 8, seq % 2 ** 32, true);
      view.setUint32(at + 12, Math.floor(seq / 2 ** 32), true);
    });
    return this.#withBytes(bytes, (ptr) => {
      const view = this.codec.encode(generation, ptr, rows.length, 16 * clients.length);
      try {
        if (view === null) throw new PersistentMapError('CORRUPT', 'a table backend returned a malformed row stream');
        return view.slice();
      } finally {
        this.codec.release();
      }
    });
  }

  delete() {
    this.codec.delete();
  }
}
