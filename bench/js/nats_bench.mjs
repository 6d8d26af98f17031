#!/usr/bin/env node
// One store shared by servers through NATS JetStream (persistent-map/nats)
// against the peers a Node server would otherwise use for shared state:
// a NATS KV bucket on the same cluster, and Redis. A program, not a test:
//
//   npm run bench:nats        # npm install --prefix bench/js, then node bench/js/nats_bench.mjs
//
// It starts a three-node nats-server cluster on loopback ports (temporary
// directories) and, if Debian's redis-server is installed, a Redis on a
// loopback port (no persistence: its default keeps writes in memory and
// snapshots now and then), and stops them at the end. Everything runs on
// this machine; every figure is measured in this run, peers side by side.
//
// * reads: N keys in a random order. Ours: map.get (local, synchronous);
//   NATS KV: `await kv.get(key)`; Redis: `await redis.get(key)`.
// * writes: W awaited sets of fresh keys, one at a time. Ours: `await
//   map.set` (resolves once the stream acknowledged it and the map applied
//   it); NATS KV: `await kv.put`; Redis: `await redis.set`. The stream and
//   the bucket both have 3 replicas.
// * contended updates: 3 processes (bench/js/nats_worker.mjs), each U
//   `update`s of one counter, all at once; updates per second over the
//   wall time, and whether the counter ends at 3 U.
// * propagation: map A (one process) sets a fresh key; map B (another
//   connection, same process) sees the 'change' event. P samples; p50, p99.
// * join: a store of J entries; a new map opens it until `[...map].length
//   === J`, before and after a compaction (after: the snapshot and the
//   tail, not the history).
//
// Environment: PMAP_NATS_N (reads, default 20000), PMAP_NATS_W (writes,
// 2000), PMAP_NATS_U (updates per process, 300), PMAP_NATS_P (propagation
// samples, 500), PMAP_NATS_J (join entries, 100000).
//
// Results: docs/BENCHMARKS.md, "NATS store (issue 14)".

import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { NatsCluster, haveNatsServer } from '../../tests/js/nats_cluster.js';
import { intEnv, keyOf, rng } from './bench_util.mjs';

// Keys every system takes (a NATS KV key has no ':').
const key = (i) => keyOf(i).replace(':', '_');

const here = path.dirname(fileURLToPath(import.meta.url));
const N = intEnv('PMAP_NATS_N', 20000);
const W = intEnv('PMAP_NATS_W', 2000);
const U = intEnv('PMAP_NATS_U', 300);
const P = intEnv('PMAP_NATS_P', 500);
const J = intEnv('PMAP_NATS_J', 100000);

const now = () => performance.now();
const value = (i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] });
const line = (label, figure) => console.log(`${label.padEnd(46)} ${figure}`);
const perSec = (n, ms) => `${Math.round((n / ms) * 1000).toLocaleString('en')} /s`;
const us = (ms, n) => `${((ms / n) * 1000).toFixed(2)} µs`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function shuffled(n, seed) {
  const r = rng(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const { default: Redis } = await import('ioredis');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pmap-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 3 });
  client.on('error', () => {}); // while it starts; a failed command rejects
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (i === 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    client,
    async stop() {
      client.disconnect();
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ready(servers) {
  const nc = await connect({ servers: servers.split(','), timeout: 1000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    await jsm.streams.add({ name: 'READY', subjects: ['ready'], num_replicas: 3 });
    await jsm.streams.delete('READY');
  } finally {
    await nc.close();
  }
}

async function reads(backend, kv, redis) {
  console.log(`\nreads: ${N.toLocaleString('en')} keys, random order`);
  const map = await PersistentMap.open('reads', { backend });
  for (let i = 0; i < N; i += 2000) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 2000); j++) batch.push([key(j), value(j)]);
    await map.setMany(batch);
  }
  const order = shuffled(N, 7);
  let t = now();
  for (const i of order) if (map.get(key(i)).id !== i) throw new Error('wrong value');
  const ours = now() - t;
  line('persistent-map/nats map.get', `${us(ours, N)} per get`);
  const few = Math.min(N, 2000);
  for (let i = 0; i < few; i++) await kv.put(key(i), JSON.stringify(value(i)));
  t = now();
  for (const i of order.filter((x) => x < few)) if ((await kv.get(key(i))).json().id !== i) throw new Error('kv');
  const kvMs = now() - t;
  line('NATS KV await kv.get', `${us(kvMs, few)} per get  (ours ${(kvMs / few / (ours / N)).toFixed(0)}x faster)`);
  if (redis) {
    for (let i = 0; i < few; i++) await redis.set(key(i), JSON.stringify(value(i)));
    t = now();
    for (const i of order.filter((x) => x < few)) if (JSON.parse(await redis.get(key(i))).id !== i) throw new Error('redis');
    const rMs = now() - t;
    line('Redis await GET', `${us(rMs, few)} per get  (ours ${(rMs / few / (ours / N)).toFixed(0)}x faster)`);
  }
  await map.close();
}

async function writes(backend, kv, redis) {
  console.log(`\nwrites: ${W.toLocaleString('en')} awaited sets of fresh keys, one at a time`);
  const map = await PersistentMap.open('writes', { backend });
  let t = now();
  for (let i = 0; i < W; i++) await map.set(`w${i}`, value(i));
  const ours = now() - t;
  line('persistent-map/nats await map.set', perSec(W, ours));
  t = now();
  for (let i = 0; i < W; i++) await kv.put(`w${i}`, JSON.stringify(value(i)));
  const kvMs = now() - t;
  line('NATS KV await kv.put (R3)', `${perSec(W, kvMs)}  (ours ${(kvMs / ours).toFixed(2)}x)`);
  if (redis) {
    t = now();
    for (let i = 0; i < W; i++) await redis.set(`w${i}`, JSON.stringify(value(i)));
    const rMs = now() - t;
    line('Redis await SET (no persistence)', `${perSec(W, rMs)}  (ours ${(rMs / ours).toFixed(2)}x)`);
  }
  await map.close();
}

async function contended(settings) {
  console.log(`\ncontended updates: 3 processes x ${U} updates of one counter`);
  const workers = [0, 1, 2].map(() => fork(path.join(here, 'nats_worker.mjs'), [JSON.stringify(settings), String(U)]));
  const exited = workers.map((w) => new Promise((r) => w.once('exit', r)));
  const message = (w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await Promise.all(workers.map(message)); // open
  const t = now();
  workers.forEach((w) => w.send('go'));
  const done = await Promise.all(workers.map(message));
  const ms = now() - t;
  await Promise.all(exited);
  const map = await PersistentMap.open('counter', { backend: natsBackend(settings) });
  line('persistent-map/nats update, 3 processes', `${perSec(3 * U, ms)}  (counter ${map.get('n')} of ${3 * U}; fn calls ${done.reduce((n, d) => n + d.calls, 0)})`);
  await map.close();
}

async function propagation(settings) {
  console.log(`\npropagation: set on one map until the other's 'change' event, ${P} samples`);
  const a = await PersistentMap.open('prop', { backend: natsBackend(settings) });
  const b = await PersistentMap.open('prop', { backend: natsBackend(settings) });
  const samples = [];
  for (let i = 0; i < P + 20; i++) {
    const key = `p${i}`;
    const seen = new Promise((resolve) => {
      const on = (e) => {
        if (e.key === key && e.origin === 'remote') {
          b.off('change', on);
          resolve();
        }
      };
      b.on('change', on);
    });
    const t = now();
    a.set(key, i);
    await seen;
    if (i >= 20) samples.push(now() - t);
  }
  samples.sort((x, y) => x - y);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(2);
  line('persistent-map/nats set -> remote change', `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  await Promise.all([a.close(), b.close()]);
}

async function join(settings) {
  console.log(`\njoin: a store of ${J.toLocaleString('en')} entries`);
  const writer = await PersistentMap.open('join', { backend: natsBackend(settings), compaction: { auto: false } });
  for (let i = 0; i < J; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(J, i + 5000); j++) batch.push([key(j), `v${j}`]);
    await writer.setMany(batch);
  }
  const timeJoin = async (size) => {
    const t = now();
    const m = await PersistentMap.open('join', { backend: natsBackend(settings) });
    if ([...m].length !== size) throw new Error('join: wrong size');
    const ms = now() - t;
    await m.close();
    return ms;
  };
  line('open, from the log (no compaction)', `${(await timeJoin(J)).toFixed(0)} ms`);
  await writer.compact();
  await writer.set('tail', 1);
  const after = [];
  for (let i = 0; i < 3; i++) after.push(await timeJoin(J + 1));
  line('open, snapshot + tail (3 joins)', after.map((x) => `${x.toFixed(0)} ms`).join(', '));
  await writer.close();
}

const cluster = new NatsCluster();
let redis = null;
let nc = null;
try {
  if (!haveNatsServer) throw new Error('nats-server is not installed (scripts/setup.sh installs it)');
  await cluster.start(ready);
  const settings = { servers: cluster.servers };
  const backend = natsBackend(settings);
  redis = await startRedis();
  if (redis === null) console.log('redis-server is not installed: the Redis peer is skipped (apt-get install redis-server)');
  nc = await connect({ servers: cluster.servers.split(',') });
  const kv = await new Kvm(nc).create('bench', { replicas: 3 });
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await reads(backend, kv, redis?.client);
  await writes(backend, kv, redis?.client);
  await contended(settings);
  await propagation(settings);
  await join(settings);
} finally {
  await nc?.close();
  await redis?.stop();
  await cluster.stop();
}
