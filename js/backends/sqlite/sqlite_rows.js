// SqliteRows: a store's entries as rows of an SQLite database, the row
// store (table_backend.js) of the sqlite backend in Node (sqlite_node.js)
// and in the browser's worker (sqlite_worker.js). Schema, for people who
// open the file with `sqlite3`:
//
//   entries(key, pos, value)  one row per key; ORDER BY pos is insertion
//                             order. An update keeps pos; a new key gets
//                             max(pos) + 1 (pos is the rowid).
//   meta(name, value)         format (1), generation (compactions), syncs
//   clients(pos, id, seq)     the client table (docs/FORMAT.md, Clients):
//                             the last seq logged per client id (16 hex
//                             digits); ORDER BY pos is the order they were
//                             last updated. Created by the first tagged
//                             write, in the same transaction as its rows
//   PRAGMA application_id     0x504D4150 ('PMAP')
//
// Keys are TEXT (a key that is not UTF-8, written by another program, is a
// BLOB). A JSON value is its JSON text as TEXT; any other value (a
// Uint8Array is 0x01 then its bytes, docs/FORMAT.md) is a BLOB of exactly
// the stored bytes, so every value reads back byte for byte.
//
// Every change is one transaction. The rollback journal (journal_mode
// TRUNCATE) makes a transaction all or nothing across crashes;
// synchronous = FULL for writes that must be durable, OFF for the others.
// A failed transaction is rolled back, so the rows are as before it.

import { PersistentMapError } from '../../errors.js';
import { RowStream } from './row_stream.js';
import { KEY_IS_TEXT, OP_CLEAR, OP_DELETE, OP_KIND, OP_PUT, OP_WORDS, VALUE_IS_TEXT } from './table_ops.js';

const APPLICATION_ID = 0x504d4150; // 'PMAP'
const FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  key TEXT NOT NULL UNIQUE,  -- a BLOB if not UTF-8
  pos INTEGER PRIMARY KEY,   -- insertion order
  value NOT NULL             -- JSON text as TEXT, other values as BLOB
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('format', ${FORMAT}), ('generation', 0), ('syncs', 0);
PRAGMA application_id = ${APPLICATION_ID};
`;
// Not in SCHEMA: stores written before it existed have no such table, and
// a store that never receives a tagged write needs none.
const CLIENTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS clients (
  pos INTEGER PRIMARY KEY,   -- order of the last update
  id TEXT NOT NULL UNIQUE,   -- 16 lowercase hex digits
  seq INTEGER NOT NULL       -- the highest sequence number logged
);
`;

export class SqliteRows {
  /**
   * @param {object} sqlite3 the initialised sqlite-wasm module
   * @param {object} db an open sqlite3.oo1.DB
   * @param {string} label the database, for messages
   * @param {(since: number) => Error|null} [vfsError] the VFS's last error since a time, for messages
   */
  constructor(sqlite3, db, label, vfsError = () => null) {
    this.sqlite3 = sqlite3;
    this.db = db;
    this.label = label;
    this.vfsError = vfsError;
    this.exists = false;
    this.hasClients = false; // the clients table exists
    this.statements = null;
    this.synchronous = null;
    this.unsynced = false; // a commit under synchronous = OFF since the last synced one
    // One writer is guaranteed outside SQLite (the lock file, Web Locks),
    // so the connection keeps its lock: no journal re-open or cache check
    // per transaction.
    this.#run('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = TRUNCATE; PRAGMA temp_store = MEMORY;', 'cannot configure');
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
  }

  /**
   * { exists, generation, rows, clients } with rows a RowStream's bytes in
   * order and clients the client table ({ client, seq }, by pos).
   */
  load() {
    const since = performance.now();
    try {
      const appId = this.db.selectValue('PRAGMA application_id');
      const tables = this.db.selectValue('SELECT count(*) FROM sqlite_schema');
      if (appId === 0 && tables === 0) {
        this.exists = false;
        return { exists: false, generation: 0, rows: new Uint8Array(0) };
      }
      if (appId !== APPLICATION_ID) {
        throw new PersistentMapError('CORRUPT', `${this.label} is an SQLite database, but not a persistent-map store (application_id ${appId}); it was left untouched`);
      }
      const format = this.db.selectValue("SELECT value FROM meta WHERE name = 'format'");
      if (format !== FORMAT) {
        throw new PersistentMapError('CORRUPT', `${this.label} has store format ${format}; this version reads format ${FORMAT}`);
      }
      // SQLite keeps no checksums, and with synchronous = OFF an operating
      // system crash can leave pages out of step: check the structure of
      // every page before trusting the rows (the log backends verify every
      // record's checksum on open).
      const problems = this.db.selectValues('PRAGMA quick_check(5)');
      if (problems.length !== 1 || problems[0] !== 'ok') {
        throw new PersistentMapError('CORRUPT', `${this.label} is damaged (PRAGMA quick_check: ${problems.join('; ')}); restore it from a backup, or try the sqlite3 tool's .recover`);
      }
      const generation = this.db.selectValue("SELECT value FROM meta WHERE name = 'generation'");
      this.exists = true;
      this.hasClients = this.db.selectValue("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'clients'") === 1;
      const clients = this.hasClients ? this.db.selectObjects('SELECT id AS client, seq FROM clients ORDER BY pos').map(({ client, seq }) => ({ client, seq: Number(seq) })) : [];
      return { exists: true, generation, rows: this.#rows(), clients };
    } catch (err) {
      throw this.#error(err, `cannot read ${this.label}`, since);
    }
  }

  // Reads the column bytes straight from WebAssembly memory into one
  // RowStream: no string or array per row, and the C functions called
  // directly (sqlite-wasm's argument-converting wrappers cost more than
  // the calls themselves on a loop over every row).
  #rows() {
    const { capi, wasm } = this.sqlite3;
    const c = wasm.exports;
    const stmt = this.db.prepare('SELECT CAST(key AS BLOB), CAST(value AS BLOB) FROM entries ORDER BY pos');
    const p = stmt.pointer;
    const out = new RowStream();
    try {
      let rc;
      while ((rc = c.sqlite3_step(p)) === capi.SQLITE_ROW) {
        // blob before bytes, as SQLite documents; neither allocates for a
        // BLOB column, so one heap view serves the row.
        const kp = c.sqlite3_column_blob(p, 0);
        const kn = c.sqlite3_column_bytes(p, 0);
        const vp = c.sqlite3_column_blob(p, 1);
        const vn = c.sqlite3_column_bytes(p, 1);
        const heap = wasm.heap8u();
        out.add(heap.subarray(kp, kp + kn), heap.subarray(vp, vp + vn));
      }
      if (rc !== capi.SQLITE_DONE) this.#check(rc);
    } finally {
      stmt.finalize();
    }
    return out.bytes();
  }

  /** Applies one log run's operations and client entries (see table_backend.js) in one transaction. */
  apply({ bytes, ops, generation, clients = [] }, { sync = false } = {}) {
    this.#transaction(sync, `cannot write to ${this.label}`, () => {
      if (generation !== null) this.#writeHeader(generation);
      this.#applyOps(bytes, ops);
      this.#applyClients(clients);
    });
  }

  /** Replaces every row and the client table with those of a whole log, durably, in one transaction. */
  replace({ bytes, ops, generation, clients = [] }) {
    this.#transaction(true, `cannot replace the rows of ${this.label}; the old rows are unchanged`, () => {
      this.#writeHeader(generation);
      this.#step(this.#statement('clear'));
      if (this.hasClients) this.#step(this.#statement('clearClients'));
      this.#applyOps(bytes, ops);
      this.#applyClients(clients);
    });
  }

  /** Makes every committed transaction durable. */
  sync() {
    // A commit under FULL syncs the whole database file, so the earlier
    // unsynced commits too: only those since then need a sync, and a store
    // only read (a read-only CLI command) is not written at all.
    if (!this.exists || !this.unsynced) return;
    try {
      // A write under synchronous = FULL: SQLite fsyncs the database file
      // (which flushes the earlier unsynced commits too) and the journal.
      this.#transaction(true, `cannot sync ${this.label}`, () => {
        this.#step(this.#statement('countSync'));
      });
    } catch (err) {
      // After a failed fsync the unsynced data may be gone.
      throw err.fatal ? err : new PersistentMapError(err.code ?? 'IO', err.message, { cause: err, fatal: true });
    }
  }

  close() {
    for (const stmt of [...Object.values(this.statements ?? {}), this.begin, this.commit]) stmt.finalize();
    this.statements = null;
    this.db.close();
  }

  // ---- internals ----

  #writeHeader(generation) {
    if (!this.exists) {
      this.#run(SCHEMA, 'cannot create the tables');
      this.exists = true;
    }
    const stmt = this.#statement('generation');
    this.sqlite3.capi.sqlite3_bind_int64(stmt.pointer, 1, BigInt(generation));
    this.#step(stmt);
  }

  // Sets each entry's seq to the larger of the two and makes it the
  // latest updated, in order.
  #applyClients(clients) {
    if (clients.length === 0) return;
    if (!this.hasClients) {
      this.db.exec(CLIENTS_SCHEMA);
      this.hasClients = true;
    }
    const stmt = this.#statement('client');
    for (const { client, seq } of clients) stmt.bind([client, BigInt(seq)]).stepReset();
    stmt.clearBindings();
  }

  #applyOps(bytes, ops) {
    if (ops.length === 0) return;
    const { capi, wasm } = this.sqlite3;
    const c = wasm.exports; // the C functions, unwrapped (see #rows)
    const put = this.#statement('put').pointer;
    const del = this.#statement('delete').pointer;
    const clear = this.#statement('clear').pointer;
    // The run's bytes go into WebAssembly memory once; keys and values are
    // bound in place (SQLITE_STATIC) and copied by SQLite as it steps.
    const base = Number(wasm.alloc(Math.max(1, bytes.length)));
    wasm.heap8u().set(bytes, base);
    const bindKey = (stmt, word, off, len) => {
      const bind = word & KEY_IS_TEXT ? c.sqlite3_bind_text : c.sqlite3_bind_blob;
      this.#check(bind(stmt, 1, base + off, len, capi.SQLITE_STATIC));
    };
    try {
      for (let i = 0; i < ops.length; i += OP_WORDS) {
        const word = ops[i];
        const kind = word & OP_KIND;
        if (kind === OP_PUT) {
          bindKey(put, word, ops[i + 1], ops[i + 2]);
          const bind = word & VALUE_IS_TEXT ? c.sqlite3_bind_text : c.sqlite3_bind_blob;
          this.#check(bind(put, 2, base + ops[i + 3], ops[i + 4], capi.SQLITE_STATIC));
          this.#step(put);
        } else if (kind === OP_DELETE) {
          bindKey(del, word, ops[i + 1], ops[i + 2]);
          this.#step(del);
        } else if (kind === OP_CLEAR) {
          this.#step(clear);
        } else {
          throw new PersistentMapError('INVALID', `unknown operation kind ${kind}`);
        }
      }
    } finally {
      c.sqlite3_clear_bindings(put);
      c.sqlite3_clear_bindings(del);
      wasm.dealloc(base);
    }
  }

  #statement(name) {
    this.statements ??= {
      put: this.db.prepare('INSERT INTO entries (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      delete: this.db.prepare('DELETE FROM entries WHERE key = ?1'),
      clear: this.db.prepare('DELETE FROM entries'),
      generation: this.db.prepare("UPDATE meta SET value = ?1 WHERE name = 'generation'"),
      countSync: this.db.prepare("UPDATE meta SET value = value + 1 WHERE name = 'syncs'"),
    };
    if (this.hasClients && !this.statements.client) {
      this.statements.client = this.db.prepare('INSERT INTO clients (id, seq) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq), pos = (SELECT max(pos) FROM clients) + 1');
      this.statements.clearClients = this.db.prepare('DELETE FROM clients');
    }
    return this.statements[name];
  }

  /** Runs a prepared statement (a Stmt or its pointer) once. */
  #step(stmt) {
    const { capi, wasm } = this.sqlite3;
    const p = typeof stmt === 'number' ? stmt : stmt.pointer;
    const rc = wasm.exports.sqlite3_step(p);
    wasm.exports.sqlite3_reset(p);
    if (rc !== capi.SQLITE_DONE && rc !== capi.SQLITE_ROW) this.#check(rc);
  }

  #check(rc) {
    if (rc === 0) return;
    const { capi } = this.sqlite3;
    const err = new Error(capi.sqlite3_errmsg(this.db.pointer));
    err.resultCode = capi.sqlite3_extended_errcode(this.db.pointer) || rc;
    throw err;
  }

  #run(sql, what) {
    try {
      this.db.exec(sql);
    } catch (err) {
      throw this.#error(err, `${what} in ${this.label}`, performance.now());
    }
  }

  #setSynchronous(sync) {
    const level = sync ? 'FULL' : 'OFF';
    if (this.synchronous === level) return;
    this.db.exec(`PRAGMA synchronous = ${level}`);
    this.synchronous = level;
  }

  // Runs `body` in one transaction. On an error the transaction is rolled
  // back; if SQLite cannot get back to a clean state, or an fsync failed
  // (what reached the disk is unknown), the error is fatal.
  #transaction(sync, what, body) {
    const since = performance.now();
    const { capi } = this.sqlite3;
    try {
      this.#setSynchronous(sync);
      this.#step(this.begin);
      body();
      this.#step(this.commit);
      this.unsynced = !sync;
    } catch (err) {
      this.unsynced = true; // pages may have been written (and restored) without a sync
      let error = this.#error(err, what, since);
      try {
        if (!capi.sqlite3_get_autocommit(this.db.pointer)) this.db.exec('ROLLBACK');
      } catch {
        // reported below: still inside the transaction
      }
      const rc = err.resultCode ?? 0;
      if (!error.fatal && (!capi.sqlite3_get_autocommit(this.db.pointer) || rc === capi.SQLITE_IOERR_FSYNC || rc === capi.SQLITE_IOERR_DIR_FSYNC)) {
        error = new PersistentMapError(error.code, error.message, { cause: error.cause ?? err, fatal: true });
      }
      throw error;
    }
  }

  #error(err, what, since) {
    if (err instanceof PersistentMapError) return err;
    const { capi } = this.sqlite3;
    const rc = err.resultCode ?? 0;
    const primary = rc & 0xff;
    let code = 'IO';
    if (primary === capi.SQLITE_FULL) code = 'QUOTA';
    else if (primary === capi.SQLITE_CORRUPT || primary === capi.SQLITE_NOTADB) code = 'CORRUPT';
    else if (primary === capi.SQLITE_BUSY || primary === capi.SQLITE_LOCKED) code = 'LOCKED';
    const cause = this.vfsError(since);
    // The VFS knows better than SQLite's IOERR that the disk or quota is full.
    if (cause && (cause.name === 'QuotaExceededError' || cause.code === 'ENOSPC' || cause.code === 'EDQUOT')) code = 'QUOTA';
    const detail = cause ? `; ${cause.message}` : '';
    const name = rc ? ` (${capi.sqlite3_js_rc_str(rc) ?? rc})` : '';
    return new PersistentMapError(code, `${what}: ${err.message}${name}${detail}`, { cause: cause ?? err });
  }
}
