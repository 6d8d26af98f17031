// Type declarations for persistent-map (Node and browser entry points).

/** Values the default codec stores: JSON values and byte strings. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type StoredValue = JsonValue | Uint8Array;

export type ErrorCode = 'IO' | 'QUOTA' | 'LOCKED' | 'CORRUPT' | 'CLOSED' | 'INVALID' | 'NOT_FOUND';

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
 * A log-shaped storage backend (docs/BACKENDS.md). The map calls one method
 * at a time and never concurrently.
 */
export interface LogBackend {
  readonly kind?: 'log';
  /** Takes the store's lock (PersistentMapError 'LOCKED' if held) and returns the whole log. */
  open(): Promise<Uint8Array>;
  /** The whole log again (used to roll back after a failed append). */
  read(): Promise<Uint8Array>;
  /** Appends bytes at the end; with sync, resolves once they are on stable storage. */
  append(bytes: Uint8Array, options: { sync: boolean }): Promise<void>;
  /** Cuts the log to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Makes every appended byte durable. */
  sync(): Promise<void>;
  /** Atomically replaces the whole log (compaction). On failure the old log must be intact, or the error must have fatal: true. */
  replace(bytes: Uint8Array): Promise<void>;
  /** Releases the lock. */
  close(): Promise<void>;
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
  /** 'auto' (default: fs in Node, opfs or indexeddb in browsers), 'fs', 'opfs', 'indexeddb', 'memory', or a backend object. */
  backend?: 'auto' | 'fs' | 'opfs' | 'indexeddb' | 'memory' | LogBackend;
  /** Browsers: wait for another tab's store to close instead of failing with LOCKED. Default false. */
  wait?: boolean;
  /** 'relaxed' (default): writes resolve when handed to the backend; 'strict': when on stable storage. */
  durability?: 'relaxed' | 'strict';
  /** What to do with a damaged log. Default 'tolerate-torn-tail'. */
  recovery?: 'tolerate-torn-tail' | 'strict' | 'salvage';
  /** Largest record (one set, or one setMany/deleteMany batch) in bytes. Default 64 MiB. */
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
  durability: 'relaxed' | 'strict';
  state: 'open' | 'failed' | 'closed';
}

export type ChangeEvent =
  | { type: 'set' | 'delete'; key: string }
  | { type: 'setMany' | 'deleteMany'; keys: string[] }
  | { type: 'clear' }
  | { type: 'reload' };

export class PersistentMap<V = StoredValue> implements Iterable<[string, V]> {
  /** Opens or creates a store: a file path for the fs backend, a name otherwise. */
  static open<V = StoredValue>(name: string, options?: OpenOptions<V>): Promise<PersistentMap<V>>;
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

  /** Writes issued in one tick share one promise (they succeed or fail together). */
  set(key: string, value: V): Promise<void>;
  /** Resolves to whether the key was there. */
  delete(key: string): Promise<boolean>;
  clear(): Promise<void>;
  /** Sets key to fn(current); resolves to the new value. fn must be synchronous. */
  update(key: string, fn: (current: V | undefined) => V): Promise<V>;
  /** One atomic record. */
  setMany(entries: Iterable<readonly [string, V]> | Map<string, V>): Promise<void>;
  /** One atomic record; resolves to how many keys were there. */
  deleteMany(keys: Iterable<string>): Promise<number>;
  /** Resolves once every earlier write is on stable storage. */
  flush(): Promise<void>;
  compact(): Promise<void>;
  close(): Promise<void>;

  on(type: 'change', listener: (event: ChangeEvent) => void): this;
  on(type: 'error', listener: (error: PersistentMapError) => void): this;
  off(type: 'change' | 'error', listener: (...args: any[]) => void): this;
}

/** Makes `kind` usable as { backend: kind }. */
export function registerBackend(
  kind: string,
  factory: (name: string, options: { wait: boolean }) => LogBackend,
  options?: { auto?: boolean },
): void;

export const jsonCodec: Codec<StoredValue>;

/** The in-memory backend (stores live as long as the process). */
export interface MemoryBackend extends LogBackend {}
export class MemoryBackend {
  constructor(name: string);
  static destroy(name: string): void;
}

/** The OPFS backend (browser entry point only): a sync access handle in a worker of its own. */
export interface OpfsBackend extends LogBackend {}
export class OpfsBackend {
  constructor(name: string, options?: { wait?: boolean });
  /** True where a dedicated worker can get a sync access handle. */
  static available(): Promise<boolean>;
  static destroy(name: string): Promise<void>;
}

/** The IndexedDB backend (browser entry point only). */
export interface IndexedDbBackend extends LogBackend {}
export class IndexedDbBackend {
  constructor(name: string, options?: { wait?: boolean });
  static destroy(name: string): Promise<void>;
}

/** The Node.js file backend (Node entry point only). */
export interface FsBackend extends LogBackend {}
export class FsBackend {
  constructor(file: string);
}
