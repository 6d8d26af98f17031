// Shared by the conformance, crash and cross-build suites (and by the crash
// child process, so nothing here may depend on Jest): temporary directories,
// a seeded random generator, the reference model and the operations that
// drive a PersistentMap and the model in step.
//
// The reference model is a plain JS Map: it already has the store's
// semantics (a new key goes last, an update keeps its place, a delete keeps
// the order of the rest, a re-insert goes last, clear empties).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---- temporary directories ----

/** Creates a fresh directory under os.tmpdir(). */
export function makeTempDir(prefix = 'pmap-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes a directory made by makeTempDir (and everything in it). */
export function removeTempDir(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

// ---- another process holding a store ----

/**
 * Starts a Node process that opens `file` with `backend` and holds it open.
 * Resolves once it is open, to `{ pid, kill }`: kill() SIGKILLs it and
 * resolves once it is gone.
 */
export async function holdStore(file, backend = 'fs', options = {}) {
  const index = new URL('../../js/index.js', import.meta.url).href;
  const code = `const { PersistentMap } = await import(${JSON.stringify(index)});
    await PersistentMap.open(${JSON.stringify(file)}, ${JSON.stringify({ ...options, backend })});
    process.stdout.write('open\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (status) => reject(new Error(`the holding process exited with ${status}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs `node script ...args`; resolves to { code, signal, stdout, stderr }
 * once it ended. It is killed with SIGKILL after `timeout` ms.
 */
export function runNode(script, args, { timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const guard = setTimeout(() => child.kill('SIGKILL'), timeout);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let uniqueCounter = 0;
/** A name no other call in this process returns (memory stores live per process). */
export function uniqueName(prefix = 'store') {
  return `${prefix}-${process.pid}-${++uniqueCounter}`;
}

// ---- randomness ----

/** mulberry32: a small seeded PRNG; returns () => float in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

// ---- the reference model ----

/** A new reference model (insertion-ordered, the map's semantics). */
export function createModel(entries = []) {
  return new Map(entries);
}

/** A copy of a model (values are never mutated, so a shallow copy is enough). */
export function cloneModel(model) {
  return new Map(model);
}

/** The whole contents of a PersistentMap (or a model) as [[key, value], ...] in order. */
export function contents(map) {
  return [...map];
}

// Keys that exercise UTF-8 (2-, 3- and 4-byte sequences), the empty key, a
// NUL, spaces and look-alikes of the record framing.
export const KEY_POOL = Object.freeze([
  '', 'a', 'b', 'c', 'key with spaces', 'é', 'ключ', '中文键', '😀', 'emoji 👩‍👩‍👧',
  'nul\u0000inside', '\u2028line separator', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7',
  'k8', 'k9', 'user:1', 'user:2', 'user:3', 'deep/path/x', 'x'.repeat(200), '"quoted"',
  '{"$bytes":"AA=="}', '\\backslash',
]);

/** A random value the default codec stores exactly (JSON values and Uint8Array). */
export function randomValue(rand, depth = 0) {
  switch (rand.int(depth > 1 ? 9 : 12)) {
    case 0: return '';
    case 1: return rand.pick(['plain', 'é à ü', 'ключ-значение', '中文字符串', '😀🎉 emoji', 'a\u0000b', '\u2028\u2029', '"quotes" and \\ backslashes', '\u0001starts with 0x01']);
    case 2: return rand.int(2000) - 1000;
    case 3: return Math.round(rand() * 1e6) / 1000 + 0.5;
    case 4: return rand.pick([true, false, null]);
    case 5: {
      const bytes = new Uint8Array(rand.pick([0, 1, 3, 16, 300]));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rand.int(256);
      return bytes;
    }
    case 6: return 'x'.repeat(rand.int(3000));
    case 7: return [];
    case 8: return {};
    case 9:
    case 10: {
      const out = {};
      const n = 1 + rand.int(4);
      for (let i = 0; i < n; i++) out[rand.pick(['a', 'b', 'name', 'é', '😀', 'list', 'nested'])] = randomValue(rand, depth + 1);
      return out;
    }
    default: {
      const n = rand.int(5);
      const out = [];
      for (let i = 0; i < n; i++) {
        const v = randomValue(rand, depth + 1);
        out.push(v instanceof Uint8Array ? 'bytes only at the top level' : v);
      }
      return out;
    }
  }
}

function nestedBytesFree(value) {
  // Uint8Array is a value of its own, never part of a JSON value.
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v) => (v instanceof Uint8Array ? 'bytes' : nestedBytesFree(v)));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = v instanceof Uint8Array ? 'bytes' : nestedBytesFree(v);
    return out;
  }
  return value;
}

/** The function update() is given: deterministic, so the model gets the same result. */
export function bump(current) {
  if (current && typeof current === 'object' && !Array.isArray(current) && !(current instanceof Uint8Array) &&
      typeof current.count === 'number') {
    return { ...current, count: current.count + 1 };
  }
  return { count: 1, was: current instanceof Uint8Array ? 'bytes' : current === null ? 'null' : typeof current };
}

/**
 * A random write operation. `kinds` limits the choice (default: all).
 * Operations: {type:'set',key,value} {type:'delete',key} {type:'clear'}
 * {type:'setMany',entries} {type:'deleteMany',keys} {type:'update',key}.
 */
export function randomOp(rand, { clearWeight = 1 } = {}) {
  const key = () => (rand.int(4) === 0 ? rand.pick(KEY_POOL) : `k${rand.int(40)}`);
  const r = rand.int(100);
  if (r < 45) return { type: 'set', key: key(), value: nestedBytesFree(randomValue(rand)) };
  if (r < 63) return { type: 'delete', key: key() };
  if (r < 75) {
    const n = rand.int(5); // 0..4 pairs; duplicates of a key inside one batch allowed
    const entries = [];
    for (let i = 0; i < n; i++) entries.push([key(), nestedBytesFree(randomValue(rand))]);
    return { type: 'setMany', entries };
  }
  if (r < 85) {
    const n = rand.int(5);
    const keys = [];
    for (let i = 0; i < n; i++) keys.push(key());
    return { type: 'deleteMany', keys };
  }
  if (r >= 100 - clearWeight) return { type: 'clear' };
  return { type: 'update', key: key() };
}

/** Applies `op` to the model; returns what the map's method should resolve to. */
export function applyToModel(model, op) {
  switch (op.type) {
    case 'set':
      model.set(op.key, op.value);
      return undefined;
    case 'delete':
      return model.delete(op.key);
    case 'clear':
      model.clear();
      return undefined;
    case 'setMany':
      for (const [k, v] of op.entries) model.set(k, v);
      return undefined;
    case 'deleteMany': {
      let n = 0;
      for (const k of op.keys) if (model.delete(k)) n++;
      return n;
    }
    case 'update': {
      const next = bump(model.get(op.key));
      model.set(op.key, next);
      return next;
    }
    default:
      throw new Error(`unknown op ${op.type}`);
  }
}

/** Issues `op` on a PersistentMap; returns its promise (synchronous part runs now). */
export function applyToMap(map, op) {
  switch (op.type) {
    case 'set': return map.set(op.key, op.value);
    case 'delete': return map.delete(op.key);
    case 'clear': return map.clear();
    case 'setMany': return map.setMany(op.entries);
    case 'deleteMany': return map.deleteMany(op.keys);
    case 'update': return map.update(op.key, bump);
    default: throw new Error(`unknown op ${op.type}`);
  }
}

/** A short description of an op for failure messages. */
export function describeOp(op) {
  const short = (v) => {
    const s = v instanceof Uint8Array ? `Uint8Array(${v.length})` : JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 37)}...` : s;
  };
  switch (op.type) {
    case 'set': return `set(${short(op.key)}, ${short(op.value)})`;
    case 'delete': return `delete(${short(op.key)})`;
    case 'clear': return 'clear()';
    case 'setMany': return `setMany(${op.entries.length} pairs)`;
    case 'deleteMany': return `deleteMany(${short(op.keys)})`;
    case 'update': return `update(${short(op.key)})`;
    default: return op.type;
  }
}

// ---- the crash test's deterministic operation sequence ----

/**
 * Operation i of the crash child's endless sequence: key `k<i>` set to
 * {i, pad}; every 7th (i % 7 === 6) deletes the key written by operation i-4;
 * every 11th (i % 11 === 10, which wins over the 7th) a setMany of 3 keys;
 * every 97th (i % 97 === 96) an explicit compact(), which changes nothing.
 * Every key is written by one operation only, so the state after a prefix
 * tells how long the prefix was (up to operations that change nothing).
 */
export function crashOp(i) {
  const pad = 'p'.repeat(i % 61);
  if (i % 97 === 96) return { type: 'compact' };
  if (i % 11 === 10) {
    return { type: 'setMany', entries: [[`m${i}a`, { i, pad }], [`m${i}b`, { i, pad: 'é😀' }], [`m${i}c`, { i, pad: '' }]] };
  }
  if (i % 7 === 6) {
    let j = i - 4;
    while (j >= 0 && crashKeyOf(j) === null) j--;
    return { type: 'delete', key: j >= 0 ? crashKeyOf(j) : 'never-written' };
  }
  return { type: 'set', key: `k${i}`, value: { i, pad } };
}

/** The (first) key that crash operation j writes, or null. */
function crashKeyOf(j) {
  const op = crashOp(j);
  if (op.type === 'set') return op.key;
  if (op.type === 'setMany') return op.entries[0][0];
  return null;
}

/** Applies crash operation `op` to a model. */
export function applyCrashOp(model, op) {
  if (op.type === 'compact') return;
  applyToModel(model, op);
}

// ---- fast comparison ----

/**
 * A canonical text of a value or of contents: equal texts mean deep-equal
 * values of the same types in the same order (Uint8Arrays are marked with
 * their class, which no generated string starts with). Jest's toStrictEqual
 * is slow on thousands of comparisons; use this first and fall back to
 * toStrictEqual to show a difference.
 */
export function canonical(value) {
  return JSON.stringify(value, (k, v) => (ArrayBuffer.isView(v) ? [`\u0000${v.constructor.name}`, ...v] : v === undefined ? '\u0000undefined' : v));
}

/**
 * Expects set, setMany and update of the value make() returns each to be
 * refused with a TypeError (code INVALID) whose message matches `message`.
 */
export async function expectEveryWriteRefuses(map, make, message) {
  for (const write of [(v) => map.set('k', v), (v) => map.setMany([['other', 1], ['k', v]]), (v) => map.update('keep', () => v)]) {
    const error = await write(make()).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('INVALID');
    expect(error.message).toMatch(message);
  }
}
