// Loads the WebAssembly core and wraps its Engine so the rest of js/ deals
// in Uint8Arrays. Bytes cross into WebAssembly once per batch (an operation
// stream built by OpWriter) and out once per batch (pending log bytes).

import createPmapCore from './wasm/pmap_core.mjs';
import { PersistentMapError } from './errors.js';

const RECOVERY_MODES = ['tolerate-torn-tail', 'strict', 'salvage'];

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

// The order of pmap::RecoveryMode in src/log_reader.h.
function recoveryModeIndex(mode) {
  return RECOVERY_MODES.indexOf(mode);
}

const encoder = new TextEncoder();

/** Builds the operation stream documented in wasm/bindings.cc. */
export class OpWriter {
  constructor() {
    this.buf = new Uint8Array(1 << 16);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  #reserve(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  // Writes a u32 length and the UTF-8 bytes of `s` (or the bytes, with a
  // prefix byte if given); returns the number of payload bytes.
  #field(data, prefix = -1) {
    if (typeof data === 'string') {
      this.#reserve(4 + data.length * 3);
      const { written } = encoder.encodeInto(data, this.buf.subarray(this.pos + 4));
      this.view.setUint32(this.pos, written, true);
      this.pos += 4 + written;
      return written;
    }
    const extra = prefix >= 0 ? 1 : 0;
    this.#reserve(4 + extra + data.length);
    this.view.setUint32(this.pos, data.length + extra, true);
    if (extra) this.buf[this.pos + 4] = prefix;
    this.buf.set(data, this.pos + 4 + extra);
    this.pos += 4 + extra + data.length;
    return data.length + extra;
  }

  #u8(v) {
    this.#reserve(1);
    this.buf[this.pos++] = v;
  }

  /** Appends a put; returns [keyBytes, valueBytes]. */
  put(key, value, bytesPrefix) {
    this.#u8(1);
    return [this.#field(key), this.#field(value, bytesPrefix)];
  }

  delete(key) {
    this.#u8(2);
    return this.#field(key);
  }

  clear() {
    this.#u8(3);
  }

  /** Starts a batch of `count` operations. */
  batch(count) {
    this.#u8(4);
    this.#reserve(4);
    this.view.setUint32(this.pos, count, true);
    this.pos += 4;
  }

  mark() {
    return this.pos;
  }

  rewind(mark) {
    this.pos = mark;
  }

  get empty() {
    return this.pos === 0;
  }

  take() {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }
}

/** The Engine of the WebAssembly core, speaking Uint8Arrays. */
export class Core {
  constructor(module, { maxRecordSize, recovery, compaction }) {
    this.module = module;
    this.engine = new module.Engine(maxRecordSize, recoveryModeIndex(recovery), compaction.ratio,
      compaction.minBytes, compaction.auto);
  }

  #withBytes(bytes, fn) {
    const m = this.module;
    const ptr = m._malloc(Math.max(1, bytes.length)) >>> 0;
    if (ptr === 0) throw new PersistentMapError('IO', `out of WebAssembly memory for ${bytes.length} bytes`);
    try {
      m.HEAPU8.set(bytes, ptr); // HEAPU8 read after _malloc, which may grow memory
      return fn(ptr, bytes.length);
    } finally {
      m._free(ptr);
    }
  }

  recover(bytes) {
    return this.#withBytes(bytes, (p, n) => this.engine.recover(p, n));
  }

  apply(ops) {
    return this.#withBytes(ops, (p, n) => this.engine.apply(p, n));
  }

  pendingSize() {
    return this.engine.pendingSize();
  }

  takePending() {
    return this.engine.takePending().slice();
  }

  shouldCompact() {
    return this.engine.shouldCompact();
  }

  encodeSnapshot() {
    return this.engine.encodeSnapshot().slice();
  }

  snapshotInstalled() {
    this.engine.snapshotInstalled();
  }

  size() {
    return this.engine.size();
  }

  keyAt(i) {
    return this.engine.keyAt(i).slice();
  }

  stats() {
    return this.engine.stats();
  }

  /**
   * Calls onEntry(key, kind, value) for every entry in insertion order:
   * kind 0 = JSON text (value is a string), 1 = tagged bytes, 2 = raw bytes
   * (value is a Uint8Array). Decodes a chunk of keys and texts at a time with
   * one TextDecoder call.
   */
  forEachEntry(valuesAsText, onEntry) {
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const n = this.size();
    let start = 0;
    try {
      while (start < n) {
        const next = this.engine.exportEntries(start, 8 << 20, valuesAsText);
        const text = decoder.decode(this.engine.exportText());
        const bin = this.engine.exportBin().slice();
        const meta = this.engine.exportMeta().slice();
        let t = 0;
        for (let i = 0; i < meta.length; i += 6) {
          let key;
          if (meta[i] === 0xffffffff) {
            // Not valid UTF-8 (written by another program): decoded with
            // replacement characters.
            key = decoder.decode(bin.subarray(meta[i + 2], meta[i + 2] + meta[i + 1]));
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
        start = next;
      }
    } finally {
      this.engine.releaseExport();
    }
  }

  delete() {
    this.engine.delete();
  }
}
