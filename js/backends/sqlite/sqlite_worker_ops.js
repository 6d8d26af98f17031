// The inside of the dedicated worker behind the browser's SqliteBackend
// (sqlite_browser.js): runs @sqlite.org/sqlite-wasm with its opfs-sahpool
// VFS (OPFS sync access handles, which only workers have) and keeps one
// store's rows with SqliteRows, answering one request at a time.
//
// Each store has its own pool directory in OPFS (sqlite_paths.js) holding
// the database and its journal; the pool's handles are exclusive, so the
// store's Web Lock (taken by the page) and the pool agree on one writer.
//
// Two thin workers serve it: sqlite_worker.js imports sqlite-wasm by its
// package name (for bundlers, which resolve and bundle it), and
// sqlite_url_worker.js imports it from a URL the page gives (no bundler: a
// worker has no import map, so a bare name cannot resolve there).

import { serveRequests } from '../common/worker_rpc.js';
import { sqliteStoreDirectory } from './sqlite_paths.js';
import { SqliteRows } from './sqlite_rows.js';

const VFS_NAME = 'persistent-map-sahpool';
const DB_FILE = '/store.sqlite3';

let pool = null;
let rows = null;
let name = null;
let lastVfsError = null; // { error, at }

// The pool reports the error behind a failed file operation (a
// QuotaExceededError, ...) only to the configured logger: keep the last one,
// so that messages and error codes can say what happened.
function captureVfsErrors() {
  globalThis.sqlite3ApiConfig = {
    error: (...args) => {
      const error = args.find((a) => a instanceof Error);
      if (error) lastVfsError = { error, at: performance.now() };
      console.error(...args);
    },
  };
}

function vfsError(since) {
  return lastVfsError && lastVfsError.at >= since ? lastVfsError.error : null;
}

let loadModule = null; // (moduleUrl) => sqlite-wasm's init function (see serve)

const ops = {
  async open(msg) {
    name = msg.name;
    captureVfsErrors();
    const sqlite3 = await (await loadModule(msg.moduleUrl))();
    try {
      pool = await sqlite3.installOpfsSAHPoolVfs({ name: VFS_NAME, directory: sqliteStoreDirectory(name).join('/'), initialCapacity: 2, verbosity: 1 });
    } catch (err) {
      // NoModificationAllowedError: another context holds the pool's handles.
      const code = err?.name === 'QuotaExceededError' ? 'QUOTA' : err?.name === 'NoModificationAllowedError' ? 'LOCKED' : 'IO';
      throw Object.assign(new Error(`cannot open its OPFS pool: ${err?.name}: ${err?.message}`), { code });
    }
    const db = new pool.OpfsSAHPoolDb(DB_FILE);
    try {
      rows = new SqliteRows(sqlite3, db, `sqlite store '${name}'`, vfsError);
      return transferRows(rows.load());
    } catch (err) {
      rows = null;
      db.close();
      throw err;
    }
  },

  load() {
    return transferRows(rows.load());
  },

  apply(msg) {
    rows.apply(msg.change, { sync: msg.sync });
  },

  replace(msg) {
    rows.replace(msg.change);
  },

  sync() {
    rows.sync();
  },

  close() {
    try {
      rows?.close();
    } finally {
      rows = null;
      // Frees the pool's handles now, not when the worker is gone, so that
      // the next opener (this page or another) gets them at once.
      pool?.pauseVfs();
      pool = null;
    }
  },
};

function transferRows(state) {
  return { result: state, transfer: [state.rows.buffer] };
}

/**
 * Answers the page's requests. `load(moduleUrl)` resolves to sqlite-wasm's
 * init function (its default export).
 */
export function serve(load) {
  loadModule = load;
  serveRequests(ops, { what: (op) => `sqlite ${op} of '${name}'` });
}
