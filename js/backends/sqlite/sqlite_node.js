// The sqlite backend in Node: the store is an SQLite database file (one
// row per key, see sqlite_rows.js) that the sqlite3 command-line tool can
// open, written by @sqlite.org/sqlite-wasm through a VFS over Node's file
// calls (sqlite_node_vfs.js). sqlite-wasm is an optional peer dependency,
// imported only when a store of this kind is opened. One writer at a time:
// the writer's lock of the database file, as for the fs backend (store_lock.js).

import fs from 'node:fs';
import path from 'node:path';
import { PersistentMapError } from '../../errors.js';
import { lockStore } from '../common/store_lock.js';
import { installNodeVfs, lastVfsError } from './sqlite_node_vfs.js';
import { SqliteRows } from './sqlite_rows.js';
import { TableBackend } from '../table/table_backend.js';

const SQLITE_PACKAGE = '@sqlite.org/sqlite-wasm';
let sqlitePromise = null;

/** The sqlite-wasm module, initialised once per process. */
function loadSqlite() {
  sqlitePromise ??= (async () => {
    let init;
    try {
      // A variable specifier: bundlers must not try to include it.
      ({ default: init } = await import(/* @vite-ignore */ SQLITE_PACKAGE));
    } catch (err) {
      throw new PersistentMapError('NOT_FOUND', `the sqlite backend needs the package ${SQLITE_PACKAGE} (npm install ${SQLITE_PACKAGE}): ${err.message}`, { cause: err });
    }
    return init();
  })();
  sqlitePromise.catch(() => {
    sqlitePromise = null;
  });
  return sqlitePromise;
}

// The row store: the writer's lock, then the database on the Node VFS.
class NodeSqliteStore {
  constructor(file, fileSystem, lockOptions) {
    this.file = file;
    this.fileSystem = fileSystem;
    this.lockOptions = lockOptions;
    this.lock = null;
    this.rows = null;
  }

  async open() {
    const dir = path.dirname(this.file);
    if (!fs.existsSync(dir)) {
      throw new PersistentMapError('NOT_FOUND', `directory ${dir} does not exist; create it first`);
    }
    const sqlite3 = await loadSqlite();
    this.lock = await lockStore(this.file, this.lockOptions); // creates the (empty) database file if absent
    let db = null;
    try {
      const vfs = installNodeVfs(sqlite3, this.fileSystem);
      const since = performance.now();
      try {
        db = new sqlite3.oo1.DB({ filename: this.file, flags: 'c', vfs });
      } catch (err) {
        const cause = lastVfsError(sqlite3, since);
        throw new PersistentMapError('IO', `cannot open ${this.file}: ${err.message}${cause ? `; ${cause.message}` : ''}`, { cause: cause ?? err });
      }
      this.rows = new SqliteRows(sqlite3, db, this.file, (since) => lastVfsError(sqlite3, since));
      return this.rows.load();
    } catch (err) {
      this.rows = null;
      try {
        db?.close();
      } finally {
        this.lock.release();
      }
      throw err;
    }
  }

  load() {
    return this.rows.load();
  }

  apply(change, options) {
    return this.rows.apply(change, options);
  }

  replace(change) {
    return this.rows.replace(change);
  }

  sync() {
    return this.rows.sync();
  }

  close() {
    try {
      this.rows?.close();
    } finally {
      this.rows = null;
      this.lock?.release();
    }
  }
}

export class SqliteBackend extends TableBackend {
  /**
   * @param {string} file path of the database file
   * @param {{ wasm?: object, fileSystem?: object }} [options] `wasm`: where
   *   the WebAssembly core is (see OpenOptions.wasm); `fileSystem`: the
   *   synchronous file calls the database goes through (default node:fs;
   *   tests inject faults with it); `wait`: wait for another writer to
   *   close the store instead of failing with LOCKED, until `signal` aborts
   */
  constructor(file, { wasm, fileSystem = fs, wait = false, signal } = {}) {
    const resolved = path.resolve(file);
    super(resolved, new NodeSqliteStore(resolved, fileSystem, { wait, signal }), { wasm });
    this.file = resolved;
  }

  /** Deletes a closed store's database and journal (LOCKED if it is open). */
  static async destroy(file) {
    const resolved = path.resolve(file);
    let lock;
    try {
      lock = await lockStore(resolved, { create: false });
    } catch (err) {
      if (err.code !== 'NOT_FOUND') throw err;
      fs.rmSync(`${resolved}-journal`, { force: true });
      return;
    }
    try {
      for (const f of [resolved, `${resolved}-journal`]) fs.rmSync(f, { force: true });
    } finally {
      lock.release();
    }
  }
}
