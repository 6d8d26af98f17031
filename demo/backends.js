// The storage choices the demo offers, in the order shown. `kind` is the
// PersistentMap.open backend name; a backend registered by the library
// (js/browser.js) needs one entry here to appear in the chooser.
export const BACKENDS = [
  { kind: 'opfs', label: 'OPFS', note: 'a private file of this site in the browser (the fastest)' },
  { kind: 'indexeddb', label: 'IndexedDB', note: "the browser's own database for sites" },
  { kind: 'sqlite', label: 'SQLite', note: 'a SQLite database in the browser, one row per task' },
  { kind: 'memory', label: 'Memory', note: 'not saved: a reload forgets your tasks' },
];

export const DEFAULT_BACKEND = BACKENDS[0].kind;
