// The cost of values: plain JSON objects (~100 bytes) through set and get,
// against a JS Map holding their JSON text (JSON.stringify on set,
// JSON.parse on get); and values rich in Date, Map, Set and undefined
// against structuredClone and a JSON round trip (which loses their types)
// of the same values. Every figure is a ratio to a baseline measured in the
// same run (medians of PMAP_BENCH_ROUNDS rounds, with their range).
//
//   node bench/js/values.mjs
//   PMAP_JS_DIR=<a copy of js/>   the library to measure (default: this checkout's)
//   PMAP_JS_DIR_BEFORE=<a copy>   also: the default codec's encode and decode of the
//                                 plain values, this library's against that one's, in
//                                 alternating rounds of one process
//   PMAP_BENCH_N                  entries (default 20000)
//   PMAP_BENCH_ROUNDS             rounds (default 7)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { intEnv, rng } from './bench_util.mjs';

const jsDir = process.env.PMAP_JS_DIR ?? new URL('../../js', import.meta.url).pathname;
const { PersistentMap } = await import(pathToFileURL(path.join(jsDir, 'index.js')).href);
const N = intEnv('PMAP_BENCH_N', 20000);
const ROUNDS = intEnv('PMAP_BENCH_ROUNDS', 7);
const random = rng(16);

const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
const pick = () => words[Math.floor(random() * words.length)];
/** A plain JSON object of about 100 bytes of JSON text. */
const plain = (i) => ({ id: i, name: `${pick()} ${pick()}`, email: `user${i}@example.com`, active: random() < 0.5, score: Math.round(random() * 1e4) / 100, tags: [pick(), pick()] });
/** A value holding Dates, a Map, a Set and an undefined member. */
const rich = (i) => ({ id: i, created: new Date(1.7e12 + i * 1000), due: random() < 0.5 ? undefined : new Date(1.8e12 + i), tags: new Set([pick(), pick()]), counts: new Map([[pick(), i], [pick(), i + 1]]) });

const keys = Array.from({ length: N }, (_, i) => `key:${i}`);
const plains = keys.map((_, i) => plain(i));
const riches = keys.map((_, i) => rich(i));

const now = () => performance.now();
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function timeMapSet(dir, values) {
  const map = await PersistentMap.open(path.join(dir, `s${Math.random()}.pmap`));
  const t = now();
  const ps = new Array(N);
  for (let i = 0; i < N; i++) ps[i] = map.set(keys[i], values[i]);
  await Promise.all(ps);
  const ms = now() - t;
  await map.close();
  return ms;
}

async function timeMapGet(dir, values) {
  const file = path.join(dir, `g${Math.random()}.pmap`);
  let map = await PersistentMap.open(file);
  await map.setMany(keys.map((k, i) => [k, values[i]]));
  await map.close();
  map = await PersistentMap.open(file);
  for (let i = 0; i < N; i++) map.get(keys[i]); // fills the read cache
  const t = now();
  let acc = 0;
  for (let i = 0; i < N; i++) acc += map.get(keys[i]).id;
  const ms = now() - t;
  await map.close();
  if (acc !== (N * (N - 1)) / 2) throw new Error('bad read');
  return ms;
}

function timeJsonMapSet(values) {
  const m = new Map();
  const t = now();
  for (let i = 0; i < N; i++) m.set(keys[i], JSON.stringify(values[i]));
  return [now() - t, m];
}

function timeJsonMapGet(m) {
  const t = now();
  let acc = 0;
  for (let i = 0; i < N; i++) acc += JSON.parse(m.get(keys[i])).id;
  if (acc !== (N * (N - 1)) / 2) throw new Error('bad read');
  return now() - t;
}

function timeRoundTrip(values, trip) {
  const t = now();
  let acc = 0;
  for (let i = 0; i < N; i++) acc += trip(values[i]).id;
  if (acc !== (N * (N - 1)) / 2) throw new Error('bad round trip');
  return now() - t;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-values-bench-'));
const rows = {};
const add = (name, ms) => (rows[name] ??= []).push(ms);
try {
  for (let r = 0; r < ROUNDS; r++) {
    const [jsonSet, m] = timeJsonMapSet(plains);
    add('Map + JSON.stringify (plain)', jsonSet);
    add('Map + JSON.parse (plain)', timeJsonMapGet(m));
    add('set (plain)', await timeMapSet(dir, plains));
    add('get (plain)', await timeMapGet(dir, plains));
    add('structuredClone (rich)', timeRoundTrip(riches, (v) => structuredClone(v)));
    add('JSON round trip (rich, types lost)', timeRoundTrip(riches, (v) => JSON.parse(JSON.stringify(v))));
    let richOk = true;
    try {
      add('set (rich)', await timeMapSet(dir, riches));
      add('get (rich)', await timeMapGet(dir, riches));
    } catch (err) {
      richOk = false;
      if (r === 0) console.log(`rich values: ${err.message}`);
    }
    if (!richOk) continue;
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.env.PMAP_JS_DIR_BEFORE) {
  const load = (d) => import(pathToFileURL(path.join(d, 'codec.js')).href).then((m) => m.jsonCodec);
  const codecs = { after: await load(jsDir), before: await load(process.env.PMAP_JS_DIR_BEFORE) };
  for (let r = 0; r < ROUNDS * 3; r++) {
    for (const name of r % 2 ? ['after', 'before'] : ['before', 'after']) {
      const codec = codecs[name];
      const stored = new Array(N);
      let t = now();
      for (let i = 0; i < N; i++) stored[i] = codec.encode(plains[i]);
      add(`encode (plain, ${name})`, now() - t);
      t = now();
      let acc = 0;
      for (let i = 0; i < N; i++) acc += codec.decode(stored[i]).id;
      add(`decode (plain, ${name})`, now() - t);
      if (acc !== (N * (N - 1)) / 2) throw new Error('bad decode');
    }
  }
}

const perOp = (ms) => (ms * 1e6) / N;
const line = (name, base) => {
  const xs = rows[name];
  if (!xs) return;
  const ns = xs.map(perOp);
  let out = `${name.padEnd(36)} ${median(ns).toFixed(0).padStart(6)} ns/op  (${Math.min(...ns).toFixed(0)}–${Math.max(...ns).toFixed(0)})`;
  if (base) {
    const ratios = xs.map((x, i) => x / rows[base][i]);
    out += `  ${median(ratios).toFixed(2)}× ${base} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
  }
  console.log(out);
};
console.log(`N = ${N}, ${ROUNDS} rounds, library ${jsDir}`);
line('Map + JSON.stringify (plain)');
line('set (plain)', 'Map + JSON.stringify (plain)');
line('Map + JSON.parse (plain)');
line('get (plain)', 'Map + JSON.parse (plain)');
line('structuredClone (rich)');
line('JSON round trip (rich, types lost)', 'structuredClone (rich)');
line('set (rich)', 'structuredClone (rich)');
line('get (rich)', 'structuredClone (rich)');
line('get (rich)', 'JSON round trip (rich, types lost)');
line('encode (plain, before)');
line('encode (plain, after)', 'encode (plain, before)');
line('decode (plain, before)');
line('decode (plain, after)', 'decode (plain, before)');
