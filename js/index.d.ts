// Type declarations for persistent-map (Node and browser entry points).

/** JSON values: the default codec stores these as their JSON text. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Values the default codec keeps exactly (docs/FORMAT.md, "Value encoding"):
 * what structured clone keeps and has a meaning outside this process. A
 * Blob or File is not one: store `new Uint8Array(await blob.arrayBuffer())`.
 */
export type Storable =
  | null | undefined | boolean | number | bigint | string
  | Date | RegExp | ArrayBuffer | ArrayBufferView | Error
  | readonly Storable[]
  | ReadonlyMap<Storable, Storable>
  | ReadonlySet<Storable>
  | { readonly [key: string]: Storable };

/**
 * V itself when every part of it is storable (interfaces and optional
 * members too), else a type V does not satisfy; through StorableMembers,
 * the bound of PersistentMap's value type, so that
 * `PersistentMap<{ at: Date }>` compiles and
 * `PersistentMap<{ f: () => void }>` does not.
 */
export type StorableShape<V> =
  [V] extends [Storable] ? V
  : V extends null | undefined | boolean | number | bigint | string | Date | RegExp | ArrayBuffer | ArrayBufferView | Error ? V
  : V extends (...args: never[]) => unknown ? never
  : V extends symbol | WeakMap<object, unknown> | WeakSet<object> | Promise<unknown> | Blob ? never
  : V extends ReadonlyMap<infer K, infer W> ? ReadonlyMap<StorableShape<K>, StorableShape<W>>
  : V extends ReadonlySet<infer W> ? ReadonlySet<StorableShape<W>>
  : V extends object ? { [K in keyof V]: StorableShape<V[K]> }
  : never;

/** The bound of PersistentMap's value type: every member of V is storable. */
export type StorableMembers<V> = {
  [K in keyof V]: [V] extends [Storable] ? V[K] : V extends Date | RegExp | ArrayBuffer | ArrayBufferView | Error ? V[K] : StorableShape<V[K]>;
};

/** The default value type. */
export type StoredValue = Storable;

export type ErrorCode = 'IO' | 'QUOTA' | 'LOCKED' | 'CORRUPT' | 'CLOSED' | 'INVALID' | 'NOT_FOUND' | 'UNAVAILABLE';

/** Every failure the store reports. Bad input is a TypeError or RangeError with code 'INVALID'. */
export class PersistentMapError extends Error {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
  readonly code: ErrorCode;
  /** Set on backend errors after which the store cannot go on (it refuses writes until reopened). */
  fatal?: boolean;
}

/** Turns values into bytes and back. decode gets a copy it may keep. */
export interface Codec<V> {
  encode(value: V): Uint8Array | string;
  decode(bytes: Uint8Array): V;
}

/**
 * A backend that puts every client's writes in order itself, so that every
 * map of its stores follows it (natsBackend of 'persistent-map/nats'; see
 * docs/BACKENDS.md). Made by such a function, not written by hand.
 */
export interface SequencerBackend {
  readonly kind: string;
  readonly sequencer: true;
  join(name: string, options: object, make: object): Promise<PersistentMap<any>>;
}

/**
 * A storage backend (docs/BACKENDS.md). The map calls one method at a time
 * and never concurrently. A log-shaped backend stores the bytes it is given;
 * a table-shaped one (kind 'table', e.g. sqlite) stores the entries they
 * encode as rows: append gets whole log records to apply in one
 * transaction, open/read return a log synthesised from the rows, truncate
 * accepts only the current length, and the map never compacts it on its own.
 */
export interface LogBackend {
  readonly kind?: 'log' | 'table';
  /** Takes the store's lock (PersistentMapError 'LOCKED' if held) and returns the whole log. */
  open(): Promise<Uint8Array>;
  /** The whole log again (used to roll back after a failed append). */
  read(): Promise<Uint8Array>;
  /**
   * Appends bytes at the end; with sync, resolves once they are on stable
   * storage. Without, it may resolve before they are stored if the backend
   * reports a later failure through onfailure.
   */
  append(bytes: Uint8Array, options: { sync: boolean }): Promise<void>;
  /** Cuts the log to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Makes every appended byte durable. */
  sync(): Promise<void>;
  /** Atomically replaces the whole log (compaction). On failure the old log must be intact, or the error must have fatal: true. */
  replace(bytes: Uint8Array): Promise<void>;
  /** Releases the lock; rejects with the onfailure error if acknowledged writes may have been lost to it. */
  close(): Promise<void>;
  /**
   * Optional, all three or none: compaction in the background (docs/BACKENDS.md). Writes `bytes`
   * as a new log beside the current one and makes them durable; meanwhile the map calls only
   * append and sync, which go to the current log. On failure nothing of the new log remains.
   */
  beginReplace?(bytes: Uint8Array): Promise<void>;
  /**
   * After beginReplace resolved, alone: appends `tail` (the bytes appended since) to the new log,
   * makes it durable and atomically puts it in place of the current one. On failure the current
   * log must be intact, or the error must have fatal: true.
   */
  finishReplace?(tail: Uint8Array): Promise<void>;
  /** After beginReplace resolved, instead of finishReplace: drops the new log. */
  abortReplace?(): Promise<void>;
  /**
   * Declare it (as null) if a relaxed append can resolve before its bytes
   * are stored: the map sets it, and the backend calls it once, with a
   * fatal error, when such a write fails later. Every later call must then
   * reject with that error, and the log must be a prefix of whole appends.
   */
  onfailure?: ((error: PersistentMapError) => void) | null;
}

export interface CompactionOptions {
  /** Compact automatically when records ≥ ratio × live entries and the log ≥ minBytes. Default true. */
  auto?: boolean;
  /** Default 2. */
  ratio?: number;
  /** Default 1 MiB. */
  minBytes?: number;
}

export interface OpenOptions<V = StoredValue> {
  /**
   * 'auto' (default: fs in Node, opfs or indexeddb in browsers), 'fs', 'opfs', 'indexeddb', 'sqlite'
   * (needs the optional package @sqlite.org/sqlite-wasm; see SqliteBackend), 'memory', or a backend object
   * (natsBackend() of 'persistent-map/nats' makes one for a store shared by servers).
   */
  backend?: 'auto' | 'fs' | 'opfs' | 'indexeddb' | 'sqlite' | 'memory' | LogBackend | SequencerBackend;
  /**
   * Wait for exclusive access: until the store's writer (another tab, worker or process, or
   * another map in this one) closes it, instead of failing with LOCKED. Implies `exclusive`.
   * Default false.
   */
  wait?: boolean;
  /**
   * Refuse to share the store (LOCKED if another process, tab, worker or map has it open)
   * instead of joining it. By default a store already open elsewhere is shared (fs and
   * sqlite in Node; opfs, indexeddb and sqlite in browsers): see README "Sharing a store".
   * Default false.
   */
  exclusive?: boolean;
  /** Gives up a `wait`: open() then rejects with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /**
   * 'relaxed' (default): writes resolve when handed to the backend (fs: written
   * to the OS; opfs: posted to its worker; indexeddb: in a transaction, or
   * queued behind the one in flight); a crash of the tab, process or machine
   * can still lose them, and a failure found afterwards fails the store
   * (an 'error' event). 'strict': when on stable storage. See docs/BACKENDS.md.
   */
  durability?: 'relaxed' | 'strict';
  /** What to do with a damaged log. Default 'tolerate-torn-tail'. */
  recovery?: 'tolerate-torn-tail' | 'strict' | 'salvage';
  /**
   * Largest record payload (one set, or one setMany/deleteMany batch) in bytes, as docs/FORMAT.md counts it. Default 64 MiB, at most 1 GiB.
   * Opening a store that holds a larger record (written with a larger limit) rejects with a
   * RangeError (code 'INVALID') naming the record and its size, and changes nothing.
   */
  maxRecordSize?: number;
  compaction?: CompactionOptions;
  /** Default: JSON values and Uint8Array. */
  codec?: Codec<V>;
  /** Where the WebAssembly core is: its bytes, or a URL to load them from. */
  wasm?: { binary?: Uint8Array | ArrayBuffer; url?: string | URL };
  /**
   * Default false: get() and iteration return a fresh copy each time (a JSON.parse).
   * true: they return one deep-frozen value per key, decoded on its first read and
   * shared until the key is written, so a read costs a Map lookup. Uint8Array values
   * are still copied; update() still hands its function a fresh copy. Default codec only.
   */
  freeze?: boolean;
}

export interface DamagedRange {
  readonly begin: number;
  readonly end: number;
  readonly reason: string;
}

export interface RecoveryReport {
  readonly generation: number;
  readonly records: number;
  /** Byte ranges of the log that were not replayed (a torn tail, or what salvage skipped). */
  readonly damaged: readonly DamagedRange[];
}

export interface Stats {
  size: number;
  liveRecords: number;
  totalRecords: number;
  logBytes: number;
  pendingBytes: number;
  deadRatio: number;
  generation: number;
  /** The backend the store is on: what 'auto' chose, or 'custom' for a backend object. */
  backend: 'fs' | 'opfs' | 'indexeddb' | 'sqlite' | 'memory' | 'nats' | 'custom' | (string & {});
  durability: 'relaxed' | 'strict';
  state: 'open' | 'failed' | 'closed';
  /**
   * 'leader': this map owns the store's log (and shares it with `clients` followers);
   * 'follower': another process, tab or worker leads and this map follows it; 'nats': a NATS
   * JetStream stream orders the writes of every server and this map follows it; 'exclusive':
   * not shared.
   */
  role: 'leader' | 'follower' | 'nats' | 'exclusive';
  /** Followers connected to this leader; null otherwise. */
  clients: number | null;
}

export interface ExportCSVOptions {
  /**
   * Write cells that start with =, +, -, @, TAB or CR as '… (quoted) so that
   * spreadsheets show them as text instead of running them. Breaks exact round
   * trips (-1 comes back as '-1); off by default.
   */
  neutralizeFormulas?: boolean;
}

/** UTF-8 bytes or text, whole or in chunks (a Node.js file stream is an AsyncIterable<Buffer>). */
export type CSVSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReadableStream<string | Uint8Array>
  | Iterable<string | Uint8Array>
  | AsyncIterable<string | Uint8Array>;

/** 'local': a write through this map; 'remote': another process's (a shared store). */
export type ChangeOrigin = 'local' | 'remote';

export type ChangeEvent =
  | { type: 'set' | 'delete'; key: string; origin: ChangeOrigin }
  | { type: 'setMany' | 'deleteMany'; keys: string[]; origin: ChangeOrigin }
  | { type: 'clear'; origin: ChangeOrigin }
  /** The map was rebuilt from the log (a roll-back, or a shared store's change of leader): read it again. */
  | { type: 'reload'; origin: ChangeOrigin };

export class PersistentMap<V extends StorableMembers<V> = StoredValue> implements Iterable<[string, V]> {
  /** Opens or creates a store: a file path for the fs backend, a name otherwise. */
  static open<V extends StorableMembers<V> = StoredValue>(name: string, options?: OpenOptions<V>): Promise<PersistentMap<V>>;
  private constructor();

  readonly recovery: RecoveryReport;
  readonly size: number;

  /** A fresh copy of the value (a shared deep-frozen one with { freeze: true }), or undefined. */
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** The i-th entry in insertion order; negative i counts from the end. */
  at(index: number): [string, V] | undefined;
  keys(): IterableIterator<string>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[string, V]>;
  [Symbol.iterator](): IterableIterator<[string, V]>;
  forEach(callback: (value: V, key: string, map: this) => void, thisArg?: unknown): void;
  stats(): Stats;

  /**
   * Writes issued in one tick share one promise (they succeed or fail
   * together). Every write, also one that changes nothing, resolves only once
   * the earlier writes are as durable as it would be, and rejects if they fail.
   */
  set(key: string, value: V): Promise<void>;
  /** Resolves to whether the key was there. */
  delete(key: string): Promise<boolean>;
  clear(): Promise<void>;
  /**
   * Sets key to fn(current); resolves to the new value. fn must be synchronous. Atomic also
   * in a shared store: if another process wrote key after fn read it, fn runs again.
   */
  update(key: string, fn: (current: V | undefined) => V): Promise<V>;
  /** One atomic record. */
  setMany(entries: Iterable<readonly [string, V]> | Map<string, V>): Promise<void>;
  /** One atomic record; resolves to how many keys were there. */
  deleteMany(keys: Iterable<string>): Promise<number>;
  /**
   * The entries as CSV (RFC 4180; header `key,value`; keys as text; values as
   * JSON text, bytes as {"$bytes":"<base64>"}; insertion order), as text
   * chunks of about 64K characters, as the map is at this call. Node:
   * `await pipeline(Readable.from(map.exportCSV()), fs.createWriteStream(f))`;
   * browser: `new Blob(await Array.fromAsync(map.exportCSV()), { type: 'text/csv' })`.
   */
  exportCSV(options?: ExportCSVOptions): AsyncIterable<string>;
  /**
   * Puts every record of a CSV source (as exportCSV writes it) in one atomic
   * write and resolves to the number of records. A bad record rejects with a
   * SyntaxError (code 'INVALID', `line`, `column`) and changes nothing.
   */
  importCSV(source: CSVSource): Promise<number>;
  /** Resolves once every earlier write is on stable storage. */
  flush(): Promise<void>;
  /**
   * Resolves once this map reflects every write sequenced before the call, by any process
   * sharing the store (at once for a store that is not shared, or for its leader).
   */
  refresh(): Promise<void>;
  compact(): Promise<void>;
  /** Flushes and releases the store; idempotent. Reads and iterations go on afterwards (the memory is freed once the map is garbage). */
  close(): Promise<void>;

  /**
   * A listener that throws does not stop the write: the exception is thrown
   * again, uncaught, once the write has resolved or rejected.
   */
  on(type: 'change', listener: (event: ChangeEvent) => void): this;
  /**
   * A failed automatic compaction, or a backend failure found after relaxed
   * writes were acknowledged (the store then refuses writes until reopened,
   * and close() rejects with the error).
   */
  on(type: 'error', listener: (error: PersistentMapError) => void): this;
  off(type: 'change' | 'error', listener: (...args: any[]) => void): this;

  /**
   * Changes exactly when what reads see changes (a write through this map, another tab's or
   * process's, a reload); equal otherwise: React's useSyncExternalStore getSnapshot.
   */
  readonly version: number;
  /**
   * Calls listener(map) at once and after every change (the Svelte store contract; React's
   * useSyncExternalStore ignores the argument); returns the function that stops it.
   */
  subscribe(listener: (map: this) => void): () => void;
}

/** Makes `kind` usable as { backend: kind }. */
export function registerBackend(
  kind: string,
  factory: (name: string, options: { wait: boolean; signal?: AbortSignal; wasm?: OpenOptions['wasm'] }) => LogBackend | Promise<LogBackend>,
  options?: { auto?: boolean },
): void;

export const jsonCodec: Codec<StoredValue>;

/** The in-memory backend (stores live as long as the process). */
export interface MemoryBackend extends LogBackend {}
export class MemoryBackend {
  constructor(name: string);
  static destroy(name: string): void;
}

/**
 * The OPFS backend (browser entry point only): a sync access handle in a
 * worker of its own. Relaxed appends resolve once posted to the worker; a
 * worker that cannot start or dies fails the store with a fatal IO error.
 */
export interface OpfsBackend extends LogBackend {}
export class OpfsBackend {
  constructor(name: string, options?: { wait?: boolean; signal?: AbortSignal });
  /** True where a dedicated worker can get a sync access handle. */
  static available(): Promise<boolean>;
  static destroy(name: string): Promise<void>;
}

/**
 * The IndexedDB backend (browser entry point only). Relaxed appends resolve
 * once in a transaction, or queued behind the one in flight (committed at
 * once when the page is hidden).
 */
export interface IndexedDbBackend extends LogBackend {}
export class IndexedDbBackend {
  constructor(name: string, options?: { wait?: boolean; signal?: AbortSignal });
  static destroy(name: string): Promise<void>;
}

/** The Node.js file backend (Node entry point only). */
export interface FsBackend extends LogBackend {}
export class FsBackend {
  constructor(file: string, options?: { wait?: boolean; signal?: AbortSignal });
}

/** The synchronous node:fs calls the Node sqlite backend's database goes through (same signatures). */
export type SqliteFileSystem = Record<
  'openSync' | 'closeSync' | 'readSync' | 'writeSync' | 'fsyncSync' | 'fdatasyncSync' | 'ftruncateSync' |
  'fstatSync' | 'unlinkSync' | 'accessSync',
  (...args: any[]) => any>;

/**
 * The sqlite backend (kind 'table'): one row per key in an SQLite database, in insertion order
 * (docs/BACKENDS.md). Needs the optional peer dependency @sqlite.org/sqlite-wasm, loaded only
 * when a store is opened. Node: the database is the file `name` (the sqlite3 tool opens it) and
 * this class is exported by 'persistent-map'. Browsers: an OPFS database kept by the opfs-sahpool
 * VFS in a worker; import 'persistent-map/sqlite' (which also registers backend 'sqlite'), or
 * without a bundler give `moduleUrl` or map '@sqlite.org/sqlite-wasm' in the page's import map.
 */
export interface SqliteBackend extends LogBackend {}
export class SqliteBackend {
  constructor(name: string, options?: {
    /** Where the WebAssembly core is (see OpenOptions.wasm). */
    wasm?: OpenOptions['wasm'];
    /** Wait for another writer to close the store instead of failing with LOCKED. */
    wait?: boolean;
    /** Gives up a `wait`. */
    signal?: AbortSignal;
    /** Browsers without a bundler: the URL of sqlite-wasm's module (dist/index.mjs). */
    moduleUrl?: string | URL;
    /** Browsers: serve the backend's worker from here instead of beside the module. */
    workerUrl?: string | URL;
    /** Node: the file calls the database goes through (default node:fs; tests inject faults). */
    fileSystem?: SqliteFileSystem;
  });
  /** Deletes a closed store's database (LOCKED if it is open). */
  static destroy(name: string): Promise<void>;
}
