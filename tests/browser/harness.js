// In-page side of the Chromium tests (tests/js/browser.test.js drives it):
// scenarios that run against the real OPFS and IndexedDB of the page and
// return plain data for the Node side to check.
import { PersistentMap, OpfsBackend, IndexedDbBackend } from '../../js/browser.js';
import { SqliteBackend } from '../../js/backends/sqlite/sqlite_browser.js';
import { logWriter, replay } from '../js/log_runs.js';

const destroyers = { opfs: OpfsBackend.destroy, indexeddb: IndexedDbBackend.destroy, sqlite: SqliteBackend.destroy };
const makers = {
  opfs: (name, options) => new OpfsBackend(name, options),
  indexeddb: (name, options) => new IndexedDbBackend(name, options),
  sqlite: (name, options) => new SqliteBackend(name, options),
};

// Values as plain data, Uint8Array marked, so that results compare exactly.
function plain(v) {
  return v instanceof Uint8Array ? { u8: [...v] } : v;
}
function contents(map) {
  return [...map].map(([k, v]) => [k, plain(v)]);
}
function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

/** The interface of a log backend, method by method, on raw bytes. */
async function logInterface(kind, name, check) {
  let b = makers[kind](name);
  check((await b.open()).length === 0, 'a new store opens empty');
  await b.append(new Uint8Array([1, 2, 3]), { sync: false });
  await b.append(new Uint8Array([4]), { sync: true });
  check(same([...(await b.read())], [1, 2, 3, 4]), 'read returns what was appended');
  const second = await makers[kind](name).open().then(() => 'opened', (e) => e.code);
  check(second === 'LOCKED', `a second opener gets LOCKED (got ${second})`);
  await b.truncate(2);
  check(same([...(await b.read())], [1, 2]), 'truncate cuts the log');
  await b.replace(new Uint8Array([9, 8, 7]));
  await b.sync();
  check(same([...(await b.read())], [9, 8, 7]), 'replace replaces the log');
  await b.close();
  b = makers[kind](name);
  check(same([...(await b.open())], [9, 8, 7]), 'the replaced log survives a reopen');
  await b.close();
  await destroyers[kind](name);
}

/** The interface of a table backend (rows, not bytes): real log runs in, replayed entries out. */
async function tableInterface(kind, name, check) {
  const w = await logWriter();
  const entries = async (log) => JSON.stringify((await replay(log)).entries);
  let b = makers[kind](name);
  check((await b.open()).length === 0, 'a new store opens empty');
  await b.append(w.header(), { sync: true });
  await b.append(w.commit([['set', 'a', '1'], ['set', 'b', '2'], ['set', 'c', '3']]));
  await b.append(w.commit([['set', 'a', 'x'], ['delete', 'b'], ['set', 'b', 'y']]), { sync: true });
  check(await entries(await b.read()) === '[["a","x"],["c","3"],["b","y"]]', 'read replays the runs in insertion order');
  const refused = await b.append(new Uint8Array([1, 2, 3])).then(() => 'appended', (e) => e.code);
  check(refused === 'INVALID', `bytes that are not log records are refused (got ${refused})`);
  const second = await makers[kind](name).open().then(() => 'opened', (e) => e.code);
  check(second === 'LOCKED', `a second opener gets LOCKED (got ${second})`);
  await b.replace(w.snapshot());
  await b.sync();
  const replaced = await replay(await b.read());
  check(JSON.stringify(replaced.entries) === '[["a","x"],["c","3"],["b","y"]]' && replaced.generation === 1, 'replace keeps the rows and sets the generation');
  await b.close();
  b = makers[kind](name);
  check(await entries(await b.open()) === '[["a","x"],["c","3"],["b","y"]]', 'the rows survive a reopen');
  await b.close();
  w.close();
  await destroyers[kind](name);
}

/** The backend interface method by method, then a model-based sequence. */
async function conformance(kind, seed = 1) {
  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
  };
  const name = `conformance-${kind}-${seed}`;
  await destroyers[kind](name);
  if (kind === 'sqlite') await tableInterface(kind, name, check);
  else await logInterface(kind, name, check);

  const rand = rng(seed);
  const model = new Map();
  const options = { backend: kind, compaction: { minBytes: 2048 } };
  let map = await PersistentMap.open(name, options);
  for (let step = 0; step < 500 && failures.length === 0; step++) {
    const key = `k${rand(40)}`;
    const op = rand(100);
    if (op < 50) {
      const value = rand(6) === 0 ? new Uint8Array([rand(256), 0]) : { step, s: 'ü'.repeat(rand(3)), l: [rand(9)] };
      await map.set(key, value);
      model.set(key, value);
    } else if (op < 70) {
      check((await map.delete(key)) === model.delete(key), `delete result at step ${step}`);
    } else if (op < 78) {
      const pairs = [[key, step], [`k${rand(40)}`, '']];
      await map.setMany(pairs);
      for (const [k, v] of pairs) model.set(k, v);
    } else if (op < 83) {
      const keys = [key, `k${rand(40)}`];
      await map.deleteMany(keys);
      for (const k of keys) model.delete(k);
    } else if (op < 84) {
      await map.clear();
      model.clear();
    } else if (op < 92) {
      await map.close();
      map = await PersistentMap.open(name, options);
    } else if (op < 95) {
      await map.compact();
    } else if (model.size > 0) {
      const i = rand(model.size);
      check(same(plain(map.at(i)?.[1]), plain([...model.values()][i])), `at(${i}) at step ${step}`);
    }
    check(map.size === model.size, `size at step ${step}`);
  }
  check(same(contents(map), [...model].map(([k, v]) => [k, plain(v)])), 'contents and order match the model');
  await map.close();
  map = await PersistentMap.open(name, options);
  check(same(contents(map), [...model].map(([k, v]) => [k, plain(v)])), 'contents survive the last reopen');
  check(map.stats().generation > 0, 'compaction ran');
  await map.close();
  await destroyers[kind](name);
  return failures;
}

async function write(kind, name, entries) {
  const map = await PersistentMap.open(name, { backend: kind });
  await map.setMany(entries);
  await map.set('bytes', new Uint8Array([1, 2, 3]));
  await map.close();
}

async function read(kind, name) {
  const map = await PersistentMap.open(name, { backend: kind });
  const out = { entries: contents(map), damaged: map.recovery.damaged };
  await map.close();
  return out;
}

const held = new Map();
async function hold(kind, name) {
  held.set(name, await PersistentMap.open(name, { backend: kind }));
}
async function release(name) {
  await held.get(name).close();
  held.delete(name);
}
async function tryOpen(kind, name, wait = false, abortAfterMs = undefined, exclusive = undefined) {
  try {
    const signal = abortAfterMs === undefined ? undefined : AbortSignal.timeout(abortAfterMs);
    const map = await PersistentMap.open(name, { backend: kind, wait, signal, exclusive });
    const entries = contents(map);
    await map.close();
    return { ok: true, entries };
  } catch (e) {
    return { ok: false, code: e.code, name: e.name, message: e.message, lockHeld: await lockHeld(name) };
  }
}

// A worker writes batches of 5 keys and reports each acknowledged batch;
// it is terminated after `acks` acknowledgements while writes are in flight.
async function killWriter(kind, name, acks, durability = 'relaxed') {
  const worker = new Worker(new URL('./writer_worker.js', import.meta.url), { type: 'module' });
  let acknowledged = -1;
  await new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data.error) reject(new Error(e.data.error));
      acknowledged = e.data.batch;
      if (acknowledged + 1 >= acks) resolve();
    };
    worker.onerror = (e) => reject(new Error(e.message));
    // A worker has no import map: the sqlite backend in it needs sqlite-wasm's URL.
    worker.postMessage({ kind, name, durability, moduleUrl: import.meta.resolve('@sqlite.org/sqlite-wasm') });
  });
  worker.terminate();
  const map = await PersistentMap.open(name, { backend: kind, wait: true });
  const keys = [...map.keys()];
  await map.close();
  return { acknowledged, keys };
}

// Waits up to `ms` for the map's first 'error' event.
function nextError(map, ms = 5000) {
  return within(ms, new Promise((resolve) => {
    map.on('error', resolve);
  }).then((e) => Promise.reject(e)));
}

// 900 KiB writes, each flushed, until one fails (into a 2 MiB quota; sqlite
// needs 8 MiB to open, so it gets more writes). A relaxed opfs or indexeddb
// append of that size is acknowledged before it is written (it is under the
// 1 MiB that may be in flight), so the failure comes later: the flush after
// it rejects, an 'error' event fires and the store stops taking writes. A
// strict write, and any sqlite write (acknowledged once its transaction
// committed), rejects itself.
async function quota(kind, name, durability, writes = 8) {
  const map = await PersistentMap.open(name, { backend: kind, durability });
  const errorEvent = durability === 'relaxed' && kind !== 'sqlite' ? nextError(map) : null;
  await map.set('small', 'fits');
  // Random bytes: Chromium compresses IndexedDB values, so a repeated
  // string would fit in any quota.
  const big = new Uint8Array(900 << 10);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  const flushed = ['small'];
  let write = null;
  let flush = null;
  for (let i = 0; i < writes; i++) {
    write = await within(5000, map.set(`big${i}`, big));
    if (!write.ok) break;
    flush = await within(5000, map.flush());
    if (!flush.ok) break;
    flushed.push(`big${i}`);
  }
  const event = errorEvent ? await errorEvent : null;
  const after = { state: map.stats().state, keys: [...map.keys()] };
  const later = await within(5000, map.set('later', 1));
  const close = await within(5000, map.close());
  const reopened = await tryOpen(kind, name);
  return { flushed, write, flush, event, after, later, close, reopened: { ok: reopened.ok, keys: (reopened.entries ?? []).map(([k]) => k) } };
}

// Relaxed sets, then flush(), then the page goes away without close(): the
// Node side reloads and reads them back.
async function setsThenFlush(kind, name, n) {
  const map = await PersistentMap.open(name, { backend: kind });
  for (let i = 0; i < n; i++) await map.set(`k${i}`, { i });
  await map.flush();
  return map.size;
}

async function destroy(kind, name) {
  await destroyers[kind](name);
}

async function autoKind(name) {
  const map = await PersistentMap.open(name);
  await map.set('k', 1);
  await map.close();
  const opfs = await OpfsBackend.available();
  return { opfs, chose: map.stats().backend };
}

// The browser closes the IndexedDB connection under the map (Safari does
// this); the next write reconnects and retries once.
async function reconnect(name) {
  await IndexedDbBackend.destroy(name);
  const backend = new IndexedDbBackend(name);
  const map = await PersistentMap.open(name, { backend });
  await map.set('before', 1);
  backend.db.close();
  await map.set('after', 2);
  await map.close();
  return read('indexeddb', name);
}

// IndexedDB, relaxed: 200 awaited sets never leave the microtask queue, so
// all but the first wait in page memory behind the first transaction. A
// pagehide must put them in a transaction at once: a read-only transaction
// on a second connection, created right after, sees every key (it runs
// after every read-write transaction created before it).
async function idbCommitOnHide(name) {
  await IndexedDbBackend.destroy(name);
  const map = await PersistentMap.open(name, { backend: 'indexeddb' });
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(`persistent-map/${name}`);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  for (let i = 0; i < 200; i++) await map.set(`t${i}`, i);
  window.dispatchEvent(new PageTransitionEvent('pagehide'));
  const chunks = await new Promise((resolve, reject) => {
    const req = db.transaction('chunks', 'readonly').objectStore('chunks').getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  db.close();
  const text = chunks.map((c) => new TextDecoder('latin1').decode(c)).join('');
  const seenInDb = [0, 1, 100, 199].filter((i) => text.includes(`t${i}`));
  await map.close();
  const reopened = await read('indexeddb', name);
  return { seenInDb, keys: reopened.entries.map(([k]) => k) };
}

// Settles with what `promise` settled to, or reports a hang after `ms`.
async function within(ms, promise) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  const outcome = promise.then(
    (value) => ({ settled: true, ok: true, value }),
    (e) => ({ settled: true, ok: false, code: e.code, fatal: e.fatal === true, message: e.message }));
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function lockHeld(name) {
  const { held } = await navigator.locks.query();
  return held.some((lock) => lock.name === `persistent-map:${name}` || lock.name === `persistent-map:sqlite:${name}`);
}

// The OPFS worker's script does not load or throws at once (the Node side
// serves a fault in its place): the open must fail promptly and free the lock.
async function workerFailsToStart(name) {
  const t0 = performance.now();
  const open = await within(5000, PersistentMap.open(name, { backend: 'opfs' }).then((m) => m.close()));
  return { open, ms: performance.now() - t0, lockHeld: await lockHeld(name) };
}

// The OPFS worker crashes (crash_on_marker.js) on the write of key CRASH,
// after 'a' was flushed.
async function workerCrashes(name, durability) {
  await OpfsBackend.destroy(name);
  const map = await PersistentMap.open(name, { backend: 'opfs', durability });
  const errorEvent = nextError(map);
  await map.set('a', 1);
  await map.flush();
  const crash = await within(5000, map.set('CRASH', 2));
  const event = await errorEvent;
  const after = await within(5000, map.set('b', 3));
  const flush = await within(5000, map.flush());
  const state = map.stats().state;
  const close = await within(5000, map.close());
  return { crash, event, after, flush, state, close, lockHeld: await lockHeld(name) };
}

// What an open with each backend gives on this page.
async function openOutcomes(name, kinds) {
  const out = { secure: window.isSecureContext, locks: 'locks' in navigator };
  for (const kind of kinds) {
    out[kind] = await within(10000, PersistentMap.open(`${name}-${kind}`, { backend: kind }).then(async (map) => {
      await map.set('k', 1);
      await map.close();
      return 'opened';
    }));
  }
  return out;
}

window.scenarios = { openOutcomes, idbCommitOnHide, setsThenFlush, workerFailsToStart, workerCrashes, reconnect, conformance, write, read, hold, release, tryOpen, killWriter, quota, destroy, autoKind };
window.harnessReady = true;
