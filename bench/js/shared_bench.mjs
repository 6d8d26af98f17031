#!/usr/bin/env node
// One store shared by several Node processes (issue 12): persistent-map
// against better-sqlite3 (WAL) and lmdb, each opened by the same processes.
// A program, not a test:
//
//   npm run bench:shared      # npm install --prefix bench/js, then node bench/js/shared_bench.mjs
//   PMAP_BENCH_N=20000 PMAP_SHARED_JOIN_N=100000 node bench/js/shared_bench.mjs   # quick
//
// For each system, PROCS processes (bench/js/shared_worker.mjs) open one
// store: the first alone (ours: it becomes the leader), then the others
// together. Then:
//
// * writes: once every process is open, the parent sends all of them the
//   start; each does N / PROCS awaited sets of its own keys (relaxed). The
//   figure is N over the wall time from the start until the last process
//   has replied. "CPU cores busy" is the CPU time (user + system) the
//   processes used while writing, over that wall time: near the number of
//   cores, the writes are bound by CPU; well below it, by waiting.
//   lmdb's default mode fsyncs every commit, which makes its awaited puts
//   too slow for N at this size: it does PMAP_SHARED_LMDB_SYNC_N timed
//   sets, and the rest of the N keys are then written untimed.
// * reads: one process at a time (the machine has two cores), each catches
//   up (ours: `await map.refresh()`; lmdb: resetReadTxn) and then gets all
//   N keys once, in a random order, and every key must be there. The
//   figure is per process, timed around the gets.
// * propagation: process 1 sets a fresh key; process 2 has been told to
//   watch for it. The latency runs from just before the set is issued in 1
//   until 2 has seen it: ours, the 'change' event with origin 'remote';
//   better-sqlite3, `PRAGMA data_version` polled once per turn of the event
//   loop (setImmediate), then a SELECT of the key; lmdb, which has no
//   notification of other processes' commits, resetReadTxn and a get of the
//   key once per turn. One sample at a time, after WARM unrecorded ones.
//   Ours also from the leader (process 0) to process 1.
// * join (ours): a leader holds JOIN_N entries (short string values);
//   another process opens the store, and the clock runs until open()
//   resolves and `[...map].length === JOIN_N`. Three joins, each a new
//   process; then the leader closes and the same is timed for a process
//   that opens the store alone, for comparison.
//
// Environment:
//   PMAP_BENCH_N          writes in all, and keys each process reads (default 100000)
//   PMAP_SHARED_PROCS     processes per store (default 4)
//   PMAP_SHARED_PROP_N    propagation samples (default 1000, after 50 unrecorded)
//   PMAP_SHARED_JOIN_N    entries of the store a follower joins (default 1000000)
//   PMAP_SHARED_LMDB_SYNC_N  timed awaited puts of lmdb's default mode (default 4000)
//   PMAP_SHARED_ONLY      comma-separated systems: ours,sqlite,lmdb,lmdbNoSync,ipcFloor (default all)
//   PMAP_BENCH_DIR        where the temporary directory goes (default /var/tmp)
//   PMAP_BENCH_JS         path of another build's index.js to measure instead of ../../js/index.js
//
// Results and discussion: docs/BENCHMARKS.md, "Shared store (issue 12)".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { intEnv } from './bench_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const env = process.env;
const N = intEnv('PMAP_BENCH_N', 100_000);
const PROCS = intEnv('PMAP_SHARED_PROCS', 4);
const PROP_N = intEnv('PMAP_SHARED_PROP_N', 1000);
const JOIN_N = intEnv('PMAP_SHARED_JOIN_N', 1_000_000);
const LMDB_SYNC_N = Math.min(N, intEnv('PMAP_SHARED_LMDB_SYNC_N', 4000));
const WARM = 50;
const JOINS = 3;
const SEEN_TIMEOUT_MS = 10_000;
const BASE_DIR = env.PMAP_BENCH_DIR || '/var/tmp';
const ONLY = env.PMAP_SHARED_ONLY ? new Set(env.PMAP_SHARED_ONLY.split(',').map((x) => x.trim())) : null;
if (PROCS < 3) throw new Error('PMAP_SHARED_PROCS must be at least 3 (a writer, a watcher and the leader)');
for (const [name, n] of [['PMAP_BENCH_N', N], ['PMAP_SHARED_LMDB_SYNC_N', LMDB_SYNC_N], ['their difference', N - LMDB_SYNC_N]]) {
  if (n % PROCS !== 0) throw new Error(`${name} (${n}) must be a multiple of PMAP_SHARED_PROCS (${PROCS})`);
}

const log = (...a) => console.log(...a);
const nowNs = () => Number(process.hrtime.bigint());
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------- systems

function versionOf(name) {
  for (const d of require.resolve.paths(name) ?? []) {
    try {
      return JSON.parse(fs.readFileSync(path.join(d, name, 'package.json'), 'utf8')).version;
    } catch { /* not here */ }
  }
  return null;
}
const SYSTEMS = [
  { name: 'ours', label: 'persistent-map', pkg: null },
  { name: 'sqlite', label: 'better-sqlite3', pkg: 'better-sqlite3' },
  { name: 'lmdb', label: 'lmdb', pkg: 'lmdb', writes: LMDB_SYNC_N },
  { name: 'lmdbNoSync', label: 'lmdb {noSync: true}', pkg: 'lmdb' },
  { name: 'ipcFloor', label: 'IPC floor (Map + Unix socket, no store)', pkg: null },
].filter((s) => !ONLY || ONLY.has(s.name));
for (const s of SYSTEMS) {
  s.writes ??= N;
  if (s.pkg === null) continue;
  const v = versionOf(s.pkg);
  if (v === null) {
    log(`note: skipping ${s.label}: ${s.pkg} is not installed (npm install --prefix bench/js)`);
    s.skip = true;
  } else {
    s.label = s.label.replace(s.pkg, `${s.pkg} ${v}`);
  }
}

// ---------------------------------------------------------------- temp dirs

const tmpRoot = fs.mkdtempSync(path.join(BASE_DIR, 'pmap-shared-bench.'));
let tmpCount = 0;
const freshDir = (tag) => {
  const d = path.join(tmpRoot, `${tag}-${++tmpCount}`);
  fs.mkdirSync(d);
  return d;
};
const children = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmpRoot, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------- workers

// A worker process: ask(cmd, args) sends a command and resolves with the
// reply; seen(key) resolves with the time the worker saw `key` written.
function startWorker(system, dir) {
  const child = fork(path.join(here, 'shared_worker.mjs'), [system, dir], { stdio: 'inherit' });
  children.add(child);
  const pending = new Map();
  const seenWaiters = new Map();
  let nextId = 1;
  let dead = null;
  child.on('message', (m) => {
    if (m.seen !== undefined) {
      const w = seenWaiters.get(m.seen);
      if (w) {
        seenWaiters.delete(m.seen);
        clearTimeout(w.timer);
        w.resolve(m.t);
      }
      return;
    }
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${system} worker: ${m.error}`));
    else p.resolve(m);
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    dead = new Error(`${system} worker exited (${signal ?? code})`);
    for (const p of pending.values()) p.reject(dead);
    for (const w of seenWaiters.values()) w.reject(dead);
  });
  return {
    ask(cmd, args = {}) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    seen(key) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          seenWaiters.delete(key);
          reject(new Error(`${system}: key ${key} not seen within ${SEEN_TIMEOUT_MS} ms`));
        }, SEEN_TIMEOUT_MS);
        seenWaiters.set(key, { resolve, reject, timer });
      });
    },
    async stop() {
      if (!dead) await this.ask('close');
      child.disconnect();
      if (!dead) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// Opens PROCS workers on one store: the first alone, then the rest.
async function openGroup(system, dir) {
  const first = startWorker(system, dir);
  const roles = [(await first.ask('open')).role];
  const rest = Array.from({ length: PROCS - 1 }, () => startWorker(system, dir));
  for (const r of await Promise.all(rest.map((w) => w.ask('open')))) roles.push(r.role);
  return { workers: [first, ...rest], roles };
}

// ---------------------------------------------------------------- phases

// Times `timed` awaited sets in all (keys 1..timed), then fills keys
// timed+1..N untimed, so that the reads find N keys.
async function writePhase(workers, timed) {
  const slices = (from, n) => workers.map((_, p) => ({ from: from + (p * n) / PROCS, to: from - 1 + ((p + 1) * n) / PROCS }));
  const t0 = nowNs();
  const replies = await Promise.all(slices(1, timed).map((sl, p) => workers[p].ask('write', { ...sl, awaited: true })));
  const s = (nowNs() - t0) / 1e9;
  if (timed < N) await Promise.all(slices(timed + 1, N - timed).map((sl, p) => workers[p].ask('write', { ...sl, awaited: false })));
  return { s, cpuS: replies.reduce((sum, r) => sum + r.cpuUs, 0) / 1e6, perProcess: replies.map((r) => timed / PROCS / (r.ns / 1e9)) };
}

async function readPhase(system, workers) {
  const rates = [];
  const catchUps = [];
  for (let p = 0; p < workers.length; p++) {
    const r = await workers[p].ask('read', { n: N, seed: p + 1 });
    if (r.found !== N) throw new Error(`${system}: process ${p} found ${r.found} of ${N} keys`);
    rates.push(N / (r.readNs / 1e9));
    catchUps.push(r.caughtUpNs / 1e6);
  }
  return { rates, catchUps };
}

// Latencies in ms from a set in `from` until `to` has seen it.
async function propagation(system, from, to, tag) {
  const samples = [];
  for (let k = 0; k < WARM + PROP_N; k++) {
    const key = `prop:${tag}:${k}`;
    await to.ask('watch', { key });
    const seen = to.seen(key);
    const { t } = await from.ask('poke', { key });
    const tSeen = await seen;
    if (k >= WARM) samples.push((tSeen - t) / 1e6);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: Math.max(...samples) };
}

async function runSystem(s) {
  const dir = freshDir(s.name);
  const { workers, roles } = await openGroup(s.name, dir);
  try {
    if (s.name === 'ours' || s.name === 'ipcFloor') {
      const leaders = roles.filter((r) => r === 'leader').length;
      if (roles[0] !== 'leader' || leaders !== 1) throw new Error(`${s.name}: roles ${roles.join(', ')}, expected one leader first`);
    }
    const w = await writePhase(workers, s.writes);
    const reads = await readPhase(s.name, workers);
    const prop = await propagation(s.name, workers[1], workers[2], '1to2');
    const propLeader = s.name === 'ours' ? await propagation(s.name, workers[0], workers[1], '0to1') : null;
    return { writeRate: s.writes / w.s, writeCpu: w.cpuS / w.s, writePerProcess: w.perProcess, reads, prop, propLeader, roles };
  } finally {
    for (const w of workers) await w.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Times JOINS processes that each open the store and iterate it, with or
// without a leader holding it.
async function timeJoins(dir, expectRole) {
  const runs = [];
  for (let r = 0; r < JOINS; r++) {
    const w = startWorker('ours', dir);
    const j = await w.ask('join');
    await w.stop();
    if (j.count !== JOIN_N) throw new Error(`ours: a process that opened the store iterated ${j.count} of ${JOIN_N} entries`);
    if (j.role !== expectRole) throw new Error(`ours: the joining process is ${j.role}, expected ${expectRole}`);
    runs.push({ openMs: j.openNs / 1e6, totalMs: j.totalNs / 1e6 });
  }
  return runs;
}

async function joinPhase() {
  const dir = freshDir('join');
  const leader = startWorker('ours', dir);
  let joins;
  try {
    await leader.ask('open');
    await leader.ask('fill', { n: JOIN_N });
    joins = await timeJoins(dir, 'follower');
  } finally {
    await leader.stop();
  }
  const logBytes = fs.statSync(path.join(dir, 'store.pmap')).size;
  const solos = await timeJoins(dir, 'leader');
  fs.rmSync(dir, { recursive: true, force: true });
  return { joins, solos, logBytes };
}

// ---------------------------------------------------------------- main

const fmtRate = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)}k/s` : `${r.toFixed(0)}/s`);
const fmtMs = (ms) => (ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

log(`shared store benchmark: ${PROCS} processes, ${N} awaited sets in all (${N / PROCS} each), ${PROP_N} propagation samples`);
log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), files in ${tmpRoot}`);
log(`load average at start: ${load()}`);

const results = new Map();
for (const s of SYSTEMS) {
  if (s.skip) continue;
  const t0 = nowNs();
  try {
    results.set(s.name, await runSystem(s));
  } catch (err) {
    if (s.name !== 'ours') throw err;
    log(`note: skipping persistent-map: ${String(err.message).split('\n')[0]}`);
    continue;
  }
  const r = results.get(s.name);
  log(`  ${s.label}: done in ${((nowNs() - t0) / 1e9).toFixed(1)} s${s.name === 'ours' ? ` (roles: ${r.roles.join(', ')})` : ''}`);
}

log('');
log(`| system | aggregate writes/s (${PROCS} processes, awaited sets) | reads/s per process (${N} keys; median; min – max) | CPU cores busy while writing | propagation p50 | p99 | max |`);
log('|---|---|---|---|---|---|---|');
for (const s of SYSTEMS) {
  const r = results.get(s.name);
  if (!r) continue;
  const rs = r.reads.rates;
  log(`| ${s.label} | ${fmtRate(r.writeRate)} (${PROCS} × ${s.writes / PROCS}) | ${fmtRate(median(rs))} (${fmtRate(Math.min(...rs))} – ${fmtRate(Math.max(...rs))}) | ${r.writeCpu.toFixed(2)} | ${fmtMs(r.prop.p50)} | ${fmtMs(r.prop.p99)} | ${fmtMs(r.prop.max)} |`);
}
log('');
for (const s of SYSTEMS) {
  const r = results.get(s.name);
  if (r) log(`${s.label}, awaited sets/s of each process (0 … ${PROCS - 1}${s.name === 'ours' ? ', 0 leads' : ''}): ${r.writePerProcess.map(fmtRate).join(', ')}`);
}
const ours = results.get('ours');
if (ours) {
  log(`ours, propagation from the leader (process 0) to a follower (process 1): p50 ${fmtMs(ours.propLeader.p50)}, p99 ${fmtMs(ours.propLeader.p99)}, max ${fmtMs(ours.propLeader.max)}`);
  log(`ours, refresh() before the reads: ${ours.reads.catchUps.map(fmtMs).join(', ')} (process 0 … ${PROCS - 1})`);
  for (const [name, label] of [['sqlite', 'better-sqlite3'], ['lmdb', 'lmdb'], ['lmdbNoSync', 'lmdb noSync']]) {
    const p = results.get(name);
    if (!p) continue;
    const times = (a, b) => `${(a / b).toFixed(2)}x`;
    log(`ours vs ${label}: writes/s ${times(ours.writeRate, p.writeRate)}, reads/s ${times(median(ours.reads.rates), median(p.reads.rates))}; propagation time p50 ${times(ours.prop.p50, p.prop.p50)}, p99 ${times(ours.prop.p99, p.prop.p99)}`);
  }
  const floor = results.get('ipcFloor');
  const sqlite = results.get('sqlite');
  if (floor) log(`ours vs the IPC floor: writes/s ${(ours.writeRate / floor.writeRate).toFixed(2)}x; propagation time p50 ${(ours.prop.p50 / floor.prop.p50).toFixed(2)}x, p99 ${(ours.prop.p99 / floor.prop.p99).toFixed(2)}x`);
  if (floor && sqlite) log(`the IPC floor vs better-sqlite3: writes/s ${(floor.writeRate / sqlite.writeRate).toFixed(2)}x (the issue's write target for ours is 5x)`);
  log('');
  log(`ours, join: a leader holds ${JOIN_N} entries; another process opens the store and iterates it`);
  const j = await joinPhase();
  const row = (label, runs) => {
    const totals = runs.map((x) => x.totalMs);
    log(`  ${label}: ${fmtMs(median(totals))} (${totals.map(fmtMs).join(', ')}); open() alone ${fmtMs(median(runs.map((x) => x.openMs)))}`);
  };
  row('join (a follower)', j.joins);
  row('open alone, no leader (for comparison)', j.solos);
  log(`  log ${(j.logBytes / 2 ** 20).toFixed(1)} MiB; join / open alone: ${(median(j.joins.map((x) => x.totalMs)) / median(j.solos.map((x) => x.totalMs))).toFixed(2)}x`);
}
log(`load average at end: ${load()}`);
