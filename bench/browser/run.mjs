#!/usr/bin/env node
// The Chromium benchmark: persistent-map (OPFS and IndexedDB backends) side
// by side with idb-keyval, localforage and Dexie, in one page of Debian's
// Chromium (headless, a fresh profile on disk). Prints a table to stdout.
//
//   node bench/browser/run.mjs [--profile]
//
// Environment: PMAP_BROWSER_BENCH_N (sets/gets, default 10000),
// PMAP_BROWSER_BENCH_BIG (entries for the open, default 100000),
// PMAP_BROWSER_BENCH_REPS (default 3), PMAP_BROWSER_BENCH_STRICT_REPS
// (default 1: strict IndexedDB runs take tens of seconds),
// PMAP_BROWSER_BENCH_STEP_TIMEOUT (seconds per step, default 900),
// PMAP_BROWSER_BENCH_ONLY (a comma list of sets,burst,gets,open,floors,reload),
// PMAP_BROWSER_BENCH_RELOADS (trials per row of the reload section, default
// 20; each makes PMAP_BROWSER_BENCH_RELOAD_SETS awaited sets, default 200),
// CHROMIUM_PATH. --profile adds V8 CPU profiles (main thread) of the
// awaited sets (opfs, memory) and of the opens, summarised by self time per
// function; the profiler slows the profiled steps, so take the table from a
// run without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const PEERS = ['idb-keyval', 'dexie', 'localforage'];

if (PEERS.some((p) => !fs.existsSync(path.join(here, 'node_modules', p, 'package.json')))) {
  console.error('installing the benchmark peers into bench/browser/node_modules ...');
  execFileSync('npm', ['install', '--prefix', here, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
}

const { serve } = await import('../../tests/browser/server.js');
const { launchProfile, newProfileDir, CHROMIUM } = await import('../../tests/browser/chromium.js');

const N = Number(process.env.PMAP_BROWSER_BENCH_N ?? 10000);
const BIG = Number(process.env.PMAP_BROWSER_BENCH_BIG ?? 100000);
const REPS = Number(process.env.PMAP_BROWSER_BENCH_REPS ?? 3);
const STRICT_REPS = Number(process.env.PMAP_BROWSER_BENCH_STRICT_REPS ?? 1);
const PROFILE = process.argv.includes('--profile');
const ONLY = new Set((process.env.PMAP_BROWSER_BENCH_ONLY ?? 'sets,burst,gets,open,floors,reload').split(','));
const RELOADS = Number(process.env.PMAP_BROWSER_BENCH_RELOADS ?? 20);
const RELOAD_SETS = Number(process.env.PMAP_BROWSER_BENCH_RELOAD_SETS ?? 200);
const STEP_TIMEOUT_MS = Number(process.env.PMAP_BROWSER_BENCH_STEP_TIMEOUT ?? 900) * 1000;

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error(...a);
const fmtRate = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)}k/s` : `${r.toFixed(0)}/s`);
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const fmtX = (x) => (x >= 100 ? `${x.toFixed(0)}x` : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);

const server = await serve(root);
const profileDir = newProfileDir();
let context;
// Ctrl-C or a kill still removes the profile directory.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    fs.rmSync(profileDir, { recursive: true, force: true });
    process.exit(130);
  });
}
const rows = []; // { section, name, value, range, ratio, note }
let exitCode = 0;
try {
  context = await launchProfile(profileDir);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => log('page error:', e.message));
  page.on('console', (m) => m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && log('page console:', m.text()));
  await page.goto(`${server.url}/bench/browser/bench.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
  // Each step in the page; a step that does not finish in STEP_TIMEOUT_MS is
  // reported by name instead of hanging the program.
  const run = (fn, ...args) => {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step ${fn}(${args.join(', ')}) did not finish in ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
    });
    return Promise.race([page.evaluate(([f, a]) => window.bench[f](...a), [fn, args]), timeout]).finally(() => clearTimeout(timer));
  };
  const cdp = PROFILE ? await context.newCDPSession(page) : null;
  const profiles = {};
  async function profiled(label, fn) {
    if (!cdp) return fn();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    try {
      return await fn();
    } finally {
      const { profile } = await cdp.send('Profiler.stop');
      profiles[label] = profile;
    }
  }

  const env = await run('env');
  const version = context.browser()?.version() ?? env.userAgent.match(/Chrome\/([\d.]+)/)?.[1];
  log(`Chromium ${version} (${CHROMIUM}), crossOriginIsolated=${env.crossOriginIsolated}, timer ${env.timerResolutionMs} ms, ` +
    `OPFS sync handles: ${env.opfs}, IDB default durability reported: '${env.defaultIdbDurability}', value JSON ${env.jsonBytes} B, Dexie ${env.dexie}`);

  // Warm-up: load and compile the WebAssembly core, start an OPFS worker once.
  await run('sets', 'pmap-opfs-relaxed', 500, 1);
  await run('sets', 'pmap-indexeddb-relaxed', 500, 1);

  // ---- awaited sets ----
  const setRates = {};
  const appendShare = {};
  if (ONLY.has('sets')) {
    const SETS = [
      ['pmap-opfs-relaxed', 'persistent-map, opfs, relaxed', REPS],
      ['pmap-indexeddb-relaxed', 'persistent-map, indexeddb, relaxed', REPS],
      ['pmap-memory', 'persistent-map, memory backend (no I/O; floor)', REPS],
      ['idb-keyval', 'idb-keyval set (browser default durability)', REPS],
      ['localforage', 'localforage setItem (no durability option)', REPS],
      ['dexie', 'dexie table.put (browser default durability)', REPS],
      ['pmap-opfs-strict', 'persistent-map, opfs, strict', REPS],
      ['pmap-indexeddb-strict', 'persistent-map, indexeddb, strict', STRICT_REPS],
      ['idb-keyval-strict', "idb-keyval set, custom UseStore with durability 'strict'", STRICT_REPS],
      ['dexie-strict', "dexie table.put, chromeTransactionDurability: 'strict'", STRICT_REPS],
    ];
    for (const [id, label, reps] of SETS) {
      log(`sets: ${id} x${reps} ...`);
      const { ms } = await (['pmap-opfs-relaxed', 'pmap-memory'].includes(id) ? profiled(`sets-${id}`, () => run('sets', id, N, reps)) : run('sets', id, N, reps));
      setRates[id] = ms.map((t) => (N * 1000) / t);
      rows.push({ section: `${N} awaited sets`, id, name: label, rates: setRates[id] });
    }
    for (const r of rows) r.ratio = median(r.rates) / median(setRates['idb-keyval']);
    // One more relaxed run per backend through a wrapper that adds up the time
    // of backend.append() (from the call to its promise settling).
    for (const id of ['pmap-opfs-relaxed', 'pmap-indexeddb-relaxed']) {
      const { ms, timings } = await run('sets', id, N, 1, { profile: true });
      appendShare[id] = { totalUs: (ms[0] * 1000) / N, appendUs: (timings[0].append * 1000) / timings[0].appendCalls, calls: timings[0].appendCalls };
    }
  }

  // ---- sets issued in one tick (group commit), context ----
  if (ONLY.has('burst')) {
    for (const id of ['pmap-opfs-relaxed', 'pmap-indexeddb-relaxed', 'idb-keyval', 'localforage', 'dexie']) {
      log(`burst: ${id} ...`);
      const { ms } = await run('burst', id, N, REPS);
      const rates = ms.map((t) => (N * 1000) / t);
      rows.push({ section: `${N} sets in one tick, then await all (context)`, id, name: id, rates });
    }
    const idbBurst = rows.find((r) => r.section.includes('one tick') && r.id === 'idb-keyval');
    for (const r of rows.filter((x) => x.section.includes('one tick'))) r.ratio = median(r.rates) / median(idbBurst.rates);
  }

  // ---- gets ----
  const getRates = {};
  if (ONLY.has('gets')) {
    for (const [id, label] of [
      ['pmap-opfs-relaxed', 'persistent-map map.get (sync; opfs store)'],
      ['pmap-indexeddb-relaxed', 'persistent-map map.get (sync; indexeddb store)'],
      ['idb-keyval', 'idb-keyval get'],
      ['localforage', 'localforage getItem'],
      ['dexie', 'dexie table.get'],
    ]) {
      log(`gets: ${id} ...`);
      const { ms, ok } = await run('gets', id, N, REPS);
      if (!ok) throw new Error(`gets ${id}: wrong values read back`);
      getRates[id] = ms.map((t) => (N * 1000) / t);
      rows.push({ section: `${N} gets (shuffled keys, awaited for async APIs)`, id, name: label, rates: getRates[id] });
    }
    for (const r of rows.filter((x) => x.section.includes('gets'))) r.ratio = median(r.rates) / median(getRates['idb-keyval']);
  }

  // ---- open of a big store ----
  const opens = {};
  if (ONLY.has('open')) {
    for (const kind of ['opfs', 'indexeddb']) {
      log(`open: ${kind} ${BIG} entries ...`);
      const big = await run('createBig', kind, BIG, 10000);
      const res = await profiled(`open-${kind}`, () => run('openPmap', kind, big.name, BIG, Math.max(REPS, 5)));
      if (!res.ok) throw new Error(`open ${kind}: store does not hold ${BIG} entries`);
      opens[kind] = { ...res, ...big };
      rows.push({
        section: `open of ${BIG} entries (~100 B values)`, id: `open-${kind}`, name: `PersistentMap.open, ${kind}`, times: res.ms,
        note: `log ${(big.logBytes / 1e6).toFixed(1)} MB; one more open: backend.open() ${fmtMs(res.split.backendOpen)} of ${fmtMs(res.split.total)}; creating it (${BIG / 10000} setMany) took ${fmtMs(big.createMs)}`,
      });
    }
    for (const [id, label] of [
      ['idb-keyval', 'idb-keyval entries() (fresh store fn)'],
      ['dexie', 'dexie toArray() (new Dexie + open)'],
      ['localforage', 'localforage iterate() (instance reused)'],
    ]) {
      log(`read all: ${id} ${BIG} entries ...`);
      const res = await run('readAllBig', id, BIG, REPS);
      if (!res.ok) throw new Error(`read all ${id}: wrong count`);
      rows.push({ section: `open of ${BIG} entries (~100 B values)`, id, name: `${label}, context`, times: res.ms, note: `create ${fmtMs(res.createMs)}` });
    }
  }

  // ---- floors ----
  let fl = null;
  let setCall = null;
  if (ONLY.has('floors')) {
    log('floors ...');
    fl = await run('floors', N, 133, opens.opfs?.name ?? null);
    setCall = await run('setCallCost', N, REPS);
  }

  // ---- an awaited set, then location.reload() at once: kept or lost? ----
  const reloads = [];
  if (ONLY.has('reload')) {
    for (const kind of ['opfs', 'indexeddb']) {
      for (const durability of ['relaxed', 'strict']) {
        log(`reload: ${kind} ${durability} x${RELOADS} ...`);
        const name = `reload-${kind}-${durability}-${Date.now().toString(36)}`;
        for (let i = 0; i < RELOADS; i++) {
          await Promise.all([
            page.waitForEvent('load', { timeout: 30000 }),
            page.evaluate(([k, n, d, t, c]) => window.bench.reloadTrial(k, n, d, t, c), [kind, name, durability, i, RELOAD_SETS]).catch(() => {}),
          ]);
          await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
        }
        const r = await run('reloadSurvivors', kind, name, RELOADS, RELOAD_SETS);
        reloads.push({ kind, durability, ...r });
      }
    }
  }

  // ---- print ----
  const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
  const out = [];
  out.push(`Chromium ${version}, ${os.cpus().length} vCPU ${os.cpus()[0]?.model ?? ''}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`N=${N}, big=${BIG}, reps=${REPS} (strict IndexedDB: ${STRICT_REPS}; opens: ${Math.max(REPS, 5)}); medians; range = min – max over reps; ratio vs idb-keyval (higher is better)`);
  out.push('');
  out.push('| measurement | contender | median | range | vs idb-keyval |');
  out.push('|---|---|---|---|---|');
  for (const r of rows) {
    if (r.rates) {
      const lo = Math.min(...r.rates);
      const hi = Math.max(...r.rates);
      out.push(`| ${r.section} | ${r.name} | ${fmtRate(median(r.rates))} | ${r.rates.length > 1 ? `${fmtRate(lo)} – ${fmtRate(hi)}` : '1 run'} | ${fmtX(r.ratio)} |`);
    } else {
      out.push(`| ${r.section} | ${r.name} | ${fmtMs(median(r.times))} | ${fmtMs(Math.min(...r.times))} – ${fmtMs(Math.max(...r.times))} | ${r.note ?? ''} |`);
    }
  }
  out.push('');
  for (const [id, a] of Object.entries(appendShare)) {
    out.push(`${id}: one awaited set ${us(a.totalUs / 1000)}, of which inside backend.append() ${us(a.appendUs / 1000)} (${a.calls} appends)`);
  }
  if (fl) {
    out.push('');
    out.push('Floors (per awaited operation, no persistent-map code):');
    out.push(`  postMessage round trip to a worker: ${us(fl.postMessageRoundTrip)}; + OPFS write of 133 B: ${us(fl.opfsWriteRoundTrip)}; + write + flush: ${us(fl.opfsWriteFlushRoundTrip)}`);
    out.push(`  one IndexedDB put transaction: relaxed ${us(fl.idbTxRelaxed)}, default ${us(fl.idbTxDefault)}, strict ${us(fl.idbTxStrict)}`);
    out.push(`  map.set call, synchronous part only (memory backend, not awaited): ${us(median(setCall.ms) / N)}`);
    out.push(`  start a module worker + first reply: ${fmtMs(fl.workerSpawnMs)}` +
      (opens.opfs ? `; read the ${(opens.opfs.logBytes / 1e6).toFixed(1)} MB OPFS log in a running worker + transfer: ${fmtMs(fl.opfsReadLogMs)}` : ''));
  }
  if (reloads.length) {
    out.push('');
    out.push(`${RELOAD_SETS} awaited sets, then location.reload() at once (no close, no flush), ${RELOADS} trials each:`);
    for (const r of reloads) {
      const whole = r.lost.filter((x) => x === 0).length;
      out.push(`  ${r.kind}, ${r.durability}: all kept in ${whole} of ${RELOADS} trials; sets lost per trial ${r.lost.join(' ')}` +
        ` (max ${Math.max(...r.lost)}); lost sets ${r.prefix ? 'all at the end' : 'NOT all at the end (a bug)'}`);
    }
  }
  out.push('');
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  out.push('Targets:');
  if (setRates['idb-keyval']) {
    const relaxedX = median(setRates['pmap-opfs-relaxed']) / median(setRates['idb-keyval']);
    const relaxedIdbX = median(setRates['pmap-indexeddb-relaxed']) / median(setRates['idb-keyval']);
    out.push(`  relaxed awaited sets >= 50x idb-keyval: opfs ${fmtX(relaxedX)} (${verdict(relaxedX >= 50)}), indexeddb ${fmtX(relaxedIdbX)} (${verdict(relaxedIdbX >= 50)})`);
  }
  if (getRates['idb-keyval']) {
    const getX = median(getRates['pmap-opfs-relaxed']) / median(getRates['idb-keyval']);
    out.push(`  gets >= 100x idb-keyval: ${fmtX(getX)} (${verdict(getX >= 100)})`);
  }
  for (const kind of Object.keys(opens)) {
    const m = median(opens[kind].ms);
    out.push(`  open of ${BIG} entries <= 200 ms: ${kind} ${fmtMs(m)} (${verdict(m <= 200)})`);
  }
  console.log(out.join('\n'));

  if (PROFILE) {
    for (const [label, profile] of Object.entries(profiles)) {
      console.log(`\nCPU profile (main thread) of ${label}: self time by function, top 25`);
      console.log(summarize(profile));
    }
  }
} catch (err) {
  log(err);
  exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  await server.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
process.exit(exitCode);

function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const url = f.url ? f.url.replace(/^.*\/(js|bench|node_modules)\//, '$1/') : '';
    const name = `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
    const d = (dt[i + 1] ?? 0) / 1000;
    self.set(name, (self.get(name) ?? 0) + d);
    total += d;
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return top.map(([n, t]) => `  ${t.toFixed(1).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${n}`).join('\n') +
    `\n  total ${total.toFixed(0)} ms`;
}
