// The backend registry: which names `{ backend }` accepts, what 'auto'
// means in this environment, and what the map may assume of a backend.

import { PersistentMapError, invalidType } from '../errors.js';
import { MemoryBackend } from '../backends/memory/memory.js';

const factories = new Map([['memory', (name) => new MemoryBackend(name)]]);
const transports = new Map(); // backend kind -> (name) => transport (js/share/sharing.js)
let autoBackend = null;

/**
 * Makes `kind` usable as { backend: kind }: factory(name, { wait, signal, wasm }) returns a
 * backend. `auto` marks the default; a function picks among several.
 */
export function registerBackend(kind, factory, { auto = false } = {}) {
  factories.set(kind, factory);
  if (auto) autoBackend = kind;
}

/**
 * Makes stores of the backend `kind` shared between the processes (or
 * tabs) that open them: transport(name) returns what js/share/sharing.js
 * needs ({ pid, connect(), listen(onConnection) }).
 */
export function registerTransport(kind, transport) {
  transports.set(kind, transport);
}

/** The transport of a store `name` of backend `kind`, or null if such stores are not shared. */
export function transportOf(kind, name) {
  const make = transports.get(kind);
  return make === undefined ? null : make(name);
}

/** Sets how 'auto' chooses: a kind, or a function returning (a promise of) one. */
export function setAutoBackend(choose) {
  autoBackend = choose;
}

const METHODS = ['open', 'read', 'append', 'truncate', 'sync', 'replace', 'close'];
// Optional, all or none: compaction without holding up writes.
const REPLACE_IN_BACKGROUND = ['beginReplace', 'finishReplace', 'abortReplace'];

/**
 * The backend `options.backend` names (or is), and its name for stats():
 * resolves to { backend, kind }.
 */
export async function makeBackend(name, options) {
  const { backend } = options;
  if (backend && typeof backend === 'object') {
    if (isSequencer(backend)) {
      if (typeof backend.join !== 'function') throw invalidType('a backend that orders the writes itself ({ sequencer: true }) needs a join() method (see docs/BACKENDS.md)');
      return { backend, kind: typeof backend.kind === 'string' ? backend.kind : 'custom' };
    }
    for (const m of METHODS) {
      if (typeof backend[m] !== 'function') throw invalidType(`custom backend lacks a ${m}() method (see docs/BACKENDS.md)`);
    }
    const background = REPLACE_IN_BACKGROUND.filter((m) => typeof backend[m] === 'function');
    if (background.length > 0 && background.length < REPLACE_IN_BACKGROUND.length) {
      const missing = REPLACE_IN_BACKGROUND.find((m) => typeof backend[m] !== 'function');
      throw invalidType(`custom backend has ${background[0]}() but lacks ${missing}(); a backend that replaces its log in the background needs all of ${REPLACE_IN_BACKGROUND.map((m) => `${m}()`).join(', ')} (see docs/BACKENDS.md)`);
    }
    return { backend, kind: 'custom' };
  }
  const kind = backend === 'auto' ? (typeof autoBackend === 'function' ? await autoBackend() : autoBackend) : backend;
  if (kind === null) {
    throw new PersistentMapError('INVALID', "no persistent backend is available in this environment yet; pass { backend: 'memory' } for a store that lives only in this page");
  }
  const factory = factories.get(kind);
  if (!factory) {
    throw invalidType(`unknown backend ${JSON.stringify(backend)}; use ${[...factories.keys(), 'auto'].map((k) => `'${k}'`).join(', ')} or a backend object`);
  }
  return { backend: await factory(name, { wait: options.wait === true, signal: options.signal, wasm: options.wasm, steal: options.steal === true }), kind };
}

/**
 * Whether `backend` orders every client's writes itself (persistent-map/nats):
 * every map of its stores follows it, none owns a log.
 */
export function isSequencer(backend) {
  return backend.sequencer === true;
}

/**
 * What the map may assume of a backend (docs/BACKENDS.md, "The interface"),
 * decided here once from what it declares:
 * - `readIsLog`: read() returns the log exactly as appended (log-shaped);
 *   a table-shaped backend (`kind: 'table'`) returns a snapshot of its rows.
 * - `autoCompact`: automatic compaction makes sense (rows hold no dead records).
 * - `lateFailures`: a relaxed append may fail after it resolved (`onfailure`).
 * - `replaceInBackground`: a log-shaped backend that stores a snapshot while
 *   appends go on (beginReplace, finishReplace, abortReplace).
 */
export function capabilitiesOf(backend) {
  const table = backend.kind === 'table';
  const background = !table && REPLACE_IN_BACKGROUND.every((m) => typeof backend[m] === 'function');
  return Object.freeze({ readIsLog: !table, autoCompact: !table, lateFailures: 'onfailure' in backend, replaceInBackground: background });
}
