// Loads the WebAssembly core and wraps its Engine so the rest of js/ deals
// in Uint8Arrays. A group commit is one call into WebAssembly: the
// operation stream built by OpWriter (js/op_writer.js, src/op_stream.h) goes
// in, the pending log bytes and whether to compact come out.

import createPmapCore from './wasm/pmap_core.mjs';
import { clientIdHalves, clientIdHex } from './client_id.js';
import { PersistentMapError, statusError } from './errors.js';
import { decodeText, encoder, textDecoder } from './utf8.js';

/** The recovery modes' names (src/recovery_mode.h), the default first. */
export const RECOVERY_MODES = Object.freeze(['tolerate-torn-tail', 'strict', 'salvage']);

/** The names for messages: "'tolerate-torn-tail', 'strict' or 'salvage'" (each in `quote`). */
export function recoveryModeList(quote = "'") {
  const quoted = RECOVERY_MODES.map((m) => `${quote}${m}${quote}`);
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

const EMPTY = new Uint8Array(0);
// The log goes into WebAssembly memory in windows of this size on recovery.
const RECOVER_WINDOW = 4 << 20;
// Commit memory up to this size is kept from one commit to the next.
const KEEP_INPUT_BYTES = 1 << 20;
// Export memory of up to this many words of operations is kept from one
// follow() to the next.
const KEEP_FOLLOW_WORDS = 6 << 12;
const FOLLOW_KINDS = [undefined, 'set', 'delete', 'clear'];

let defaultModule = null;

async function readWasm(url) {
  if (url.protocol === 'file:') {
    // Node: fetch() cannot read file: URLs. The specifier is a variable so
    // that bundlers for the browser leave it alone.
    const fsName = 'node:fs/promises';
    const fs = await import(/* @vite-ignore */ fsName);
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Instantiates the core. `wasm` may give `binary` (the .wasm bytes) or
 * `url` (where to load them from); by default the .wasm next to this file.
 */
export async function loadCore(wasm = {}) {
  if (!wasm.binary && !wasm.url && defaultModule) return defaultModule;
  const promise = (async () => {
    let binary = wasm.binary;
    if (!binary) {
      const url = new URL(wasm.url ?? new URL('./wasm/pmap_core.wasm', import.meta.url), import.meta.url);
      try {
        binary = await readWasm(url);
      } catch (err) {
        throw new PersistentMapError('IO', `cannot load the WebAssembly core from ${url} (${err.message}); pass { wasm: { url } } to say where pmap_core.wasm is served`, { cause: err });
      }
    }
    return createPmapCore({ wasmBinary: binary });
  })();
  if (!wasm.binary && !wasm.url) {
    defaultModule = promise;
    promise.catch(() => { defaultModule = null; });
  }
  return promise;
}

/**
 * Copies `bytes` into WebAssembly memory and calls fn(pointer, length); the
 * copy is freed when fn returns.
 */
export function withWasmBytes(module, bytes, fn) {
  const ptr = module._malloc(Math.max(1, bytes.length)) >>> 0;
  if (ptr === 0) throw new PersistentMapError('IO', `out of WebAssembly memory for ${bytes.length} bytes`);
  try {
    module.HEAPU8.set(bytes, ptr); // HEAPU8 read after _malloc, which may grow memory
    return fn(ptr, bytes.length);
  } finally {
    module._free(ptr);
  }
}

/** The Engine of the WebAssembly core, speaking Uint8Arrays. */
export class Core {
  constructor(module, { maxRecordSize, recovery, compaction }) {
    this.module = module;
    this.engine = new module.Engine(maxRecordSize, recovery, compaction.ratio,
      compaction.minBytes, compaction.auto);
    this.maxRecordSize = maxRecordSize;
    // Scratch memory for lookups: 16 bytes for the answer, then the key.
    this.scratch = 0;
    this.scratchSize = 0;
    // Memory kept for the operation streams of commits (up to
    // KEEP_INPUT_BYTES); its first 16 bytes take a commit's answer.
    this.input = 0;
    this.inputSize = 0;
    /** The log bytes the last commit copied out. */
    this.pending = EMPTY;
    /** Whether the core asked to compact the log at its last commit, recovery or compaction. */
    this.compactDue = false;
  }

  // Copies `ops` into the commit memory; returns their address.
  #putOps(ops) {
    const need = 16 + ops.length;
    if (need > this.inputSize) {
      const m = this.module;
      const size = Math.max(1 << 12, need * 2);
      const ptr = m._malloc(size) >>> 0;
      if (ptr === 0) throw new PersistentMapError('IO', `out of WebAssembly memory for ${ops.length} bytes of writes`);
      if (this.input !== 0) m._free(this.input);
      this.input = ptr;
      this.inputSize = size;
    }
    this.module.HEAPU8.set(ops, this.input + 16); // HEAPU8 read after _malloc, which may grow memory
    return this.input + 16;
  }

  // Frees the commit memory if a large stream grew it.
  #trimInput() {
    if (this.inputSize <= KEEP_INPUT_BYTES) return;
    this.module._free(this.input);
    this.input = 0;
    this.inputSize = 0;
  }

  // Writes the UTF-8 of `key` into scratch memory; returns its byte length.
  #putKey(key) {
    const need = 16 + key.length * 3;
    if (need > this.scratchSize) {
      const m = this.module;
      const size = Math.max(256, need * 2);
      const ptr = m._malloc(size) >>> 0;
      if (ptr === 0) throw new PersistentMapError('IO', `out of WebAssembly memory for a key of ${key.length} characters`);
      if (this.scratch !== 0) m._free(this.scratch);
      this.scratch = ptr;
      this.scratchSize = size;
    }
    const heap = this.module.HEAPU8;
    const at = this.scratch + 16;
    const n = key.length;
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) return encoder.encodeInto(key, heap.subarray(at, at + n * 3)).written;
      heap[at + i] = c;
    }
    return n;
  }

  /**
   * The stored value of `key` (a well-formed string), or undefined: with
   * valuesAsText, a string for UTF-8 text and a Uint8Array otherwise (tagged
   * bytes without their tag); else always a Uint8Array (a copy).
   */
  get(key, valuesAsText) {
    const len = this.#putKey(key);
    if (!this.engine.find(this.scratch + 16, len, valuesAsText, this.scratch)) return undefined;
    const m = this.module;
    const answer = m.HEAPU32;
    const i = this.scratch >>> 2;
    const start = answer[i];
    const end = start + answer[i + 1];
    if (answer[i + 2] === 0) return decodeText(m.HEAPU8, start, end);
    return m.HEAPU8.slice(start, end);
  }

  /** Whether `key` (a well-formed string) is present. */
  has(key) {
    const len = this.#putKey(key);
    return this.engine.contains(this.scratch + 16, len);
  }

  /**
   * Rebuilds the state from the bytes of a log file; returns the recovery
   * report. The bytes go into WebAssembly memory a window of RECOVER_WINDOW
   * at a time (larger only for a record that does not fit, or for the rest
   * of the file after damage), so that the memory, which never shrinks,
   * does not hold the whole file next to the state built from it.
   */
  recover(bytes) {
    const m = this.module;
    const engine = this.engine;
    engine.beginRecover(bytes.length);
    let ptr = 0;
    let capacity = 0;
    try {
      let offset = 0;
      let size = RECOVER_WINDOW;
      for (;;) {
        const end = engine.recoverNeedsRest() ? bytes.length : Math.min(bytes.length, offset + size);
        const n = end - offset;
        if (n > capacity) {
          if (ptr !== 0) m._free(ptr);
          capacity = 0;
          ptr = m._malloc(Math.max(1, n)) >>> 0;
          if (ptr === 0) throw new PersistentMapError('IO', `out of WebAssembly memory for ${n} bytes of the log`);
          capacity = n;
        }
        m.HEAPU8.set(bytes.subarray(offset, end), ptr); // HEAPU8 read after _malloc, which may grow memory
        const report = engine.recoverWindow(ptr, n, end === bytes.length);
        if (report !== null) {
          this.compactDue = report.shouldCompact;
          return report;
        }
        const next = engine.recoverOffset();
        // No whole record in the window: the next one is twice as large.
        size = next === offset ? size * 2 : RECOVER_WINDOW;
        offset = next;
      }
    } finally {
      if (ptr !== 0) m._free(ptr);
    }
  }

  /**
   * One call into WebAssembly: applies the operation stream `ops` (may be
   * empty), all or nothing, and takes the pending log bytes as `take` says:
   * 'copy' (into this.pending), 'drop' (forgotten; a snapshot will hold them) or
   * 'keep' (left in the core for a later commit). Returns null on
   * success, with the bytes in this.pending (empty unless copied) and
   * this.compactDue set; else the status ({ok, code, message}) of the
   * refusal, and nothing changed.
   */
  commit(ops, take) {
    const at = this.#putOps(ops);
    const out = this.input;
    const ok = this.engine.commit(at, ops.length, take !== 'keep', out);
    const m = this.module;
    const answer = m.HEAPU32;
    const i = out >>> 2;
    const start = answer[i];
    if (ok) {
      this.pending = take === 'copy' ? m.HEAPU8.slice(start, start + answer[i + 1]) : EMPTY;
      this.compactDue = answer[i + 2] !== 0;
    }
    this.#trimInput();
    return ok ? null : this.engine.lastStatus();
  }

  /**
   * The log records the operation stream `ops` makes (a copy), applying
   * nothing: for a writer whose records are put in order elsewhere (a NATS
   * stream) and come back to it through follow(). Throws a
   * PersistentMapError (INVALID for a record over maxRecordSize) if the
   * stream is refused.
   */
  encode(ops) {
    const at = this.#putOps(ops);
    const out = this.input;
    const ok = this.engine.encode(at, ops.length, out);
    let bytes = null;
    if (ok) {
      const answer = this.module.HEAPU32;
      const start = answer[out >>> 2];
      bytes = this.module.HEAPU8.slice(start, start + answer[(out >>> 2) + 1]);
    }
    this.#trimInput();
    if (!ok) throw statusError(this.engine.lastStatus());
    return bytes;
  }

  /**
   * Applies `bytes`, a run of complete log records another writer appended
   * (never a header), with the checks of recovery: all or nothing. Throws a
   * PersistentMapError (CORRUPT naming the damaged record's offset in the
   * run and why; INVALID for an intact record over maxRecordSize) and
   * changes nothing if they are refused. Then calls onOp(kind, key, client)
   * for every operation applied, in order: kind 'set', 'delete' or 'clear',
   * key a string (undefined for 'clear'), client the 16 hex digits of the
   * writer's id for an operation of a tagged record, else null. One call
   * into WebAssembly; the keys are decoded with one TextDecoder call.
   */
  follow(bytes, onOp) {
    const ok = this.engine.follow(this.#putOps(bytes), bytes.length);
    this.#trimInput();
    if (!ok) throw statusError(this.engine.lastStatus());
    const text = textDecoder.decode(this.engine.exportText());
    const meta = this.engine.exportMeta().slice();
    if (meta.length > KEEP_FOLLOW_WORDS) this.engine.releaseExport();
    let t = 0;
    let lo = -1;
    let hi = -1;
    let client = null;
    for (let i = 0; i < meta.length; i += 6) {
      const kind = meta[i] & 0xff;
      let key;
      if (kind !== 3) {
        if (meta[i + 1] === 0xffffffff) {
          // Not valid UTF-8 (written by another program): decoded with
          // replacement characters, as export does.
          key = textDecoder.decode(bytes.subarray(meta[i + 2], meta[i + 2] + meta[i + 3]));
        } else {
          key = text.substring(t, t + meta[i + 1]);
          t += meta[i + 1];
        }
      }
      if ((meta[i] & 0x100) === 0) {
        client = null;
        lo = -1;
      } else if (meta[i + 4] !== lo || meta[i + 5] !== hi || client === null) {
        lo = meta[i + 4];
        hi = meta[i + 5];
        client = clientIdHex(lo, hi);
      }
      onOp(FOLLOW_KINDS[kind], key, client);
    }
  }

  /** The format version of the log the core writes to (docs/FORMAT.md): 1 or 2. */
  formatVersion() {
    return this.engine.formatVersion();
  }

  /** The last sequence number the log holds for a client (16 hex digits), 0 if none. */
  clientSeq(hex) {
    const [lo, hi] = clientIdHalves(hex);
    return this.engine.clientSeq(lo, hi);
  }

  /**
   * The payload size of the first record that the operations an OpWriter
   * holds since `mark` would make that is larger than maxRecordSize, or 0
   * if every one fits. The core sizes records (src/record_size.h);
   * operations short enough that no encoding can make them too large are
   * answered without asking it (and without a view of them), unless they
   * hold a tagged write (whose record may be larger than its operations:
   * src/op_stream.h).
   */
  oversize(writer, mark) {
    if (!writer.hasTaggedSince(mark) && writer.mark() - mark + this.module.maxPayloadExcess <= this.maxRecordSize) return 0;
    const ops = writer.since(mark);
    const n = this.engine.oversize(this.#putOps(ops), ops.length);
    this.#trimInput();
    if (n < 0) throw statusError(this.engine.lastStatus(), 'internal error sizing a write');
    return n;
  }

  encodeSnapshot() {
    return this.engine.encodeSnapshot().slice();
  }

  /**
   * A snapshot a piece at a time, while writes go on between the pieces
   * (Engine::BeginSnapshot in src/engine.h): beginSnapshot(), then
   * snapshotPiece() until it says done, then always endSnapshot(), after
   * which snapshotInstalled() accounts for it.
   */
  beginSnapshot() {
    this.engine.beginSnapshot();
  }

  /** The next piece of the snapshot, { bytes (a copy), done }. */
  snapshotPiece(chunkSize) {
    const bytes = this.engine.snapshotPiece(chunkSize).slice();
    return { bytes, done: this.engine.snapshotDone() };
  }

  endSnapshot() {
    this.engine.endSnapshot();
  }

  snapshotInstalled() {
    this.compactDue = this.engine.snapshotInstalled();
  }

  size() {
    return this.engine.size();
  }

  stats() {
    return this.engine.stats();
  }

  /**
   * The values that the default codec would not have written (neither JSON
   * text nor tagged bytes): { count, positions } with the insertion-order
   * positions of at most `max` of them, the first ones.
   */
  foreignValues(max) {
    return this.engine.foreignValues(max);
  }

  /** The i-th entry in insertion order as [key, stored value] (as get() gives it), for i < size(). */
  entryAt(i, valuesAsText) {
    let entry;
    try {
      // A limit of one byte exports one entry (more only if they are empty).
      this.#exportChunk(i, 1, valuesAsText, (key, kind, value) => {
        entry ??= [key, value];
      });
    } finally {
      this.engine.releaseExport();
    }
    return entry;
  }

  /** A new iteration cursor (src/ordered_index.h), before the first entry: its id. */
  addCursor() {
    return this.engine.addCursor();
  }

  removeCursor(id) {
    this.engine.removeCursor(id);
  }

  /** Moves cursor `id` past `skip` entries. */
  skipCursor(id, skip) {
    this.engine.skipCursor(id, skip);
  }

  /**
   * Moves cursor `id` past `skip` entries, then calls onEntry(key, kind,
   * value) for about maxBytes of entries from there on (kind 0 = JSON text,
   * value is a string; 1 = tagged bytes, 2 = raw bytes, value is a
   * Uint8Array); the cursor stays before the first of them.
   */
  cursorChunk(id, skip, maxBytes, valuesAsText, onEntry) {
    this.engine.exportFromCursor(id, skip, maxBytes, valuesAsText);
    this.#decodeExport(onEntry);
  }

  /** Frees the memory that exports (cursorChunk, entryAt) grew. */
  releaseExport() {
    this.engine.releaseExport();
  }

  // Exports entries from `start` until about maxBytes of keys and values;
  // returns the next start.
  #exportChunk(start, maxBytes, valuesAsText, onEntry) {
    const next = this.engine.exportEntries(start, maxBytes, valuesAsText);
    this.#decodeExport(onEntry);
    return next;
  }

  // Hands out the entries of the last export, decoding all their text with
  // one TextDecoder call.
  #decodeExport(onEntry) {
    const text = textDecoder.decode(this.engine.exportText());
    const bin = this.engine.exportBin().slice();
    const meta = this.engine.exportMeta().slice();
    let t = 0;
    for (let i = 0; i < meta.length; i += 6) {
      let key;
      if (meta[i] === 0xffffffff) {
        // Not valid UTF-8 (written by another program): decoded with
        // replacement characters.
        key = textDecoder.decode(bin.subarray(meta[i + 2], meta[i + 2] + meta[i + 1]));
      } else {
        key = text.substring(t, t + meta[i]);
        t += meta[i];
      }
      const kind = meta[i + 3];
      let value;
      if (kind === 0) {
        value = text.substring(t, t + meta[i + 4]);
        t += meta[i + 4];
      } else {
        value = bin.slice(meta[i + 5], meta[i + 5] + meta[i + 4]);
      }
      onEntry(key, kind, value);
    }
  }

  delete() {
    if (this.scratch !== 0) this.module._free(this.scratch);
    if (this.input !== 0) this.module._free(this.input);
    this.scratch = 0;
    this.input = 0;
    this.engine.delete();
  }
}
