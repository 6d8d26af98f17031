// In-page side of the Chromium benchmark (bench/browser/run.mjs drives it):
// persistent-map (OPFS and IndexedDB backends) side by side with idb-keyval,
// localforage and Dexie, in one page. Every function returns plain numbers
// (milliseconds from performance.now()) for run.mjs to tabulate.
import { PersistentMap, OpfsBackend, IndexedDbBackend, MemoryBackend } from '../../js/browser.js';
import * as kv from './node_modules/idb-keyval/dist/index.js';
import Dexie from './node_modules/dexie/dist/dexie.mjs';

const localforage = window.localforage;
const now = () => performance.now();
let uniq = 0;
const fresh = (tag) => `bench-${tag}-${Date.now().toString(36)}-${uniq++}`;

// ---- workload ----

/** Keys as in the native benchmark: `key_%012d`, 16 bytes. */
export const key = (i) => `key_${String(i).padStart(12, '0')}`;
/** A plain object whose JSON text is ~100 bytes (99–101). */
export function value(i) {
  return { id: i, user: `user-${String(i % 1e6).padStart(6, '0')}`, active: i % 2 === 0, score: (i * 7919) % 100000, tags: ['alpha', 'beta'], note: 'lorem' };
}
const VALUES = [];
function values(n) {
  while (VALUES.length < n) VALUES.push(value(VALUES.length));
  return VALUES;
}
function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}
function shuffled(n, seed = 42) {
  const rand = rng(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rand(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// A backend wrapper that adds up the time each method's promise takes.
function timedBackend(inner, t) {
  const wrap = (m) => async (...args) => {
    const s = now();
    try {
      return await inner[m](...args);
    } finally {
      t[m] = (t[m] ?? 0) + (now() - s);
      t[`${m}Calls`] = (t[`${m}Calls`] ?? 0) + 1;
    }
  };
  const b = { kind: 'log' };
  for (const m of ['open', 'read', 'append', 'truncate', 'sync', 'replace', 'close']) b[m] = wrap(m);
  return b;
}
const BACKENDS = {
  opfs: (name) => new OpfsBackend(name),
  indexeddb: (name) => new IndexedDbBackend(name),
  memory: (name) => new MemoryBackend(name),
};

// ---- contenders: make(name) → { set, get, setMany, readAll, close } ----

function pmap(kind, durability, timing) {
  return async (name) => {
    const backend = timing ? timedBackend(BACKENDS[kind](name), timing) : kind;
    const map = await PersistentMap.open(name, { backend, durability });
    return {
      map,
      set: (k, v) => map.set(k, v),
      get: (k) => map.get(k),
      setMany: (pairs) => map.setMany(pairs),
      close: () => map.close(),
    };
  };
}

// idb-keyval has no durability option: its transactions take the browser's
// default (Chromium ≥ 121: relaxed). For a strict row it is given a custom
// UseStore (the extension point idb-keyval documents) that asks for
// durability 'strict'; otherwise it is its own createStore.
function idbKeyval(durability) {
  return async (name) => {
    let store;
    if (durability === 'strict') {
      const req = indexedDB.open(name);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      const db = await kv.promisifyRequest(req);
      store = (mode, fn) => Promise.resolve(fn(db.transaction('kv', mode, { durability: 'strict' }).objectStore('kv')));
    } else {
      store = kv.createStore(name, 'kv');
    }
    return {
      set: (k, v) => kv.set(k, v, store),
      get: (k) => kv.get(k, store),
      setMany: (pairs) => kv.setMany(pairs, store),
      readAll: async () => (await kv.entries(store)).length,
      close: async () => {},
    };
  };
}

// localforage (IndexedDB driver) has no durability option at all.
async function localForage(name) {
  const lf = localforage.createInstance({ name, storeName: 'kv', driver: localforage.INDEXEDDB });
  await lf.ready();
  return {
    lf,
    set: (k, v) => lf.setItem(k, v),
    get: (k) => lf.getItem(k),
    // localforage has no batch write: fill its object store directly, 10k
    // puts per transaction, the way its IndexedDB driver stores them
    // (value as is, key as the out-of-line key).
    setMany: async (pairs) => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const tx = db.transaction('kv', 'readwrite');
      for (const [k, v] of pairs) tx.objectStore('kv').put(v, k);
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onabort = () => reject(tx.error);
      });
      db.close();
    },
    readAll: async () => {
      let n = 0;
      await lf.iterate(() => {
        n++;
      });
      return n;
    },
    close: async () => {},
  };
}

// Dexie: outbound keys (schema ''), table.put(value, key). Its durability
// is the constructor option chromeTransactionDurability (unset: the
// browser's default, relaxed in Chromium ≥ 121).
function dexie(durability) {
  return async (name) => {
    const db = new Dexie(name, durability === 'strict' ? { chromeTransactionDurability: 'strict' } : {});
    db.version(1).stores({ kv: '' });
    await db.open();
    return {
      db,
      set: (k, v) => db.kv.put(v, k),
      get: (k) => db.kv.get(k),
      setMany: (pairs) => db.kv.bulkPut(pairs.map((p) => p[1]), pairs.map((p) => p[0])),
      readAll: async () => (await db.kv.toArray()).length,
      close: async () => db.close(),
    };
  };
}

const CONTENDERS = {
  'pmap-opfs-relaxed': pmap('opfs', 'relaxed'),
  'pmap-opfs-strict': pmap('opfs', 'strict'),
  'pmap-indexeddb-relaxed': pmap('indexeddb', 'relaxed'),
  'pmap-indexeddb-strict': pmap('indexeddb', 'strict'),
  'pmap-memory': pmap('memory', 'relaxed'),
  'idb-keyval': idbKeyval('default'),
  'idb-keyval-strict': idbKeyval('strict'),
  localforage: localForage,
  dexie: dexie('default'),
  'dexie-strict': dexie('strict'),
};

// ---- measurements ----

const WARMUP = 200;

/**
 * `n` awaited sets, one after another, into a fresh store; `reps` fresh
 * stores. With `profile`, the backend's append/sync time is added up too.
 */
async function sets(id, n, reps = 1, { profile = false } = {}) {
  const vals = values(n);
  const ms = [];
  const timings = [];
  for (let r = 0; r < reps; r++) {
    const timing = profile ? {} : null;
    const make = profile ? pmap(id.split('-')[1], id.split('-')[2] ?? 'relaxed', timing) : CONTENDERS[id];
    const s = await make(fresh(id));
    for (let i = 0; i < WARMUP; i++) await s.set(`warm_${i}`, vals[i]);
    for (const k of Object.keys(timing ?? {})) delete timing[k];
    const t0 = now();
    for (let i = 0; i < n; i++) await s.set(key(i), vals[i]);
    ms.push(now() - t0);
    if (timing) timings.push({ ...timing });
    await s.close();
  }
  return { ms, timings };
}

/** `n` sets issued in one tick, then one await of them all (group commit). */
async function burst(id, n, reps = 1) {
  const vals = values(n);
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const s = await CONTENDERS[id](fresh(id));
    for (let i = 0; i < WARMUP; i++) await s.set(`warm_${i}`, vals[i]);
    const t0 = now();
    const all = [];
    for (let i = 0; i < n; i++) all.push(s.set(key(i), vals[i]));
    await Promise.all(all);
    ms.push(now() - t0);
    await s.close();
  }
  return { ms };
}

/** The synchronous part of `n` map.set calls (not awaited), memory backend. */
async function setCallCost(n, reps = 3) {
  const vals = values(n);
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const map = await PersistentMap.open(fresh('callcost'), { backend: 'memory' });
    const all = new Array(n);
    const t0 = now();
    for (let i = 0; i < n; i++) all[i] = map.set(key(i), vals[i]);
    ms.push(now() - t0);
    await Promise.all(all);
    await map.close();
  }
  return { ms };
}

/** A store of `n` entries, then `n` gets in shuffled key order, `reps` times. */
async function gets(id, n, reps = 3) {
  const vals = values(n);
  const s = await CONTENDERS[id](fresh(`${id}-gets`));
  for (let b = 0; b < n; b += 10000) {
    const pairs = [];
    for (let i = b; i < Math.min(n, b + 10000); i++) pairs.push([key(i), vals[i]]);
    await s.setMany(pairs);
  }
  const order = shuffled(n);
  const keys = order.map(key);
  let sink = 0;
  const sync = id.startsWith('pmap');
  // Warm-up: a whole untimed pass for the synchronous get (so that the
  // optimising compiler has seen it; 1,000 calls were not enough: the first
  // store measured came out up to 2x slower than the second), 1,000 awaited
  // gets for the others.
  const warm = sync ? n : 1000;
  for (let i = 0; i < warm; i++) sink += sync ? s.get(keys[i]).id : (await s.get(keys[i])).id;
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    if (sync) {
      for (let i = 0; i < n; i++) sink += s.get(keys[i]).id;
    } else {
      for (let i = 0; i < n; i++) sink += (await s.get(keys[i])).id;
    }
    ms.push(now() - t0);
  }
  const expected = (reps * (n * (n - 1)) / 2) + order.slice(0, warm).reduce((a, b) => a + b, 0);
  await s.close();
  return { ms, ok: sink === expected };
}

/**
 * A persistent-map store of `n` entries written with setMany in batches of
 * `batch`, then closed. Resolves to its name and log size.
 */
async function createBig(kind, n, batch = 10000) {
  const vals = values(n);
  const name = fresh(`${kind}-open`);
  const map = await PersistentMap.open(name, { backend: kind });
  const t0 = now();
  for (let b = 0; b < n; b += batch) {
    const pairs = [];
    for (let i = b; i < Math.min(n, b + batch); i++) pairs.push([key(i), vals[i]]);
    await map.setMany(pairs);
  }
  const createMs = now() - t0;
  const logBytes = map.stats().logBytes;
  await map.close();
  return { name, createMs, logBytes };
}

/**
 * `reps` timed PersistentMap.open calls of the store `name` (from the call
 * to the resolved map, which then holds all `n` entries), then one more
 * through a timing wrapper that splits backend.open() (lock, worker or
 * connection, read) from the rest (WebAssembly recovery + building the JS
 * Map of entries).
 */
async function openPmap(kind, name, n, reps = 3) {
  const ms = [];
  let ok = true;
  for (let r = 0; r < reps; r++) {
    const s = now();
    const map = await PersistentMap.open(name, { backend: kind });
    ms.push(now() - s);
    ok &&= map.size === n && map.get(key(n - 1)).id === n - 1;
    await map.close();
  }
  const timing = {};
  const s = now();
  const map = await PersistentMap.open(name, { backend: timedBackend(BACKENDS[kind](name), timing) });
  const split = { total: now() - s, backendOpen: timing.open };
  await map.close();
  return { ms, ok, split };
}

/** A peer's store of `n` entries (batches of 10k); time to read them all back from a fresh connection. */
async function readAllBig(id, n, reps = 3) {
  const vals = values(n);
  const name = fresh(`${id}-all`);
  const s = await CONTENDERS[id](name);
  const t0 = now();
  for (let b = 0; b < n; b += 10000) {
    const pairs = [];
    for (let i = b; i < Math.min(n, b + 10000); i++) pairs.push([key(i), vals[i]]);
    await s.setMany(pairs);
  }
  const createMs = now() - t0;
  await s.close();
  const ms = [];
  let ok = true;
  for (let r = 0; r < reps; r++) {
    const st = now();
    const c = await CONTENDERS[id](name); // a fresh connection, as after a reload
    const count = await c.readAll();
    ms.push(now() - st);
    ok &&= count === n;
    await c.close();
  }
  return { ms, ok, createMs };
}

// ---- what an awaited write followed at once by a reload keeps ----

/**
 * One trial: opens `name` (waiting for the lock the page before dropped),
 * makes `k` awaited sets `t<i>:<j>` and, as soon as the last resolves,
 * reloads the page, without close() or flush().
 */
async function reloadTrial(kind, name, durability, i, k) {
  const map = await PersistentMap.open(name, { backend: kind, durability, wait: true });
  for (let j = 0; j < k; j++) await map.set(`t${i}:${j}`, j);
  location.reload();
}

/** For each of `n` trials of `k` sets, how many were lost (all from the end, or it is a bug). */
async function reloadSurvivors(kind, name, n, k) {
  const map = await PersistentMap.open(name, { backend: kind, wait: true });
  const lost = [];
  let prefix = true;
  for (let i = 0; i < n; i++) {
    let kept = 0;
    while (kept < k && map.has(`t${i}:${kept}`)) kept++;
    for (let j = kept; j < k; j++) prefix &&= !map.has(`t${i}:${j}`);
    lost.push(k - kept);
  }
  await map.close();
  return { lost, prefix };
}

// ---- floors, for the profile ----

// A module worker that answers at once (for the cost of starting a worker).
const url2 = () => URL.createObjectURL(new Blob(['onmessage = (e) => postMessage(e.data);'], { type: 'text/javascript' }));

const FLOOR_WORKER = `
let handle = null, size = 0;
onmessage = async (e) => {
  const m = e.data;
  if (m.op === 'open') {
    const root = await navigator.storage.getDirectory();
    const f = await root.getFileHandle(m.name, { create: true });
    handle = await f.createSyncAccessHandle();
    size = handle.getSize();
  } else if (m.op === 'write') {
    size += handle.write(m.bytes, { at: size });
    if (m.sync) handle.flush();
  } else if (m.op === 'close') {
    handle.close();
  } else if (m.op === 'readLog') {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('persistent-map');
    const h = await (await dir.getFileHandle(m.file)).createSyncAccessHandle();
    const bytes = new Uint8Array(h.getSize());
    h.read(bytes, { at: 0 });
    h.close();
    postMessage({ id: m.id, bytes }, [bytes.buffer]);
    return;
  }
  postMessage(m.id);
};`;

/**
 * What one awaited write costs below persistent-map: a postMessage round
 * trip to a worker (echo), the same plus a sync-access-handle write of
 * `bytes` bytes (transferred, as OpfsBackend does), with and without
 * flush(); and one IndexedDB readwrite transaction with one put, relaxed
 * and strict, with no library.
 */
async function floors(n = 10000, bytes = 133, logName = null) {
  const url = URL.createObjectURL(new Blob([FLOOR_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url);
  let id = 0;
  const pending = new Map();
  w.onmessage = (e) => {
    const id = typeof e.data === 'number' ? e.data : e.data.id;
    pending.get(id)(e.data);
    pending.delete(id);
  };
  const call = (msg, transfer = []) => new Promise((resolve) => {
    pending.set(++id, resolve);
    w.postMessage({ ...msg, id }, transfer);
  });
  const out = {};
  const time = async (label, count, fn) => {
    for (let i = 0; i < 200; i++) await fn(i);
    const t0 = now();
    for (let i = 0; i < count; i++) await fn(i);
    out[label] = (now() - t0) / count;
  };
  await call({ op: 'open', name: fresh('floor') });
  await time('postMessageRoundTrip', n, () => call({ op: 'echo' }));
  await time('opfsWriteRoundTrip', n, () => {
    const b = new Uint8Array(bytes);
    return call({ op: 'write', bytes: b, sync: false }, [b.buffer]);
  });
  await time('opfsWriteFlushRoundTrip', Math.min(n, 2000), () => {
    const b = new Uint8Array(bytes);
    return call({ op: 'write', bytes: b, sync: true }, [b.buffer]);
  });
  await call({ op: 'close' });
  if (logName) {
    // Reading the log of the big OPFS store in a running worker, and
    // handing it to the page (transferred).
    const t = [];
    for (let r = 0; r < 3; r++) {
      const s = now();
      await call({ op: 'readLog', file: `${logName}.0.pmap` });
      t.push(now() - s);
    }
    out.opfsReadLogMs = t.sort((a, b) => a - b)[1];
  }
  w.terminate();
  URL.revokeObjectURL(url);
  // Starting a module worker and getting its first answer.
  const spawn = [];
  for (let r = 0; r < 5; r++) {
    const s = now();
    const w2 = new Worker(url2(), { type: 'module' });
    await new Promise((resolve) => {
      w2.onmessage = resolve;
      w2.postMessage(0);
    });
    spawn.push(now() - s);
    w2.terminate();
  }
  out.workerSpawnMs = spawn.sort((a, b) => a - b)[2];

  const req = indexedDB.open(fresh('floor-idb'));
  req.onupgradeneeded = () => req.result.createObjectStore('kv');
  const db = await kv.promisifyRequest(req);
  const put = (durability) => (i) => {
    const tx = db.transaction('kv', 'readwrite', { durability });
    tx.objectStore('kv').put(new Uint8Array(bytes).buffer, i);
    return kv.promisifyRequest(tx);
  };
  await time('idbTxRelaxed', n, put('relaxed'));
  await time('idbTxDefault', n, put('default'));
  await time('idbTxStrict', Math.min(n, 2000), put('strict'));
  db.close();
  return out;
}

async function env() {
  const tx = await (async () => {
    const req = indexedDB.open(fresh('env'));
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    const db = await kv.promisifyRequest(req);
    const d = db.transaction('kv', 'readwrite').durability;
    db.close();
    return d;
  })();
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    timerResolutionMs: (() => {
      let min = Infinity;
      let last = now();
      for (let i = 0; i < 1e6 && min > 0.001; i++) {
        const t = now();
        if (t !== last) {
          min = Math.min(min, t - last);
          last = t;
        }
      }
      return min;
    })(),
    defaultIdbDurability: tx,
    opfs: await OpfsBackend.available(),
    jsonBytes: JSON.stringify(value(12345)).length,
    dexie: Dexie.semVer,
    localforage: localforage.INDEXEDDB && localforage.driver(),
  };
}

window.bench = { reloadTrial, reloadSurvivors, env, sets, burst, setCallCost, gets, createBig, openPmap, readAllBig, floors };
window.benchReady = true;
