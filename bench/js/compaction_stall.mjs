#!/usr/bin/env node
// How long an automatic compaction holds up writes (fs backend). A program,
// not a test:
//
//   node --expose-gc bench/js/compaction_stall.mjs
//   PMAP_STALL_KEYS=20000 node --expose-gc bench/js/compaction_stall.mjs   # quick
//
// A store of KEYS entries (values of about 250 bytes) is built, then every
// key is updated with an awaited relaxed `update`, over and over, until the
// log has grown to twice the live data and one automatic compaction has run
// (the default policy: ratio 2). Each update's latency is recorded; the row
// gives p50, p99, the longest stall and its ratio to the same run's p50.
//
// Two modes in one run, alternating: `background` is the fs backend as
// shipped (the snapshot is written beside the log while writes go on, see
// docs/BACKENDS.md, "Compaction in the background"); `blocking` is the same
// backend behind a wrapper that hides beginReplace, so the map falls back
// to replace() and every write waits for the whole compaction. The `encode`
// column is the longest synchronous step of encoding a snapshot in
// WebAssembly, copy out included: the whole snapshot (Core.encodeSnapshot,
// blocking mode) or one piece of it (Core.snapshotPiece, background mode,
// where writes go on between the pieces).
//
// Environment:
//   PMAP_STALL_KEYS   entries of the store (default 100000, ~55 MB of log at compaction)
//   PMAP_STALL_REPS   runs per mode (default 3); medians and ranges are printed
//   PMAP_BENCH_DIR    where the temporary directory goes (default /var/tmp)
//   PMAP_BENCH_JS     path of another build's index.js to measure instead of ../../js/index.js

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intEnv } from './bench_util.mjs';

const env = process.env;
const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const KEYS = intEnv('PMAP_STALL_KEYS', 100_000);
const REPS = intEnv('PMAP_STALL_REPS', 3);
const BASE_DIR = env.PMAP_BENCH_DIR || '/var/tmp';
const PMAP_JS = env.PMAP_BENCH_JS ? path.resolve(env.PMAP_BENCH_JS) : fileURLToPath(new URL('../../js/index.js', import.meta.url));
const { PersistentMap, FsBackend } = await import(pathToFileURL(PMAP_JS).href);
// The encoding of snapshots, timed (an internal module of the build measured).
const { Core } = await import(pathToFileURL(path.join(path.dirname(PMAP_JS), 'core.js')).href);
let encodeUs = [];
const encodeSnapshot = Core.prototype.encodeSnapshot;
Core.prototype.encodeSnapshot = function timedEncodeSnapshot() {
  const t0 = nowUs();
  const bytes = encodeSnapshot.call(this);
  encodeUs.push(nowUs() - t0);
  return bytes;
};
const snapshotPiece = Core.prototype.snapshotPiece;
if (snapshotPiece) {
  Core.prototype.snapshotPiece = function timedSnapshotPiece(size) {
    const t0 = nowUs();
    const piece = snapshotPiece.call(this, size);
    encodeUs.push(nowUs() - t0);
    return piece;
  };
}

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const sorted = (xs) => Float64Array.from(xs).sort();
const pct = (s, p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
const median = (xs) => pct(sorted(xs), 0.5);

// The fs backend, noting its compactions and, in blocking mode, without
// beginReplace/finishReplace/abortReplace.
function wrap(inner, blocking) {
  const calls = { replaced: false };
  const note = () => { calls.replaced = true; };
  const backend = {
    kind: 'log',
    open: () => inner.open(),
    read: () => inner.read(),
    append: (bytes, opts) => inner.append(bytes, opts),
    truncate: (n) => inner.truncate(n),
    sync: () => inner.sync(),
    replace: (bytes) => { note(); return inner.replace(bytes); },
    close: () => inner.close(),
  };
  if (!blocking && typeof inner.beginReplace === 'function') {
    backend.beginReplace = (bytes) => { note(); return inner.beginReplace(bytes); };
    backend.finishReplace = (tail) => inner.finishReplace(tail);
    backend.abortReplace = () => inner.abortReplace();
  }
  return { backend, calls };
}

function value(i, round) {
  return { id: i, round, text: 'x'.repeat(200 + (i % 50)) };
}

async function run(dir, mode, rep) {
  const file = path.join(dir, `${mode}-${rep}.pmap`);
  const { backend, calls } = wrap(new FsBackend(file), mode === 'blocking');
  encodeUs = [];
  const map = await PersistentMap.open(file, { backend });
  const BATCH = 10_000;
  for (let i = 0; i < KEYS; i += BATCH) {
    const entries = [];
    for (let j = i; j < Math.min(KEYS, i + BATCH); j++) entries.push([`key:${j}`, value(j, 0)]);
    await map.setMany(entries);
  }
  gc();
  const generation = map.stats().generation;
  const lat = [];
  let peakLog = 0;
  // Update until the compaction has run, and as many again after it.
  let after = -1;
  for (let n = 0; after !== 0; n++) {
    const i = n % KEYS;
    const t0 = nowUs();
    await map.update(`key:${i}`, (v) => ({ ...v, round: v.round + 1 }));
    lat.push(nowUs() - t0);
    if (after > 0) after--;
    else if (after < 0) {
      const st = map.stats();
      peakLog = Math.max(peakLog, st.logBytes);
      if (st.generation !== generation && calls.replaced) after = Math.min(n, 10_000);
    }
  }
  await map.close();
  fs.rmSync(file, { force: true });
  const s = sorted(lat);
  const encode = Math.max(...encodeUs);
  return { updates: lat.length, p50: pct(s, 0.5), p99: pct(s, 0.99), max: s[s.length - 1], encode, peakLog };
}

const ms = (us) => (us / 1000).toFixed(1);
const range = (xs, f) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

const dir = fs.mkdtempSync(path.join(BASE_DIR, 'pmap-stall-'));
try {
  const results = { blocking: [], background: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const mode of rep % 2 ? ['background', 'blocking'] : ['blocking', 'background']) {
      results[mode].push(await run(dir, mode, rep));
      gc();
    }
  }
  console.log(`compaction stall: ${KEYS} keys, awaited relaxed updates, fs backend, ${REPS} runs per mode (median, range)`);
  console.log('mode        updates   log at compaction  p50 µs  p99 µs  longest stall ms   stall/p50      encode ms');
  for (const [mode, rs] of Object.entries(results)) {
    const col = (f) => rs.map(f);
    const ratio = col((r) => r.max / r.p50);
    console.log([
      mode.padEnd(10),
      String(Math.round(median(col((r) => r.updates)))).padStart(8),
      `${(median(col((r) => r.peakLog)) / 2 ** 20).toFixed(1)} MiB`.padStart(19),
      median(col((r) => r.p50)).toFixed(1).padStart(7),
      median(col((r) => r.p99)).toFixed(1).padStart(7),
      `${ms(median(col((r) => r.max)))} (${range(col((r) => r.max), ms)})`.padStart(17),
      `${Math.round(median(ratio))}x`.padStart(11),
      `${ms(median(col((r) => r.encode)))} (${range(col((r) => r.encode), ms)})`.padStart(15),
    ].join(' '));
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
