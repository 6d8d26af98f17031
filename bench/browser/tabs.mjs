#!/usr/bin/env node
// One store shared by several tabs (issue 13), in Debian's Chromium:
//
//   node bench/browser/tabs.mjs
//
// For each backend (opfs, indexeddb, sqlite), three pages open one store:
// L first (it leads), then A and B (they follow). Then
// * awaited relaxed sets: N in L (the leader's), N in A (a follower's), and
//   N idb-keyval sets in A, the same page: ratios of the rates;
// * propagation: B watches a fresh key ('change' event with origin
//   'remote'), A (or L) sets it; the latency runs from just before the set
//   in A until the event in B (performance.timeOrigin + now(): one clock for
//   all pages). PROP samples, one at a time, after WARM unrecorded ones.
// The floor: N round trips of a small message over a BroadcastChannel from A
// to L, which echoes them, next to N more idb-keyval sets in A; and the
// propagation floor: A posts a key, L re-posts it, B waits for it.
// Dexie's cross-tab propagation in the same browser: a liveQuery of the key
// in B, a table.put in A. Join: a leader holds PMAP_TABS_JOIN_N entries
// (default 100,000); a new page opens the store and iterates it; then the
// same alone, for comparison.
//
// Environment: PMAP_TABS_N (awaited sets, default 2000), PMAP_TABS_PROP
// (samples, default 300), PMAP_TABS_KINDS (default opfs,indexeddb,sqlite),
// CHROMIUM_PATH. Results: docs/BENCHMARKS.md, "Tabs (issue 13)".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
if (['idb-keyval', 'dexie'].some((p) => !fs.existsSync(path.join(here, 'node_modules', p, 'package.json')))) {
  console.error('installing the benchmark peers into bench/browser/node_modules ...');
  execFileSync('npm', ['install', '--prefix', here, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
}
const { serve } = await import('../../tests/browser/server.js');
const { launchProfile, newProfileDir } = await import('../../tests/browser/chromium.js');

const N = Number(process.env.PMAP_TABS_N ?? 2000);
const PROP = Number(process.env.PMAP_TABS_PROP ?? 300);
const KINDS = (process.env.PMAP_TABS_KINDS ?? 'opfs,indexeddb,sqlite').split(',');
const JOIN_N = Number(process.env.PMAP_TABS_JOIN_N ?? 100_000);
const WARM = 20;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const fmtRate = (r) => (r >= 1e3 ? `${(r / 1e3).toFixed(1)}k/s` : `${r.toFixed(0)}/s`);
const fmtMs = (ms) => `${ms.toFixed(2)} ms`;

const server = await serve(root);
const profileDir = newProfileDir();
const context = await launchProfile(profileDir);
const call = (page, fn, ...args) => page.evaluate(([f, a]) => window.tabs[f](...a), [fn, args]);
async function newPage() {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/bench/browser/tabs.html`);
  await page.waitForFunction(() => window.tabsReady === true);
  return page;
}

// Latencies (ms) from a poke in `from` until `to` saw it.
async function propagation(from, to, tag, { watch = 'watch', poke = 'poke', args = [] } = {}) {
  const samples = [];
  for (let i = 0; i < WARM + PROP; i++) {
    const key = `prop:${tag}:${i}`;
    await call(to, watch, ...args, key);
    const t = await call(from, poke, ...args, key);
    const tSeen = await call(to, 'seen');
    if (i >= WARM) samples.push(tSeen - t);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

const rows = [];
try {
  const [L, A, B] = [await newPage(), await newPage(), await newPage()];
  console.log(`tabs benchmark: Chromium ${context.browser()?.version() ?? ''}, ${N} awaited sets per row, ${PROP} propagation samples`);
  for (const kind of KINDS) {
    const name = `tabs-bench-${kind}-${Date.now()}`;
    const roles = [await call(L, 'open', kind, name), await call(A, 'open', kind, name), await call(B, 'open', kind, name)];
    if (roles.join() !== 'leader,follower,follower') throw new Error(`${kind}: roles ${roles}`);
    await call(A, 'sets', 'warm', 200);
    const leaderMs = await call(L, 'sets', 'L', N);
    const followerMs = await call(A, 'sets', 'A', N);
    const idbMs = await call(A, 'idbKeyvalSets', `${kind}-A`, N);
    const fromFollower = await propagation(A, B, `${kind}-AB`);
    const fromLeader = await propagation(L, B, `${kind}-LB`);
    rows.push({ kind, leader: N / (leaderMs / 1000), follower: N / (followerMs / 1000), idb: N / (idbMs / 1000), fromFollower, fromLeader });
    for (const p of [L, A, B]) await call(p, 'close');
  }
  // Join: L holds JOIN_N entries; a new page opens the store and iterates
  // it. Then, for comparison, the same page opens it alone (L closed).
  const joins = [];
  for (const kind of KINDS) {
    const name = `tabs-join-${kind}-${Date.now()}`;
    await call(L, 'open', kind, name);
    await call(L, 'fill', JOIN_N);
    const J = await newPage();
    const joined = await call(J, 'join', kind, name);
    await call(J, 'close');
    await call(L, 'close');
    const alone = await call(J, 'join', kind, name);
    await call(J, 'close');
    await J.close();
    for (const r of [joined, alone]) if (r.count !== JOIN_N) throw new Error(`${kind}: a joining page iterated ${r.count} of ${JOIN_N}`);
    if (joined.role !== 'follower' || alone.role !== 'leader') throw new Error(`${kind}: roles ${joined.role}, ${alone.role}`);
    joins.push({ kind, joined: joined.ms, alone: alone.ms });
  }
  await call(L, 'echo', 'tabs-bench-echo');
  const floorMs = await call(A, 'pingPong', 'tabs-bench-echo', N);
  const floorIdbMs = await call(A, 'idbKeyvalSets', 'floor', N);
  await call(L, 'relay', 'tabs-bench-relay');
  const relayFloor = await propagation(A, B, 'relay', {
    watch: 'watchRelay', poke: 'pokeRelay', args: ['tabs-bench-relay'],
  });
  const dexieName = `tabs-bench-dexie-${Date.now()}`;
  await call(A, 'openDexie', dexieName);
  await call(B, 'openDexie', dexieName);
  const dexie = await propagation(A, B, 'dexie', { watch: 'watchDexie', poke: 'pokeDexie' });
  await call(A, 'close');
  await call(B, 'close');

  console.log('');
  console.log('| backend | leader awaited sets/s | follower awaited sets/s | idb-keyval sets/s (follower page) | follower / idb-keyval | propagation follower → follower p50 | p99 | leader → follower p50 | p99 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.kind} | ${fmtRate(r.leader)} | ${fmtRate(r.follower)} | ${fmtRate(r.idb)} | ${(r.follower / r.idb).toFixed(1)}x | ${fmtMs(r.fromFollower.p50)} | ${fmtMs(r.fromFollower.p99)} | ${fmtMs(r.fromLeader.p50)} | ${fmtMs(r.fromLeader.p99)} |`);
  }
  const floorRate = N / (floorMs / 1000);
  console.log(`BroadcastChannel floor (a round trip to a page that echoes, the least a follower's awaited set can cost): ${fmtRate(floorRate)}; idb-keyval in the same page right after: ${fmtRate(N / (floorIdbMs / 1000))}; floor / idb-keyval ${(floorRate / (N / (floorIdbMs / 1000))).toFixed(1)}x (the issue's target for ours is 10x)`);
  console.log('');
  console.log(`Dexie liveQuery across tabs (put in A until B's liveQuery emits): p50 ${fmtMs(dexie.p50)}, p99 ${fmtMs(dexie.p99)}`);
  console.log(`Propagation floor (A posts, L re-posts, B receives: two hops on a channel, no store): p50 ${fmtMs(relayFloor.p50)}, p99 ${fmtMs(relayFloor.p99)}; Dexie p50 / floor p50 ${(dexie.p50 / relayFloor.p50).toFixed(1)}x`);
  for (const r of rows) {
    console.log(`${r.kind}: Dexie p50 / ours (follower → follower) p50: ${(dexie.p50 / r.fromFollower.p50).toFixed(1)}x; (leader → follower) ${(dexie.p50 / r.fromLeader.p50).toFixed(1)}x`);
  }
  console.log('');
  for (const j of joins) {
    console.log(`${j.kind}: a page joins a store of ${JOIN_N} entries held by a leader and iterates it in ${j.joined.toFixed(0)} ms; opening it alone takes ${j.alone.toFixed(0)} ms (join / alone ${(j.joined / j.alone).toFixed(2)}x)`);
  }
} finally {
  await context.close();
  await server.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
