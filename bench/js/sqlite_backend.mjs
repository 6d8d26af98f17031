#!/usr/bin/env node
// The sqlite backend against the fs backend (the baseline), in one run, on
// the same keys and values (~100-byte JSON). A program, not a test:
//
//   node bench/js/sqlite_backend.mjs
//   PMAP_BENCH_N=20000 node bench/js/sqlite_backend.mjs   # quick
//
// Environment: PMAP_BENCH_N entries (default 100000), PMAP_BENCH_REPS
// repetitions, the median is reported (default 3), PMAP_BENCH_DIR where the
// temporary directory goes (default /var/tmp; not tmpfs, where fsync is
// free). Results: docs/BENCHMARKS.md, "sqlite backend (Node)".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';

const N = Number(process.env.PMAP_BENCH_N ?? 100_000);
const REPS = Number(process.env.PMAP_BENCH_REPS ?? 3);
const AWAITED_N = Math.min(2000, N);
const STRICT_N = Math.min(200, N);
const TICK = 1000; // writes issued per tick in the one-tick rows
const dir = fs.mkdtempSync(path.join(process.env.PMAP_BENCH_DIR ?? '/var/tmp', 'pmap-sqlite-bench-'));

const value = (i) => ({ id: i, name: `user ${i}`, tags: ['a', 'b', 'c'], score: i * 1.5, text: 'x'.repeat(40) });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measure(backend, rep) {
  const file = path.join(dir, `${backend}-${rep}.store`);
  const out = {};
  let map = await PersistentMap.open(file, { backend });
  let t = performance.now();
  for (let i = 0; i < N; i += TICK) {
    const writes = [];
    for (let j = i; j < Math.min(N, i + TICK); j++) writes.push(map.set(`key:${j}`, value(j)));
    await Promise.all(writes);
  }
  out.setTick = N / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < AWAITED_N; i++) await map.set(`key:${i}`, value(i + 1));
  out.setAwaited = AWAITED_N / ((performance.now() - t) / 1000);
  await map.close();
  map = await PersistentMap.open(file, { backend, durability: 'strict' });
  t = performance.now();
  for (let i = 0; i < STRICT_N; i++) await map.set(`strict:${i}`, value(i));
  out.setStrict = STRICT_N / ((performance.now() - t) / 1000);
  t = performance.now();
  await map.compact();
  out.compactMs = performance.now() - t;
  await map.close();
  t = performance.now();
  map = await PersistentMap.open(file, { backend });
  out.openMs = performance.now() - t;
  if (map.size !== N + STRICT_N) throw new Error(`${backend}: reopened ${map.size} entries, expected ${N + STRICT_N}`);
  await map.close();
  out.fileMB = fs.statSync(file).size / 1e6;
  return out;
}

const rows = [
  ['setTick', `relaxed sets, ${TICK} per tick (/s)`],
  ['setAwaited', 'relaxed sets, each awaited (/s)'],
  ['setStrict', 'strict sets, each awaited (/s)'],
  ['compactMs', 'compact() (ms)'],
  ['openMs', `open of ${N + STRICT_N} entries (ms)`],
  ['fileMB', 'file size (MB)'],
];
try {
  const results = { fs: [], sqlite: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const backend of ['fs', 'sqlite']) results[backend].push(await measure(backend, rep));
  }
  console.log(`N = ${N}, ${REPS} repetitions (medians), load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| measure | fs | sqlite | sqlite / fs |\n|---|---|---|---|');
  for (const [key, label] of rows) {
    const f = median(results.fs.map((r) => r[key]));
    const s = median(results.sqlite.map((r) => r[key]));
    const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
    console.log(`| ${label} | ${fmt(f)} | ${fmt(s)} | ${(s / f).toFixed(2)} |`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
