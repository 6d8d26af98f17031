// TableLog: log runs to operations and row streams back to logs, for
// table-shaped backends (table_backend.js), done by the WebAssembly core
// (wasm/table_log_bindings.cc) so that the format has one parser and one
// encoder.

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
   * { hasHeader, generation, ops } with ops as described in table_ops.js,
   * offsets pointing into `bytes`; throws INVALID if the run
   * is not whole, valid log records.
   */
  decode(bytes, withHeader) {
    return this.#withBytes(bytes, (ptr, n) => {
      const status = this.codec.decode(ptr, n, withHeader);
      try {
        if (!status.ok) {
          throw new PersistentMapError('INVALID', `a table backend was handed bytes that are not ${withHeader ? 'a log' : 'whole log records'}: ${status.message}`);
        }
        return { hasHeader: status.hasHeader, generation: status.generation, ops: this.codec.ops().slice() };
      } finally {
        this.codec.release();
      }
    });
  }

  /** A log (header with `generation`, one PUT per row) from a RowStream's bytes. */
  encode(generation, rows) {
    return this.#withBytes(rows, (ptr, n) => {
      const view = this.codec.encode(generation, ptr, n);
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
