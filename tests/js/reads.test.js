// Reads after an open are served by the WebAssembly core until a key has
// been read or written (the JS map in front of it is a cache, complete only
// once something needed every entry): these tests reopen a store, so that
// nothing is cached, and check every read and write against what was
// stored. Also the { freeze: true } option.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { Core, loadCore } from '../../js/core.js';
import { OpWriter } from '../../js/op_writer.js';
import { MemoryBackend } from '../../js/backends/memory/memory.js';

let dir;
let file;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-reads-'));
  file = path.join(dir, 'store.pmap');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function storeWith(entries, options = {}) {
  const map = await PersistentMap.open(file, options);
  await map.setMany(entries);
  await map.close();
  return PersistentMap.open(file, options);
}

test('reads after an open come from the store; iteration keeps the store order, not the order of reads', async () => {
  const map = await storeWith([['a', 1], ['b', { x: [2] }], ['c', new Uint8Array([3])], ['d', 'four']]);
  expect(map.get('d')).toBe('four');
  expect(map.get('b')).toEqual({ x: [2] });
  expect(map.has('c')).toBe(true);
  expect(map.has('zz')).toBe(false);
  expect(map.get('zz')).toBeUndefined();
  expect(map.get('c')).toEqual(new Uint8Array([3]));
  expect(map.size).toBe(4);
  expect(map.at(2)).toEqual(['c', new Uint8Array([3])]);
  expect(map.at(-1)).toEqual(['d', 'four']);
  expect([...map.keys()]).toEqual(['a', 'b', 'c', 'd']);
  expect([...map]).toEqual([['a', 1], ['b', { x: [2] }], ['c', new Uint8Array([3])], ['d', 'four']]);
  await map.close();
});

test('writes to keys not read since the open find them in the store', async () => {
  let map = await storeWith([['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]]);
  expect(await map.delete('b')).toBe(true);
  expect(await map.delete('nope')).toBe(false);
  expect(await map.deleteMany(['c', 'x', 'c'])).toBe(1);
  await map.set('a', 10); // keeps its place
  expect(await map.update('d', (v) => v + 1)).toBe(5);
  expect(map.size).toBe(3);
  expect([...map]).toEqual([['a', 10], ['d', 5], ['e', 5]]);
  await map.close();
  map = await PersistentMap.open(file);
  expect([...map]).toEqual([['a', 10], ['d', 5], ['e', 5]]);
  await map.clear();
  expect(map.size).toBe(0);
  expect(map.get('a')).toBeUndefined();
  await map.close();
});

test('a write and a read in the same tick, before the write reached the core', async () => {
  const map = await storeWith([['a', 1], ['b', 2]]);
  const pending = map.delete('a');
  expect(map.has('a')).toBe(false);
  expect(map.get('a')).toBeUndefined();
  expect(map.size).toBe(1);
  const set = map.set('c', 3);
  expect(map.at(1)).toEqual(['c', 3]);
  await Promise.all([pending, set]);
  await map.close();
});

test('a store closed before anything was read still answers reads', async () => {
  const map = await storeWith([['a', 1], ['b', 2]]);
  await map.close();
  expect(map.get('b')).toBe(2);
  expect(map.has('a')).toBe(true);
  expect(map.size).toBe(2);
  expect([...map]).toEqual([['a', 1], ['b', 2]]);
});

test('a key that cannot be stored is absent, even where UTF-8 would turn it into one that is', async () => {
  const map = await storeWith([['\uFFFD', 'replacement character'], ['k', 1]]);
  expect(map.get('\uD800')).toBeUndefined(); // a lone surrogate encodes as U+FFFD
  expect(map.has('\uD800')).toBe(false);
  expect(map.get(42)).toBeUndefined();
  expect(map.has(null)).toBe(false);
  expect(map.get('\uFFFD')).toBe('replacement character');
  await map.close();
});

test('keys and values that begin with U+FEFF (a byte order mark) survive a reopen', async () => {
  const entries = [['\uFEFFfirst', '\uFEFFvalue'], ['b', 2], ['\uFEFF', { '\uFEFF': 1 }]];
  let map = await storeWith(entries);
  expect(map.get('\uFEFFfirst')).toBe('\uFEFFvalue');
  await map.close();
  map = await PersistentMap.open(file);
  expect([...map]).toEqual(entries);
  await map.close();
});

test('at() finds a key that is not valid UTF-8 (written by another program)', async () => {
  // A log whose key is the bytes 61 FF, built with the core itself.
  const core = new Core(await loadCore(), { maxRecordSize: 1 << 20, recovery: 'strict', compaction: { ratio: 2, minBytes: 0, auto: false } });
  core.recover(new Uint8Array(0));
  const ops = new OpWriter();
  ops.put(new Uint8Array([0x61, 0xff]), '1', -1);
  ops.put('b', '2', -1);
  core.commit(ops.take(), 'copy');
  const log = core.pending;
  core.delete();
  const name = `invalid-utf8-${process.pid}`;
  const backend = new MemoryBackend(name);
  await backend.open();
  await backend.append(log);
  await backend.close();

  const map = await PersistentMap.open(name, { backend: 'memory' });
  expect(map.size).toBe(2);
  expect(map.at(0)).toEqual(['a\uFFFD', 1]);
  expect(map.at(1)).toEqual(['b', 2]);
  expect([...map]).toEqual([['a\uFFFD', 1], ['b', 2]]);
  await map.close();
  MemoryBackend.destroy(name);
});

describe('{ freeze: true }', () => {
  test('get returns one deep-frozen value, shared between calls, until the key is written', async () => {
    let map = await storeWith([['k', { list: [1, { deep: true }] }]]);
    await map.close();
    map = await PersistentMap.open(file, { freeze: true });
    const a = map.get('k');
    expect(a).toEqual({ list: [1, { deep: true }] });
    expect(map.get('k')).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.list) && Object.isFrozen(a.list[1])).toBe(true);
    expect(() => { a.list.push(2); }).toThrow(TypeError);
    expect([...map.values()][0]).toBe(a);
    expect(map.at(0)[1]).toBe(a);

    await map.set('k', { list: [] });
    const b = map.get('k');
    expect(b).toEqual({ list: [] });
    expect(b).not.toBe(a);
    expect(a).toEqual({ list: [1, { deep: true }] }); // the old value is untouched
    await map.close();
  });

  test('update gets a fresh copy it may change; bytes are still copied; primitives come back as they are', async () => {
    const map = await PersistentMap.open(file, { freeze: true });
    await map.set('n', { count: 1 });
    map.get('n');
    expect(await map.update('n', (v) => {
      v.count += 1;
      return v;
    })).toEqual({ count: 2 });
    expect(map.get('n')).toEqual({ count: 2 });
    await map.set('bytes', new Uint8Array([1, 2]));
    const bytes = map.get('bytes');
    bytes[0] = 9;
    expect(map.get('bytes')).toEqual(new Uint8Array([1, 2]));
    await map.setMany([['s', 'text'], ['z', 0], ['f', false], ['null', null]]);
    expect([map.get('s'), map.get('z'), map.get('f'), map.get('null')]).toEqual(['text', 0, false, null]);
    await map.deleteMany(['s']);
    expect(map.get('s')).toBeUndefined();
    await map.clear();
    expect(map.get('n')).toBeUndefined();
    await map.close();
  });

  test('freeze is refused with a custom codec or a value other than a boolean', async () => {
    const codec = { encode: (v) => new TextEncoder().encode(String(v)), decode: (b) => new TextDecoder().decode(b) };
    await expect(PersistentMap.open(file, { freeze: true, codec })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/default codec/) });
    await expect(PersistentMap.open(file, { freeze: 'yes' })).rejects.toThrow(TypeError);
    expect(fs.existsSync(file)).toBe(false);
  });
});

test('a log of several recovery windows, with a value larger than one, reopens whole; damage past the first window names its byte', async () => {
  const big = 'x'.repeat(9 << 20); // more than two 4 MiB windows
  const entries = [];
  for (let i = 0; i < 3000; i++) entries.push([`k${i}`, { i, pad: 'p'.repeat(1000) }]);
  let map = await PersistentMap.open(file);
  for (let i = 0; i < 3000; i += 10) {
    if (i === 1000) await map.set('big', big);
    await map.setMany(entries.slice(i, i + 10)); // one record each
  }
  await map.close();
  map = await PersistentMap.open(file);
  expect(map.size).toBe(3001);
  expect(map.get('big')).toBe(big);
  expect(map.get('k2999')).toEqual(entries[2999][1]);
  expect(map.at(1000)[0]).toBe('big');
  await map.close();

  // A flipped byte in the value of a record well past the first window.
  const bytes = fs.readFileSync(file);
  const at = bytes.lastIndexOf('"i":2500');
  bytes[at + 2] ^= 1;
  fs.writeFileSync(file, bytes);
  await expect(PersistentMap.open(file)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/log record at byte \d+ is damaged \(bad checksum\) and valid records follow/) });
  const salvaged = await PersistentMap.open(file, { recovery: 'salvage' });
  expect(salvaged.size).toBe(2991); // without the record of k2500 ... k2509
  expect(salvaged.has('k2500')).toBe(false);
  expect(salvaged.get('k2510')).toEqual(entries[2510][1]);
  expect(salvaged.recovery.damaged).toHaveLength(1);
  expect(salvaged.recovery.damaged[0].begin).toBeGreaterThan(8 << 20);
  await salvaged.close();
});

// Runs `steps` on a reopened store (iterated from the core) and on a Map
// with the same entries, iterating both; the visits must be the same.
async function iterateAlongsideAMap(count, steps) {
  const entries = Array.from({ length: count }, (_, i) => [`k${i}`, { i, pad: 'p'.repeat(200) }]);
  const map = await storeWith(entries);
  const model = new Map(entries);
  const seen = [];
  const want = [];
  const ours = map.entries();
  const theirs = model.entries();
  for (let step = 0; ; step++) {
    const a = ours.next();
    const b = theirs.next();
    expect(a.done).toBe(b.done);
    if (a.done) break;
    seen.push(a.value);
    want.push(b.value);
    for (const [op, key, value] of steps(step)) {
      if (op === 'set') {
        map.set(key, value);
        model.set(key, value);
      } else if (op === 'delete') {
        map.delete(key);
        model.delete(key);
      } else {
        map.clear();
        model.clear();
      }
    }
  }
  expect(seen).toEqual(want);
  await map.close();
  return seen.length;
}

test('iteration after an open is live as a Map\'s: set entries are visited, deleted ones not, updated ones with their new value', async () => {
  const visited = await iterateAlongsideAMap(3000, (step) => {
    if (step === 10) return [['delete', 'k11'], ['delete', 'k5'], ['set', 'k12', 'updated ahead'], ['set', 'k3', 'updated behind']];
    if (step === 20) return [['set', 'new-1', 1], ['delete', 'k21'], ['set', 'k21', 'back at the end']];
    if (step > 100 && step < 2500 && step % 2 === 0) return [['delete', `k${step + 7}`], ['delete', `k${step - 50}`]]; // holes, squeezed
    if (step === 2600) return [['set', 'new-2', 2]];
    return [];
  });
  expect(visited).toBeGreaterThan(1000);
});

test('a clear during an iteration after an open ends it but for the entries set after the clear', async () => {
  await iterateAlongsideAMap(2000, (step) => {
    if (step === 1500) return [['clear'], ['set', 'after-1', 1], ['set', 'after-2', 2]];
    if (step === 1501) return [['set', 'after-3', 3], ['delete', 'after-2']];
    return [];
  });
});

test('an iteration started before close() goes on after it, and reads after close come from the core', async () => {
  const entries = Array.from({ length: 2000 }, (_, i) => [`k${i}`, { i, pad: 'p'.repeat(200) }]);
  const map = await storeWith(entries);
  const it = map.entries();
  expect(it.next().value).toEqual(entries[0]);
  await map.close();
  expect([it.next().value, ...it]).toEqual(entries.slice(1));
  expect(map.get('k1999')).toEqual(entries[1999][1]);
  expect(map.at(-1)).toEqual(entries[1999]);
  expect(map.size).toBe(2000);
  await expect(map.set('k', 1)).rejects.toMatchObject({ code: 'CLOSED' });
});
