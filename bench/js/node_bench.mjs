#!/usr/bin/env node
// Benchmarks the JavaScript API of persistent-map (fs backend) against a
// plain JS Map, lmdb, classic-level and better-sqlite3, all in one run, on
// the same keys and values. A program, not a test:
//
//   node --expose-gc bench/js/node_bench.mjs
//   PMAP_BENCH_N=10000 node --expose-gc bench/js/node_bench.mjs   # quick
//
// Environment:
//   PMAP_BENCH_N            entries for set/get (default 100000)
//   PMAP_BENCH_STRICT_N     awaited fsynced writes (default min(2000, N))
//   PMAP_BENCH_OPEN_N       entries of the store that is reopened (default 10 * N)
//   PMAP_BENCH_REPS         repetitions, the median is reported (default 3)
//   PMAP_BENCH_DIR          where the temporary directory goes (default /var/tmp)
//   PMAP_BENCH_OPEN_PEERS   0 to skip building the peers' N-entry stores for the open row
//   PMAP_BENCH_ONLY         comma-separated sections to run: set,group,get,strict,open (default all)
//   PMAP_BENCH_JS           path of another build's index.js to measure instead of ../../js/index.js
//
// The get section also measures `{ freeze: true }` (shared frozen values);
// the open section also what an open leaves for later (first reads of keys,
// which the WebAssembly core serves; iteration, which reads the core in
// chunks; close). Memory: bench/js/memory.mjs. A peer that cannot be imported is skipped with a note. Results and
// discussion: docs/BENCHMARKS.md, "JavaScript API (Node)".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intEnv, keyOf, rng, valueOf } from './bench_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(import.meta.url);

const env = process.env;
const N = intEnv('PMAP_BENCH_N', 100_000);
const STRICT_N = intEnv('PMAP_BENCH_STRICT_N', Math.min(2000, N));
const OPEN_N = intEnv('PMAP_BENCH_OPEN_N', 10 * N);
const REPS = intEnv('PMAP_BENCH_REPS', 3);
const WARM_N = Math.max(1, Math.min(N, Math.ceil(N / 10)));
const BASE_DIR = env.PMAP_BENCH_DIR || '/var/tmp';
const OPEN_PEERS = env.PMAP_BENCH_OPEN_PEERS !== '0';
const ONLY = env.PMAP_BENCH_ONLY ? new Set(env.PMAP_BENCH_ONLY.split(',').map((x) => x.trim())) : null;
const runs = (section) => !ONLY || ONLY.has(section);
const BATCH = 10_000;
const SLOW_SECONDS = 30; // no further repetitions once a measurement has taken this long

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
const now = () => process.hrtime.bigint();
const secondsSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.log(...a);
let sink = 0; // keeps the JIT from dropping the reads

// ---------------------------------------------------------------- imports

const PMAP_JS = env.PMAP_BENCH_JS ? path.resolve(env.PMAP_BENCH_JS) : fileURLToPath(new URL('../../js/index.js', import.meta.url));
const { PersistentMap } = await import(pathToFileURL(PMAP_JS).href);

async function tryImport(name, pick) {
  try {
    const mod = await import(name);
    let version = '?';
    for (const dir of require.resolve.paths(name) ?? []) {
      try {
        version = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8')).version;
        break;
      } catch { /* not here */ }
    }
    return { api: pick(mod), version };
  } catch (err) {
    log(`note: skipping ${name}: cannot import it (${String(err.message).split('\n')[0]})`);
    return null;
  }
}
const lmdb = await tryImport('lmdb', (m) => m.open);
const level = await tryImport('classic-level', (m) => m.ClassicLevel);
const sqlite = await tryImport('better-sqlite3', (m) => m.default);

// ---------------------------------------------------------------- workload

function makeData(n, seed) {
  const r = rng(seed);
  const keys = new Array(n);
  const values = new Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = keyOf(i + 1);
    values[i] = valueOf(i + 1, r);
  }
  return { keys, values };
}
const { keys, values } = makeData(N, 42);
const jsonValues = values.map((v) => JSON.stringify(v));
const avgJson = jsonValues.reduce((s, j) => s + j.length, 0) / N;
const order = (() => {
  const r = rng(7);
  const idx = new Int32Array(N);
  for (let i = 0; i < N; i++) idx[i] = (r() * N) | 0;
  return idx;
})();

// ---------------------------------------------------------------- temp dirs

const tmpRoot = fs.mkdtempSync(path.join(BASE_DIR, 'pmap-node-bench.'));
let tmpCount = 0;
const freshDir = (tag) => {
  const d = path.join(tmpRoot, `${tag}-${++tmpCount}`);
  fs.mkdirSync(d);
  return d;
};
const rm = (p) => fs.rmSync(p, { recursive: true, force: true });
const cleanup = () => rm(tmpRoot);
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function fsType(dir) {
  try {
    const real = fs.realpathSync(dir);
    let best = { mnt: '', type: '?', dev: '?' };
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, mnt, type] = line.split(' ');
      if (!mnt) continue;
      if ((real === mnt || real.startsWith(mnt.endsWith('/') ? mnt : `${mnt}/`)) && mnt.length >= best.mnt.length) {
        best = { mnt, type, dev };
      }
    }
    return best;
  } catch {
    return { mnt: '?', type: '?', dev: '?' };
  }
}

function dirBytes(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += dirBytes(path.join(p, name));
  return total;
}

// ---------------------------------------------------------------- contenders
//
// Each store kind: open(dir, mode) -> handle with
//   setAwaited(keys, values)  awaited one after another
//   setGroup(keys, values)    all issued in one tick, then awaited together
//   get(key)                  -> value (sync or a promise, see getAsync)
//   getLoop(keys, order)      sum of .id over keys[order[i]]: each store has
//                             its own loop, so no call site is shared
//                             (and made polymorphic) between contenders
//   close()
// mode: 'relaxed' (written to the OS, not fsynced) or 'strict' (each
// acknowledged write is on stable storage).

const stores = [];

stores.push({
  name: 'ours',
  label: 'persistent-map',
  async open(dir, mode) {
    const map = await PersistentMap.open(path.join(dir, 'store.pmap'), { durability: mode });
    return {
      async setAwaited(ks, vs) {
        for (let i = 0; i < ks.length; i++) await map.set(ks[i], vs[i]);
      },
      async setGroup(ks, vs) {
        const ps = new Array(ks.length);
        for (let i = 0; i < ks.length; i++) ps[i] = map.set(ks[i], vs[i]);
        await Promise.all(ps);
      },
      get: (k) => map.get(k),
      getLoop(ks, ord) {
        let acc = 0;
        for (let i = 0; i < ord.length; i++) acc += map.get(ks[ord[i]]).id;
        return acc;
      },
      check: () => map.size,
      close: () => map.close(),
    };
  },
});

function lmdbStore(name, label, relaxedOpts, relaxedOnly) {
  return {
    name,
    label,
    relaxedOnly,
    async open(dir, mode) {
      // relaxed, default options: msgpack values; overlappingSync (on by
      // default on Linux): a put resolves once its transaction is committed,
      // and LMDB fdatasyncs every commit right after (one fdatasync per
      // awaited put, checked with strace). relaxed, noSync: never fsyncs,
      // the same promise as our 'relaxed'. strict: overlappingSync off, so
      // a commit resolves only after its fdatasync.
      const opts = mode === 'strict' ? { overlappingSync: false } : relaxedOpts;
      const db = lmdb.api({ path: path.join(dir, 'db'), noSubdir: false, ...opts });
      return {
        async setAwaited(ks, vs) {
          for (let i = 0; i < ks.length; i++) await db.put(ks[i], vs[i]);
        },
        // lmdb-js commits puts in the order they were issued, so awaiting
        // the last put's promise waits for all of them (its README's idiom).
        async setGroup(ks, vs) {
          let last;
          for (let i = 0; i < ks.length; i++) last = db.put(ks[i], vs[i]);
          await last;
        },
        get: (k) => db.get(k),
        getLoop(ks, ord) {
          let acc = 0;
          for (let i = 0; i < ord.length; i++) acc += db.get(ks[ord[i]]).id;
          return acc;
        },
        check: () => db.getCount(),
        async close() {
          await db.flushed;
          await db.close();
        },
      };
    },
  };
}
if (lmdb) {
  stores.push(lmdbStore('lmdb', `lmdb ${lmdb.version}`, {}, false));
  stores.push(lmdbStore('lmdbNoSync', `lmdb ${lmdb.version} {noSync: true}`, { noSync: true }, true));
}

if (level) {
  stores.push({
    name: 'level',
    label: `classic-level ${level.version}`,
    getAsync: true,
    async open(dir, mode) {
      const db = new level.api(dir, { valueEncoding: 'json' });
      await db.open();
      const putOpts = mode === 'strict' ? { sync: true } : {};
      return {
        async setAwaited(ks, vs) {
          for (let i = 0; i < ks.length; i++) await db.put(ks[i], vs[i], putOpts);
        },
        async setGroup(ks, vs) {
          const ps = new Array(ks.length);
          for (let i = 0; i < ks.length; i++) ps[i] = db.put(ks[i], vs[i], putOpts);
          await Promise.all(ps);
        },
        get: (k) => db.get(k),
        async getLoop(ks, ord) {
          let acc = 0;
          for (let i = 0; i < ord.length; i++) acc += (await db.get(ks[ord[i]])).id;
          return acc;
        },
        async check() {
          let n = 0;
          for await (const _ of db.keys()) n++;
          return n;
        },
        close: () => db.close(),
      };
    },
  });
}

if (sqlite) {
  stores.push({
    name: 'sqlite',
    label: `better-sqlite3 ${sqlite.version}`,
    async open(dir, mode) {
      // WAL journal. relaxed: synchronous=NORMAL (a commit is written to the
      // WAL, fsync only at checkpoints). strict: synchronous=FULL (the WAL
      // is fsynced at every commit).
      const db = new sqlite.api(path.join(dir, 'kv.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${mode === 'strict' ? 'FULL' : 'NORMAL'}`);
      db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
      const ins = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
      const sel = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
      const many = db.transaction((ks, vs) => {
        for (let i = 0; i < ks.length; i++) ins.run(ks[i], JSON.stringify(vs[i]));
      });
      return {
        // Synchronous: one autocommit statement each.
        async setAwaited(ks, vs) {
          for (let i = 0; i < ks.length; i++) ins.run(ks[i], JSON.stringify(vs[i]));
        },
        // One transaction.
        async setGroup(ks, vs) {
          many(ks, vs);
        },
        get: (k) => {
          const v = sel.get(k);
          return v === undefined ? undefined : JSON.parse(v);
        },
        getLoop(ks, ord) {
          let acc = 0;
          for (let i = 0; i < ord.length; i++) acc += JSON.parse(sel.get(ks[ord[i]])).id;
          return acc;
        },
        check: () => db.prepare('SELECT count(*) FROM kv').pluck().get(),
        async close() {
          db.close();
        },
      };
    },
  });
}

// JS Map baselines (set loops are synchronous).
const mapObj = {
  set(ks, vs) {
    const m = new Map();
    for (let i = 0; i < ks.length; i++) m.set(ks[i], vs[i]);
    return m;
  },
};
const mapJson = {
  set(ks, vs) {
    const m = new Map();
    for (let i = 0; i < ks.length; i++) m.set(ks[i], JSON.stringify(vs[i]));
    return m;
  },
};

// ---------------------------------------------------------------- harness

// Runs `body` REPS times, each after an untimed `setup` (fresh store) and
// before an untimed `teardown`; returns the median seconds.
async function timed({ setup, body, teardown, reps = REPS, warm }) {
  if (warm) await warm();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const ctx = setup ? await setup() : undefined;
    gc();
    const t0 = now();
    await body(ctx);
    times.push(secondsSince(t0));
    if (teardown) await teardown(ctx);
    if (r + 1 < reps && times.reduce((a, b) => a + b, 0) > SLOW_SECONDS) {
      log(`  note: stopped after ${times.length} of ${reps} repetitions (${times.map((t) => t.toFixed(1)).join(', ')} s so far; the rest would take too long)`);
      break;
    }
  }
  return { s: median(times), all: times };
}

async function withStore(store, mode, fn) {
  const dir = freshDir(store.name);
  const h = await store.open(dir, mode);
  try {
    return await fn(h, dir);
  } finally {
    await h.close();
    rm(dir);
  }
}

async function setBench(store, mode, variant, ks, vs, warmKs, warmVs, reps = REPS) {
  const ctx = {};
  return timed({
    reps,
    warm: () => withStore(store, mode, (h) => h[variant](warmKs, warmVs)),
    setup: async () => {
      ctx.dir = freshDir(store.name);
      ctx.h = await store.open(ctx.dir, mode);
      return ctx;
    },
    body: (c) => c.h[variant](ks, vs),
    teardown: async (c) => {
      const n = await c.h.check();
      if (n !== ks.length) throw new Error(`${store.name}: ${n} entries after ${ks.length} sets`);
      await c.h.close();
      rm(c.dir);
    },
  });
}

// ---------------------------------------------------------------- results

const rows = [];
const COLS = [
  ['ours', 'persistent-map'],
  ['map', 'JS Map'],
  ['mapJson', 'JS Map + JSON'],
  ['lmdb', 'lmdb'],
  ['lmdbNoSync', 'lmdb noSync'],
  ['level', 'classic-level'],
  ['sqlite', 'better-sqlite3'],
  ['floor', 'readFileSync'],
];
const fmtRate = (ops, s) => {
  const r = ops / s;
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M/s`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k/s`;
  return `${r.toFixed(0)}/s`;
};
const fmtMs = (s) => (s >= 10 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`);
const fmtBytes = (b) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

// cells: col -> seconds (or {text}); unit 'rate' uses ops, 'time' prints ms.
function addRow({ name, ops, unit = 'rate', cells, ref, target, met }) {
  const fmt = (c) => {
    if (c === undefined) return '–';
    if (typeof c === 'object') return c.text;
    return unit === 'rate' ? fmtRate(ops, c) : fmtMs(c);
  };
  const out = { name };
  for (const [col] of COLS) out[col] = fmt(cells[col]);
  const refName = (r) => COLS.find(([c]) => c === r)[1];
  const refs = (Array.isArray(ref) ? ref : [ref]).filter((r) => r && typeof cells[r] === 'number');
  out.ratio = refs.length && typeof cells.ours === 'number'
    ? refs.map((r) => `${(cells.ours / cells[r]).toFixed(2)}x ${refName(r)}`).join('; ') : '–';
  out.target = target ?? '–';
  out.met = met === undefined ? '–' : typeof met === 'string' ? met : met ? 'yes' : '**NO**';
  rows.push(out);
  log(`  ${name}: ${COLS.filter(([c]) => cells[c] !== undefined).map(([c, l]) => `${l} ${fmt(cells[c])}`).join(', ')}`);
}

function printTable() {
  const header = ['measurement', ...COLS.map(([, l]) => l), 'ratio (ours/ref, time)', 'target', 'met?'];
  const lines = rows.map((r) => [r.name, ...COLS.map(([c]) => r[c]), r.ratio, r.target, r.met]);
  const used = header.map((_, i) => i === 0 || i > COLS.length || lines.some((l) => l[i] !== '–'));
  const pick = (a) => a.filter((_, i) => used[i]);
  log(`| ${pick(header).join(' | ')} |`);
  log(`|${pick(header).map(() => '---').join('|')}|`);
  for (const l of lines) log(`| ${pick(l).join(' | ')} |`);
}

// ---------------------------------------------------------------- run

const mount = fsType(BASE_DIR);
log('persistent-map JavaScript benchmark');
log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log(`N=${N} (values ~${avgJson.toFixed(0)} B of JSON), strict N=${STRICT_N}, open N=${OPEN_N}, reps=${REPS} (median), warm-up ${WARM_N}`);
log(`persistent-map: ${path.relative(process.cwd(), PMAP_JS) || PMAP_JS}${env.PMAP_BENCH_JS ? ' (PMAP_BENCH_JS; the gzip sizes are still those of js/ in this repo)' : ''}`);
log(`temp dir ${tmpRoot} on ${mount.dev} (${mount.type})${mount.type === 'tmpfs' ? ' WARNING: tmpfs, fsync costs nothing here' : ''}`);
log(`peers: ${stores.filter((s) => s.name !== 'ours').map((s) => s.label).join(', ') || 'none'}; global.gc ${typeof globalThis.gc === 'function' ? 'exposed' : 'NOT exposed (run with node --expose-gc)'}`);
log('');

const warmKs = keys.slice(0, WARM_N);
const warmVs = values.slice(0, WARM_N);
const byName = Object.fromEntries(stores.map((s) => [s.name, s]));

// The target "relaxed set faster than lmdb put", judged against lmdb's
// defaults (fdatasync per commit) and against lmdb {noSync: true} (no
// fsync, like our 'relaxed').
function lmdbTarget(cells) {
  if (cells.lmdb === undefined) return { target: 'faster than lmdb put' };
  const vsDefault = cells.ours < cells.lmdb;
  const vsNoSync = cells.lmdbNoSync === undefined ? undefined : cells.ours < cells.lmdbNoSync;
  let met = vsDefault;
  if (vsNoSync !== undefined && vsNoSync !== vsDefault) met = vsDefault ? 'yes vs default, **NO** vs noSync' : '**NO** vs default, yes vs noSync';
  else if (vsNoSync !== undefined) met = vsDefault ? 'yes (both)' : '**NO** (both)';
  return { ref: ['lmdb', 'lmdbNoSync'], target: 'faster than lmdb put', met };
}

// 1. relaxed set, awaited one after another
if (runs('set')) {
  log('relaxed set, awaited each ...');
  const cells = {};
  cells.map = (await timed({ warm: () => mapObj.set(warmKs, warmVs), body: () => mapObj.set(keys, values) })).s;
  cells.mapJson = (await timed({ warm: () => mapJson.set(warmKs, warmVs), body: () => mapJson.set(keys, values) })).s;
  for (const s of stores) cells[s.name] = (await setBench(s, 'relaxed', 'setAwaited', keys, values, warmKs, warmVs)).s;
  addRow({ name: `relaxed set, \`await\` each (${N})`, ops: N, cells, ...lmdbTarget(cells) });
}

// 2. relaxed set, all in one tick then Promise.all (group commit)
if (runs('group')) {
  log('relaxed set, one tick + Promise.all ...');
  const cells = {};
  for (const s of stores) cells[s.name] = (await setBench(s, 'relaxed', 'setGroup', keys, values, warmKs, warmVs)).s;
  addRow({ name: `relaxed set, one tick + \`Promise.all\` (${N})`, ops: N, cells, ...lmdbTarget(cells) });
}

// 3. random gets from an N-entry store
if (runs('get')) {
  log('random get ...');
  const cells = {};
  const mObj = mapObj.set(keys, values);
  const mJson = mapJson.set(keys, values);
  const use = (acc) => {
    sink += acc;
    if (acc === 0) throw new Error('nothing read');
  };
  const mapGet = () => {
    let acc = 0;
    for (let i = 0; i < order.length; i++) acc += mObj.get(keys[order[i]]).id;
    use(acc);
  };
  const mapJsonGet = () => {
    let acc = 0;
    for (let i = 0; i < order.length; i++) acc += JSON.parse(mJson.get(keys[order[i]])).id;
    use(acc);
  };
  cells.map = (await timed({ warm: mapGet, body: mapGet })).s;
  cells.mapJson = (await timed({ warm: mapJsonGet, body: mapJsonGet })).s;
  for (const s of stores.filter((x) => !x.relaxedOnly)) {
    cells[s.name] = await withStore(s, 'relaxed', async (h) => {
      for (let i = 0; i < N; i += BATCH) await h.setGroup(keys.slice(i, i + BATCH), values.slice(i, i + BATCH));
      const body = async () => use(await h.getLoop(keys, order));
      const v = await h.get(keys[123 % N]);
      if (JSON.stringify(v) !== jsonValues[123 % N]) throw new Error(`${s.name}: wrong value read back`);
      return (await timed({ warm: body, body })).s;
    });
  }
  const met = cells.ours <= 3 * cells.map;
  addRow({ name: `random \`get\` (${N}) vs Map.get of the object`, ops: N, cells, ref: 'map', target: '≤ 3x JS Map get', met });
  addRow({
    name: `random \`get\` (${N}) vs Map.get + JSON.parse (fresh copy)`, ops: N,
    cells: { ours: cells.ours, mapJson: cells.mapJson }, ref: 'mapJson', target: '(same, apples to apples)', met: cells.ours <= 3 * cells.mapJson,
  });
  // { freeze: true }: get returns a deep-frozen value shared between calls
  // (decoded on the first get of a key, here in the warm-up pass).
  const frozen = await PersistentMap.open(path.join(freshDir('frozen'), 'store.pmap'), { freeze: true });
  for (let i = 0; i < N; i += BATCH) await frozen.setMany(keys.slice(i, i + BATCH).map((k, j) => [k, values[i + j]]));
  const frozenGet = () => {
    let acc = 0;
    for (let i = 0; i < order.length; i++) acc += frozen.get(keys[order[i]]).id;
    use(acc);
  };
  const frozenS = (await timed({ warm: frozenGet, body: frozenGet })).s;
  await frozen.close();
  addRow({
    name: `random \`get\` (${N}), \`{ freeze: true }\` (shared frozen value) vs Map.get of the object`, ops: N,
    cells: { ours: frozenS, map: cells.map }, ref: 'map', target: '≤ 3x JS Map get', met: frozenS <= 3 * cells.map,
  });
}

// 4. strict sets: every acknowledged write is on stable storage
if (runs('strict')) {
  log('strict set ...');
  const sk = keys.slice(0, STRICT_N);
  const sv = values.slice(0, STRICT_N);
  const wk = keys.slice(0, Math.max(1, STRICT_N >> 3));
  const wv = values.slice(0, wk.length);
  const cells = {};
  const strictStores = stores.filter((s) => !s.relaxedOnly);
  for (const s of strictStores) cells[s.name] = (await setBench(s, 'strict', 'setAwaited', sk, sv, wk, wv)).s;
  addRow({ name: `strict set, \`await\` each (${STRICT_N}, fsync each)`, ops: STRICT_N, cells, ref: cells.lmdb !== undefined ? 'lmdb' : undefined });
  const g = {};
  for (const s of strictStores) g[s.name] = (await setBench(s, 'strict', 'setGroup', sk, sv, wk, wv)).s;
  addRow({ name: `strict set, one tick + \`Promise.all\` (${STRICT_N})`, ops: STRICT_N, cells: g, ref: g.lmdb !== undefined ? 'lmdb' : undefined });
}

// 5. open of an OPEN_N-entry store
let openInfo = {};
if (runs('open')) {
  log(`open of a ${OPEN_N}-entry store ...`);
  const r = rng(4242);
  const cells = {};
  const dir = freshDir('open-ours');
  const file = path.join(dir, 'store.pmap');
  let t0 = now();
  {
    const m = await PersistentMap.open(file);
    for (let i = 0; i < OPEN_N; i += BATCH) {
      const batch = [];
      for (let j = i; j < Math.min(OPEN_N, i + BATCH); j++) batch.push([keyOf(j + 1), valueOf(j + 1, r)]);
      await m.setMany(batch);
    }
    await m.close();
  }
  const buildS = secondsSince(t0);
  const fileBytes = fs.statSync(file).size;
  log(`  built ${OPEN_N} entries with setMany(${BATCH}) in ${buildS.toFixed(2)} s; log ${fileBytes} bytes (${(fileBytes / OPEN_N).toFixed(1)} B/entry)`);
  const wantKey = keyOf(OPEN_N >> 1);
  cells.floor = (await timed({ warm: () => fs.readFileSync(file), body: () => { sink += fs.readFileSync(file).length; } })).s;
  // The JS heap an open map holds (before this version: a JS map of every
  // entry; now only the entries read, here one).
  const heap = [];
  const res = await timed({
    warm: async () => (await PersistentMap.open(file)).close(),
    body: async (c) => {
      c.m = await PersistentMap.open(file);
    },
    setup: async () => {
      gc();
      return { heap0: process.memoryUsage().heapUsed };
    },
    teardown: async (c) => {
      if (c.m.size !== OPEN_N || c.m.get(wantKey)?.id !== OPEN_N >> 1) throw new Error('reopened store is wrong');
      gc();
      heap.push(process.memoryUsage().heapUsed - c.heap0);
      await c.m.close();
      c.m = null; // a suspended frame may hold `c` until the next repetition
    },
  });
  cells.ours = res.s;
  openInfo = { buildS, fileBytes, all: res.all };
  log(`  ours: ${res.all.map((s) => fmtMs(s)).join(', ')}; JS heap growth ${(median(heap) / OPEN_N).toFixed(1)} B/entry`);

  // What the open leaves for later: a read of a key not read before goes to
  // the WebAssembly core (and is then cached in the JS map); iteration
  // reads the core in chunks.
  const coldKeys = Array.from(order.subarray(0, Math.min(N, OPEN_N)), (i) => keyOf(1 + (i % OPEN_N)));
  const after = {};
  for (const [what, fn] of [
    ['cold', (m) => {
      let acc = 0;
      for (const k of coldKeys) acc += m.get(k).id;
      sink += acc;
    }],
    ['iterate', (m) => {
      let n = 0;
      for (const _ of m) n++;
      if (n !== OPEN_N) throw new Error('iteration is wrong');
    }],
  ]) {
    after[what] = await timed({
      setup: async () => ({ m: await PersistentMap.open(file) }),
      body: (c) => fn(c.m),
      teardown: (c) => c.m.close(),
    });
  }
  const closeTimes = [];
  for (let r = 0; r < REPS; r++) {
    const m = await PersistentMap.open(file);
    const t = now();
    await m.close();
    closeTimes.push(secondsSince(t));
  }
  openInfo.after = { cold: after.cold.s, iterate: after.iterate.s, close: median(closeTimes), coldN: coldKeys.length };
  log(`  after the open: ${coldKeys.length} random gets ${fmtMs(after.cold.s)} (${fmtRate(coldKeys.length, after.cold.s)}), ` +
    `iterating all ${fmtMs(after.iterate.s)}, close without reads ${fmtMs(median(closeTimes))}`);
  rm(dir);

  if (OPEN_PEERS) {
    // The peers open lazily (mmap / table files); the timing includes one
    // get so that something was read.
    const fill = async (s) => {
      const pdir = freshDir(`open-${s.name}`);
      const rr = rng(4242);
      const h = await s.open(pdir, 'relaxed');
      const t = now();
      for (let i = 0; i < OPEN_N; i += BATCH) {
        const ks = [];
        const vs = [];
        for (let j = i; j < Math.min(OPEN_N, i + BATCH); j++) {
          ks.push(keyOf(j + 1));
          vs.push(valueOf(j + 1, rr));
        }
        await h.setGroup(ks, vs);
      }
      await h.close();
      log(`  built ${s.label} in ${secondsSince(t).toFixed(1)} s, ${dirBytes(pdir)} bytes on disk`);
      return pdir;
    };
    for (const s of stores) {
      if (s.name === 'ours' || s.relaxedOnly) continue;
      try {
        const pdir = await fill(s);
        cells[s.name] = (await timed({
          warm: async () => {
            const h = await s.open(pdir, 'relaxed');
            await h.close();
          },
          body: async (c) => {
            c.h = await s.open(pdir, 'relaxed');
            const v = await c.h.get(wantKey);
            if (v?.id !== OPEN_N >> 1) throw new Error(`${s.name}: wrong value after open`);
          },
          setup: async () => ({}),
          teardown: (c) => c.h.close(),
        })).s;
        rm(pdir);
      } catch (err) {
        log(`  note: ${s.label} open skipped (${err.message})`);
      }
    }
  }
  addRow({
    name: `open of ${OPEN_N} entries (${fmtBytes(fileBytes)} log)`, unit: 'time', cells, ref: 'floor',
    target: OPEN_N >= 1_000_000 ? '≤ 1 s' : '≤ 1 s (at 1M)', met: cells.ours <= 1,
  });
  const a = openInfo.after;
  addRow({ name: `after that open: first \`get\` of ${a.coldN} random keys (served by the core)`, ops: a.coldN, cells: { ours: a.cold } });
  addRow({ name: `after that open: iterate all ${OPEN_N} entries (read from the core in chunks)`, unit: 'time', cells: { ours: a.iterate } });
  addRow({ name: 'after that open: `close()` with nothing read', unit: 'time', cells: { ours: a.close } });
}

// 6. download size
{
  const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
  // Every .js file below `d` (the driver's js/map/ counts with js/).
  const jsIn = (d) => fs.readdirSync(path.join(root, d), { recursive: true }).filter((f) => f.endsWith('.js')).sort().map((f) => path.join(root, d, f));
  const wasm = gz(path.join(root, 'js/wasm/pmap_core.wasm'));
  const glue = gz(path.join(root, 'js/wasm/pmap_core.mjs'));
  const top = jsIn('js').filter((f) => !f.includes(`${path.sep}backends${path.sep}`) && !f.includes(`${path.sep}cli${path.sep}`) && !f.includes(`${path.sep}wasm${path.sep}`));
  const backends = jsIn('js/backends');
  const sum = (fs_) => fs_.reduce((t, f) => t + gz(f), 0);
  const topB = sum(top);
  const backB = sum(backends);
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  log(`gzip -9 (each file alone): pmap_core.wasm ${wasm} B, pmap_core.mjs ${glue} B, js/ (driver) ${topB} B (${top.map((f) => path.relative(path.join(root, 'js'), f)).join(' ')}), js/backends/ ${backB} B (${backends.map((f) => path.relative(path.join(root, 'js/backends'), f)).join(' ')})`);
  rows.push({
    name: 'gzip -9: .wasm + .mjs glue (then + the driver in js/, + js/backends/)',
    ours: `${kib(wasm + glue)} (${kib(wasm + glue + topB)}, ${kib(wasm + glue + topB + backB)})`,
    ...Object.fromEntries(COLS.slice(1).map(([c]) => [c, '–'])), ratio: '–', target: '≤ 100 KB (.wasm + glue)', met: wasm + glue <= 100_000 ? 'yes' : '**NO**',
  });
}

log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log('');
printTable();
log('');
log('Times are medians of the repetitions; ratio = our time per operation / the reference\'s (below 1: we are faster).');
log('ours get = Map.get of the stored JSON text + JSON.parse: a fresh decoded copy each call (with { freeze: true }: Map.get of a shared frozen value). JS Map = Map.get of the object itself (no copy).');
log('lmdb stores msgpack (its default), classic-level and better-sqlite3 store JSON text; every peer\'s get returns a freshly decoded object.');
if (sink === 42) log(''); // use sink
