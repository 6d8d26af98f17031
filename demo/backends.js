// The storage choices the demo offers, in the order shown. `kind` is the
// PersistentMap.open backend name; a backend registered by the library
// (js/browser.js) needs one entry here to appear in the chooser.
export const BACKENDS = [
  { kind: 'opfs', label: 'OPFS', note: 'a log file in the Origin Private File System, written from a worker' },
  { kind: 'indexeddb', label: 'IndexedDB', note: 'the log as chunks in an IndexedDB database' },
  { kind: 'sqlite', label: 'SQLite', note: 'one row per task in a SQLite database (sqlite-wasm, opfs-sahpool VFS, in a worker)' },
  { kind: 'memory', label: 'Memory', note: 'nothing is stored: a reload forgets everything' },
];

export const DEFAULT_BACKEND = BACKENDS[0].kind;
