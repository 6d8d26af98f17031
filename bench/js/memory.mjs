#!/usr/bin/env node
// Where the memory of an open store goes, in Node: builds a store of
// Debian package index records (deterministic, ~1 KB of JSON each) and, in
// a fresh process, reports RSS, the V8 heap, external memory (of which
// ArrayBuffers) and the WebAssembly memory of the cores after each phase:
// open, a full iteration, a second one, close() with the map still held,
// and the map dropped. A program, not a test:
//
//   node bench/js/memory.mjs
//   PMAP_MEM_MB=55 PMAP_MEM_REPS=3 node bench/js/memory.mjs
//
// Environment:
//   PMAP_MEM_MB     size of the store's log in MB (default 55)
//   PMAP_MEM_REPS   measuring processes, medians reported (default 3)
//   PMAP_BENCH_DIR  where the temporary directory goes (default /var/tmp)
//   PMAP_BENCH_JS   path of another build's index.js to measure instead of ../../js/index.js
//
// Each phase is measured after two global.gc() calls and a turn of the
// event loop. Results and discussion: docs/BENCHMARKS.md, "Memory".

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intEnv, rng } from './bench_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const MB = 1e6;
const PMAP_JS = env.PMAP_BENCH_JS ? path.resolve(env.PMAP_BENCH_JS) : path.join(here, '../../js/index.js');


const SYLLABLES = ['lib', 'gtk', 'py', 'x', 'perl', 'font', 'qt', 'node', 'ruby', 'golang', 'data', 'core', 'util', 'net',
  'ssl', 'xml', 'json', 'http', 'img', 'audio', 'video', 'db', 'sql', 'doc', 'dev', 'common', 'tools', 'bin'];
const WORDS = ('the a of and for to with library package provides support files this is tool utility module command '
  + 'line interface data format shared development headers static documentation runtime plugin server client '
  + 'network system configuration parser extension bindings python perl ruby javascript graphical desktop').split(' ');
const SECTIONS = ['libs', 'devel', 'utils', 'python', 'perl', 'net', 'doc', 'x11', 'web', 'admin', 'fonts', 'sound'];
const ARCHS = ['amd64', 'all', 'arm64', 'i386'];

// One record of a Debian "Packages" index, as JSON; i makes the name unique.
function packageRecord(i, r) {
  const pick = (list) => list[(r() * list.length) | 0];
  const hex = (n) => {
    let s = '';
    for (let k = 0; k < n; k++) s += ((r() * 16) | 0).toString(16);
    return s;
  };
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const name = `${pick(SYLLABLES)}${pick(SYLLABLES)}-${i.toString(36)}`;
  const version = `${1 + ((r() * 9) | 0)}.${(r() * 30) | 0}.${(r() * 10) | 0}-${1 + ((r() * 5) | 0)}`;
  const arch = pick(ARCHS);
  const depends = Array.from({ length: (r() * 8) | 0 }, () => `${pick(SYLLABLES)}${pick(SYLLABLES)} (>= ${(r() * 5) | 0}.${(r() * 20) | 0})`);
  return {
    Package: name,
    Version: version,
    Architecture: arch,
    Maintainer: `${words(2)} <${name}@packages.debian.org>`,
    'Installed-Size': (r() * 50000) | 0,
    Depends: depends,
    Section: pick(SECTIONS),
    Priority: r() < 0.9 ? 'optional' : 'important',
    Homepage: `https://${name}.example.org/`,
    Description: words(6),
    'Description-long': words(20 + ((r() * 80) | 0)),
    'Description-md5': hex(32),
    Tag: Array.from({ length: (r() * 6) | 0 }, () => `${pick(SECTIONS)}::${pick(WORDS)}`),
    Filename: `pool/main/${name[0]}/${name}/${name}_${version}_${arch}.deb`,
    Size: (r() * 5e6) | 0,
    SHA256: hex(64),
  };
}

async function build(file, targetBytes) {
  const { PersistentMap } = await import(pathToFileURL(PMAP_JS).href);
  const r = rng(2024);
  const map = await PersistentMap.open(file);
  let i = 0;
  while (fs.statSync(file).size < targetBytes) {
    const batch = [];
    for (let j = 0; j < 1000; j++, i++) batch.push([`deb:${i.toString(36).padStart(5, '0')}`, packageRecord(i, r)]);
    await map.setMany(batch);
  }
  await map.close();
  return i;
}

// ---- the measuring process ----

// The WebAssembly memories of every instance created, held weakly.
const memories = [];
function watchWasm() {
  const keep = (result) => {
    const instance = result.instance ?? result;
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WebAssembly.Memory) memories.push(new WeakRef(value));
    }
    return result;
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (...args) => instantiate.apply(WebAssembly, args).then(keep);
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (...args) {
    return keep(new Instance(...args));
  };
  WebAssembly.Instance.prototype = Instance.prototype;
}

function wasmBytes() {
  let total = 0;
  for (const ref of memories) total += ref.deref()?.buffer.byteLength ?? 0;
  return total;
}

async function settle() {
  for (let k = 0; k < 2; k++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function sample(phase) {
  await settle();
  const m = process.memoryUsage();
  return { phase, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, wasm: wasmBytes() };
}

async function measure(file) {
  watchWasm();
  const { PersistentMap } = await import(pathToFileURL(PMAP_JS).href);
  const out = [await sample('loaded')];
  let t = performance.now();
  let map = await PersistentMap.open(file);
  const openMs = performance.now() - t;
  out.push(await sample('open'));
  const iterate = () => {
    let n = 0;
    let bytes = 0;
    for (const [key, value] of map) {
      n++;
      bytes += key.length + value.Package.length;
    }
    if (n !== map.size || bytes === 0) throw new Error('iteration is wrong');
  };
  t = performance.now();
  iterate();
  const iterateMs = performance.now() - t;
  out.push(await sample('iterated'));
  iterate();
  out.push(await sample('iterated twice'));
  t = performance.now();
  await map.close();
  const closeMs = performance.now() - t;
  if (map.get('deb:00000')?.Package === undefined) throw new Error('no reads after close');
  out.push(await sample('closed (held)'));
  map = null;
  out.push(await sample('closed (dropped)'));
  process.stdout.write(JSON.stringify({ samples: out, openMs, iterateMs, closeMs }));
}

// ---- the program ----

async function main() {
  const mb = intEnv('PMAP_MEM_MB', 55);
  const reps = intEnv('PMAP_MEM_REPS', 3);
  const dir = fs.mkdtempSync(path.join(env.PMAP_BENCH_DIR || '/var/tmp', 'pmap-memory.'));
  try {
    const file = path.join(dir, 'store.pmap');
    const entries = await build(file, mb * MB);
    const logBytes = fs.statSync(file).size;
    console.log(`persistent-map memory, node ${process.version}; ${path.relative(process.cwd(), PMAP_JS) || PMAP_JS}`);
    console.log(`store: ${entries} Debian package records, log ${(logBytes / MB).toFixed(1)} MB (${(logBytes / entries).toFixed(0)} B/entry)`);
    const runs = [];
    for (let k = 0; k < reps; k++) {
      const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--measure', file],
        { encoding: 'utf8', env, maxBuffer: 1 << 24 });
      if (child.status !== 0) throw new Error(`measuring process failed:\n${child.stderr}`);
      runs.push(JSON.parse(child.stdout));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const range = (xs) => `${(Math.min(...xs) / MB).toFixed(0)}–${(Math.max(...xs) / MB).toFixed(0)}`;
    const cols = ['rss', 'heapUsed', 'external', 'arrayBuffers', 'wasm'];
    console.log(`medians of ${reps} processes, MB (RSS range in brackets; ×: RSS / log size)`);
    console.log(`| phase | RSS | × log | V8 heap used | external | of which ArrayBuffers | WebAssembly memory |`);
    console.log('|---|---|---|---|---|---|---|');
    runs[0].samples.forEach((s0, i) => {
      const v = Object.fromEntries(cols.map((c) => [c, runs.map((r) => r.samples[i][c])]));
      const m = Object.fromEntries(cols.map((c) => [c, median(v[c])]));
      console.log(`| ${s0.phase} | ${(m.rss / MB).toFixed(0)} (${range(v.rss)}) | ${(m.rss / logBytes).toFixed(2)} | ` +
        `${(m.heapUsed / MB).toFixed(0)} | ${(m.external / MB).toFixed(0)} | ${(m.arrayBuffers / MB).toFixed(0)} | ${(m.wasm / MB).toFixed(0)} |`);
    });
    const ms = (k) => `${median(runs.map((r) => r[k])).toFixed(0)} ms (${Math.min(...runs.map((r) => r[k])).toFixed(0)}–${Math.max(...runs.map((r) => r[k])).toFixed(0)})`;
    console.log(`open ${ms('openMs')}, first iteration ${ms('iterateMs')}, close ${ms('closeMs')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await measure(process.argv[3]);
else await main();
