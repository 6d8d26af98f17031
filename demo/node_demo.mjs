#!/usr/bin/env node
// The Node side of the demo: a store in a file that remembers every run.
// Run it twice and the count goes on; the file also opens in the native
// CLI (build/persistent-map-native stat FILE), since the log format is the same everywhere.
// Usage: node demo/node_demo.mjs [FILE]   (default: $PMAP_DEMO_STORE, else build/demo/node_demo.pmap)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from 'persistent-map';

const SHOWN_RUNS = 5;
const READS = 100_000;

const repo = fileURLToPath(new URL('..', import.meta.url));
const file = path.resolve(process.argv[2] ?? process.env.PMAP_DEMO_STORE ?? path.join(repo, 'build/demo/node_demo.pmap'));
fs.mkdirSync(path.dirname(file), { recursive: true });

let start = performance.now();
// strict: each write resolves only once it is on disk (fdatasync).
const map = await PersistentMap.open(file, { durability: 'strict' });
const openMs = performance.now() - start;
const replayed = map.recovery.records;

const run = await map.update('runs', (n = 0) => n + 1);
await map.set(`run:${run}`, { at: new Date().toISOString(), pid: process.pid, node: process.version });

start = performance.now();
for (let i = 0; i < READS; i++) map.get('runs');
const readMs = performance.now() - start;

const s = map.stats();
console.log(`persistent-map Node demo: ${file}`);
console.log(`  run #${run}; the store opened in ${openMs.toFixed(1)} ms (replayed ${replayed} log records)`);
for (let i = Math.max(1, run - SHOWN_RUNS + 1); i <= run; i++) {
  const r = map.get(`run:${i}`);
  console.log(`  run:${i}  ${r.at}  pid ${r.pid}  node ${r.node}`);
}
console.log(`  ${READS.toLocaleString('en')} reads of 'runs' from memory: ${readMs.toFixed(1)} ms`);
console.log(`  stats: ${s.size} entries, ${s.liveRecords} live / ${s.totalRecords} total records, ` +
  `${s.logBytes} log bytes, dead ratio ${s.deadRatio.toFixed(2)}, ${s.generation} compactions`);
await map.close();
