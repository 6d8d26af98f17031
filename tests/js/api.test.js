// The PersistentMap contract: order, reads, writes, bad input that changes
// nothing, recovery modes, codecs, events, options. Runs on the fs backend
// (real files) unless a test says otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { PersistentMap, PersistentMapError, MemoryBackend, FsBackend } from '../../js/index.js';

let dir;
let file;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-api-'));
  file = path.join(dir, 'store.pmap');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function reopen(map, options) {
  await map.close();
  return PersistentMap.open(file, options);
}

test('order follows insertion: updates keep their place, re-inserts go last', async () => {
  let map = await PersistentMap.open(file);
  await map.set('a', 1);
  await map.set('b', 2);
  await map.set('c', 3);
  await map.set('a', 10);
  await map.delete('b');
  await map.set('b', 20);
  expect([...map]).toEqual([['a', 10], ['c', 3], ['b', 20]]);
  map = await reopen(map);
  expect([...map.keys()]).toEqual(['a', 'c', 'b']);
  expect([...map.values()]).toEqual([10, 3, 20]);
  expect(map.at(0)).toEqual(['a', 10]);
  expect(map.at(-1)).toEqual(['b', 20]);
  expect(map.at(3)).toBeUndefined();
  const seen = [];
  map.forEach((v, k) => seen.push(k + '=' + v));
  expect(seen).toEqual(['a=10', 'c=3', 'b=20']);
  await map.close();
});

test('random operations match a JS Map, with reopen in between', async () => {
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const model = new Map();
  let map = await PersistentMap.open(file, { compaction: { minBytes: 4096 } });
  for (let step = 0; step < 3000; step++) {
    const key = `k${rand(60)}`;
    const op = rand(100);
    if (op < 50) {
      const value = rand(5) === 0 ? new Uint8Array([rand(256), 0, 255]) : { n: step, s: 'é'.repeat(rand(4)), list: [rand(9)] };
      await map.set(key, value);
      model.set(key, value);
    } else if (op < 70) {
      expect(await map.delete(key)).toBe(model.delete(key));
    } else if (op < 78) {
      const pairs = [[key, step], [`k${rand(60)}`, null]];
      await map.setMany(pairs);
      for (const [k, v] of pairs) model.set(k, v);
    } else if (op < 84) {
      const keys = [key, `k${rand(60)}`];
      const deleted = await map.deleteMany(keys);
      let n = 0;
      for (const k of new Set(keys)) n += model.delete(k) ? 1 : 0;
      expect(deleted).toBe(n);
    } else if (op < 88) {
      const next = await map.update(key, (v) => (typeof v === 'number' ? v + 1 : 0));
      model.set(key, next);
    } else if (op < 89) {
      await map.clear();
      model.clear();
    } else if (op < 95) {
      map = await reopen(map, { compaction: { minBytes: 4096 } });
    } else if (op < 97) {
      await map.compact();
    } else if (map.size > 0) {
      const i = rand(map.size);
      expect(map.at(i)).toEqual([...model][i]);
    }
    expect(map.size).toBe(model.size);
  }
  expect([...map]).toEqual([...model]);
  map = await reopen(map);
  expect([...map]).toEqual([...model]);
  expect(map.stats().generation).toBeGreaterThan(0);
  await map.close();
});

test('get returns a fresh copy: mutating it does not change the store', async () => {
  const map = await PersistentMap.open(file);
  const value = { list: [1, 2] };
  await map.set('k', value);
  value.list.push(3); // the caller's object is not the stored one
  const got = map.get('k');
  got.list.push(99);
  expect(map.get('k')).toEqual({ list: [1, 2] });
  const bytes = new Uint8Array([1, 2, 3]);
  await map.set('b', bytes);
  bytes[0] = 9;
  map.get('b')[1] = 9;
  expect(map.get('b')).toEqual(new Uint8Array([1, 2, 3]));
  await map.close();
});

function snapshot(map) {
  return { entries: [...map], size: map.size, stats: map.stats() };
}

/** A value `depth` arrays (or objects {d: ...}) deep around 0. */
function nest(depth, objects = false) {
  let v = 0;
  for (let i = 0; i < depth; i++) v = objects ? { d: v } : [v];
  return v;
}

describe('bad input is refused with a typed error and changes nothing', () => {
  const cases = [
    ['a function', () => ['k', () => 1], TypeError, /function/],
    ['a function inside an object', () => ['k', { a: { b: () => 1 } }], TypeError, /value\.a\.b is a function/],
    ['a symbol', () => ['k', Symbol('s')], TypeError, /symbol/],
    ['a class instance', () => ['k', { when: new (class Clock {})() }], TypeError, /value\.when is a Clock/],
    ['a WeakMap', () => ['k', new WeakMap()], TypeError, /WeakMap/],
    ['a number key', () => [42, 'v'], TypeError, /keys must be strings/],
    ['an undefined key', () => [undefined, 'v'], TypeError, /keys must be strings/],
    ['a lone surrogate in a key', () => ['bad\uD800key', 'v'], TypeError, /lone UTF-16 surrogate/],
    ['a record over maxRecordSize', () => ['k', 'x'.repeat(5000)], RangeError, /maxRecordSize/],
    ['arrays nested 1001 deep', () => ['k', nest(1001)], TypeError, /more than 1000 levels deep/],
    ['objects nested 60,000 deep', () => ['k', nest(60000, true)], TypeError, /more than 1000 levels deep/],
  ];
  test.each(cases)('%s', async (_name, make, type, message) => {
    const map = await PersistentMap.open(file, { maxRecordSize: 4096 });
    await map.set('keep', { ok: true });
    await map.flush();
    const before = snapshot(map);
    const [key, value] = make();
    const error = await map.set(key, value).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe('INVALID');
    expect(error.message).toMatch(message);
    // the same through setMany and update
    await expect(map.setMany([['other', 1], [key, value]])).rejects.toBeInstanceOf(type);
    if (typeof key === 'string') await expect(map.update(key, () => value)).rejects.toBeInstanceOf(type);
    await map.flush();
    expect(snapshot(map)).toEqual(before);
    const size = fs.statSync(file).size;
    const reopened = await reopen(map, { maxRecordSize: 4096 });
    expect([...reopened]).toEqual(before.entries);
    expect(fs.statSync(file).size).toBe(size);
    await reopened.close();
  });

  test('deep values: 200 levels store and read back; a cycle 150 levels down is kept as one', async () => {
    const deep = (n, leaf) => {
      let v = leaf;
      for (let i = 0; i < n; i++) v = i % 2 ? { d: v } : [v];
      return v;
    };
    let map = await PersistentMap.open(file);
    await map.set('deep', deep(200, 'bottom'));
    await map.set('deepest', nest(1000)); // the limit itself is allowed
    const inner = {};
    const looped = deep(150, inner);
    inner.back = looped;
    await map.set('cycle', looped);
    await map.set('nan', deep(100, NaN));
    map = await reopen(map);
    expect(map.get('deep')).toEqual(deep(200, 'bottom'));
    expect(map.get('deepest')).toEqual(nest(1000));
    let back = map.get('cycle');
    const top = back;
    for (let i = 149; i >= 0; i--) back = i % 2 ? back.d : back[0];
    expect(back.back).toBe(top);
    expect(map.get('nan')).toEqual(deep(100, NaN));
    await map.close();
  });

  test('lone surrogates inside values survive (JSON escapes them)', async () => {
    let map = await PersistentMap.open(file);
    await map.set('k', 'a\uD800b');
    map = await reopen(map);
    expect(map.get('k')).toBe('a\uD800b');
    await map.close();
  });

  test('a batch too large for one record is refused whole', async () => {
    const map = await PersistentMap.open(file, { maxRecordSize: 4096 });
    const pairs = Array.from({ length: 100 }, (_, i) => [`key${i}`, 'v'.repeat(60)]);
    await expect(map.setMany(pairs)).rejects.toBeInstanceOf(RangeError);
    expect(map.size).toBe(0);
    await map.close();
  });

  test('bad arguments to at, update, setMany and open', async () => {
    const map = await PersistentMap.open(file);
    expect(() => map.at(1.5)).toThrow(TypeError);
    await expect(map.update('k', 'not a function')).rejects.toThrow(TypeError);
    await expect(map.update('k', async () => 1)).rejects.toThrow(/not a Promise/);
    await expect(map.setMany([['only-key']])).rejects.toThrow(TypeError);
    expect(map.size).toBe(0);
    await map.close();
    await expect(PersistentMap.open('')).rejects.toThrow(TypeError);
    await expect(PersistentMap.open(file, { durabilty: 'strict' })).rejects.toThrow(/unknown option 'durabilty'/);
    await expect(PersistentMap.open(file, { durability: 'fast' })).rejects.toThrow(/durability/);
    await expect(PersistentMap.open(file, { recovery: 'lenient' })).rejects.toThrow(/recovery/);
    await expect(PersistentMap.open(file, { backend: 'floppy' })).rejects.toThrow(/unknown backend/);
    await expect(PersistentMap.open(file, { backend: {} })).rejects.toThrow(/open\(\)/);
    await expect(PersistentMap.open(file, { codec: { encode() {} } })).rejects.toThrow(/codec/);
    await expect(PersistentMap.open(file, { maxRecordSize: 1 })).rejects.toThrow(RangeError);
  });
});

test('a closed map refuses writes with CLOSED but still reads', async () => {
  const map = await PersistentMap.open(file);
  await map.set('k', 1);
  await map.close();
  await map.close(); // idempotent
  const error = await map.set('x', 1).catch((e) => e);
  expect(error).toBeInstanceOf(PersistentMapError);
  expect(error.code).toBe('CLOSED');
  expect(error.message).toMatch(/is closed/);
  await expect(map.flush()).rejects.toMatchObject({ code: 'CLOSED' });
  expect(map.get('k')).toBe(1);
});

test('a second opener with { exclusive: true } gets LOCKED with a message that says what to do', async () => {
  const map = await PersistentMap.open(file);
  const error = await PersistentMap.open(file, { exclusive: true }).catch((e) => e);
  expect(error).toBeInstanceOf(PersistentMapError);
  expect(error.code).toBe('LOCKED');
  expect(error.message).toMatch(/already open in this process; close it first/);
  await map.close();
  await (await PersistentMap.open(file)).close();
});

test('a second open in the same process shares the store: both maps see every write', async () => {
  const a = await PersistentMap.open(file);
  const b = await PersistentMap.open(file);
  expect([a.stats().role, b.stats().role]).toEqual(['leader', 'follower']);
  await a.set('x', 1);
  await b.set('y', 2);
  await b.refresh();
  expect([...a]).toEqual([['x', 1], ['y', 2]]);
  expect([...b]).toEqual([['x', 1], ['y', 2]]);
  await b.close();
  await a.close();
});

test('writes in the same tick become one record group; setMany is one atomic record', async () => {
  const map = await PersistentMap.open(file);
  await Promise.all([map.set('a', 1), map.set('b', 2), map.set('c', 3)]);
  await map.setMany([['x', 1], ['y', 2], ['a', 5]]);
  await map.close();
  // Cut the file inside the setMany record: none of it must come back.
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
  const reopened = await PersistentMap.open(file);
  expect([...reopened]).toEqual([['a', 1], ['b', 2], ['c', 3]]);
  expect(reopened.recovery.damaged).toHaveLength(1);
  await reopened.close();
});

describe('recovery modes', () => {
  async function writeSample() {
    const map = await PersistentMap.open(file);
    for (let i = 0; i < 10; i++) await map.set(`k${i}`, { i });
    await map.close();
    return fs.readFileSync(file);
  }

  test('a torn tail is dropped, reported with its offset, and cut before new writes', async () => {
    const good = await writeSample();
    fs.writeFileSync(file, Buffer.concat([good, Buffer.from([7, 0, 0, 0, 99, 1, 2])]));
    let map = await PersistentMap.open(file);
    expect(map.size).toBe(10);
    expect(map.recovery.damaged).toEqual([expect.objectContaining({ begin: good.length, end: good.length + 7 })]);
    await map.set('after', true);
    map = await reopen(map);
    expect(map.recovery.damaged).toEqual([]);
    expect(map.get('after')).toBe(true);
    await map.close();
    await expect(PersistentMap.open(file, { recovery: 'strict' })).resolves.toBeDefined();
  });

  test('strict refuses a torn tail', async () => {
    const good = await writeSample();
    fs.writeFileSync(file, good.subarray(0, good.length - 4));
    const error = await PersistentMap.open(file, { recovery: 'strict' }).catch((e) => e);
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(/log record at byte \d+ is damaged/);
    expect(fs.readFileSync(file).length).toBe(good.length - 4); // untouched
  });

  test('mid-file corruption fails the default open and is skipped by salvage', async () => {
    const good = await writeSample();
    const bad = Buffer.from(good);
    bad[32 + 10] ^= 0x40; // inside the first record
    fs.writeFileSync(file, bad);
    const error = await PersistentMap.open(file).catch((e) => e);
    expect(error).toBeInstanceOf(PersistentMapError);
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(/log record at byte 32 is damaged \(bad checksum\) and valid records follow/);
    expect(Buffer.compare(fs.readFileSync(file), bad)).toBe(0);
    const map = await PersistentMap.open(file, { recovery: 'salvage' });
    expect(map.size).toBe(9);
    expect(map.has('k0')).toBe(false);
    expect(map.recovery.damaged[0]).toMatchObject({ begin: 32, reason: 'bad checksum' });
    await map.close();
    const clean = await PersistentMap.open(file); // salvage rewrote the log
    expect(clean.size).toBe(9);
    await clean.close();
  });

  test('a record larger than maxRecordSize is refused, in every mode, and the file is left as it was', async () => {
    let map = await PersistentMap.open(file, { maxRecordSize: 1024 * 1024 });
    await map.set('small', 1);
    await map.close();
    const at = fs.statSync(file).size;
    map = await PersistentMap.open(file, { maxRecordSize: 1024 * 1024 });
    await map.set('big', 'x'.repeat(200000));
    await map.close();
    const payload = fs.statSync(file).size - at - 9;
    const before = fs.readFileSync(file);
    for (const recovery of ['tolerate-torn-tail', 'strict', 'salvage']) {
      const error = await PersistentMap.open(file, { maxRecordSize: 64 * 1024, recovery }).catch((e) => e);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.code).toBe('INVALID');
      expect(error.message).toContain(`log record at byte ${at} has a ${payload}-byte payload`);
      expect(error.message).toContain(`at least ${payload} bytes (option maxRecordSize`);
      expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
    }
    map = await PersistentMap.open(file, { maxRecordSize: 1024 * 1024 });
    expect(map.get('big')).toHaveLength(200000);
    await map.close();
  });

  test('salvage never loads a record stored inside the value of a damaged record', async () => {
    // The log of another store, kept as a byte value (a backup).
    const other = path.join(dir, 'other.pmap');
    const backup = await PersistentMap.open(other);
    await backup.set('admin', true);
    await backup.close();
    const embedded = new Uint8Array(fs.readFileSync(other));
    let map = await PersistentMap.open(file);
    await map.set('a', 1);
    await map.close();
    const at = fs.statSync(file).size;
    map = await PersistentMap.open(file);
    await map.set('backup', embedded);
    await map.close();
    const end = fs.statSync(file).size;
    map = await PersistentMap.open(file);
    await map.set('z', 2);
    await map.close();
    const good = fs.readFileSync(file);
    // Every bit of the record's envelope: checksum, length and type.
    for (let bit = 0; bit < 9 * 8; bit++) {
      const bad = Buffer.from(good);
      bad[at + (bit >> 3)] ^= 1 << (bit & 7);
      fs.writeFileSync(file, bad);
      map = await PersistentMap.open(file, { recovery: 'salvage' });
      expect([...map.keys()]).toEqual(['a', 'z']);
      expect(map.recovery.damaged).toEqual([expect.objectContaining({ begin: at, end })]);
      await map.close();
      map = await PersistentMap.open(file); // salvage rewrote the log without it
      expect(map.has('admin')).toBe(false);
      await map.close();
    }
  });

  test('a file that is not a store is refused untouched', async () => {
    fs.writeFileSync(file, 'this is a text file, not a log');
    await expect(PersistentMap.open(file)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/not a persistent-map log/) });
    expect(fs.readFileSync(file, 'utf8')).toBe('this is a text file, not a log');
  });
});

test('a custom codec stores what it encodes', async () => {
  const codec = {
    encode: (v) => new TextEncoder().encode(`v1:${v.toUpperCase()}`),
    decode: (b) => new TextDecoder().decode(b).slice(3).toLowerCase(),
  };
  let map = await PersistentMap.open(file, { codec });
  await map.set('k', 'hello');
  map = await reopen(map, { codec });
  expect(map.get('k')).toBe('hello');
  await map.close();
  // The default codec cannot read it: every read says so with CORRUPT and
  // the key, not a bare SyntaxError.
  const corrupt = { name: 'PersistentMapError', code: 'CORRUPT', message: expect.stringMatching(/the value of key "k" is not JSON text .*custom codec/) };
  for (const options of [{}, { freeze: true }]) {
    const plain = await PersistentMap.open(file, options);
    for (const read of [() => plain.get('k'), () => plain.at(0), () => [...plain], () => [...plain.values()], () => plain.update('k', (v) => v)]) {
      let thrown;
      try {
        await read();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject(corrupt);
    }
    expect([...plain.keys()]).toEqual(['k']);
    await plain.close();
  }
});

test('change events report writes made through this map', async () => {
  const map = await PersistentMap.open(file);
  const events = [];
  const listener = (e) => events.push(e);
  map.on('change', listener);
  await map.set('a', 1);
  await map.delete('a');
  await map.delete('a'); // absent: no event
  await map.setMany([['b', 1]]);
  await map.clear();
  map.off('change', listener);
  await map.set('c', 1);
  expect(events).toEqual([
    { type: 'set', key: 'a', origin: 'local' },
    { type: 'delete', key: 'a', origin: 'local' },
    { type: 'setMany', keys: ['b'], origin: 'local' },
    { type: 'clear', origin: 'local' },
  ]);
  await map.close();
});

test('stats report live and total records, log bytes and dead ratio', async () => {
  const map = await PersistentMap.open(file);
  await map.set('a', 1);
  await map.set('a', 2);
  await map.set('b', 3);
  await map.delete('b');
  const s = map.stats();
  expect(s).toMatchObject({ size: 1, liveRecords: 1, totalRecords: 4, deadRatio: 0.75, generation: 0, durability: 'relaxed' });
  await map.flush();
  expect(s.logBytes).toBe(fs.statSync(file).size);
  await map.compact();
  expect(map.stats()).toMatchObject({ totalRecords: 1, generation: 1 });
  await map.close();
});

test('strict durability resolves each write after the backend synced it', async () => {
  let syncs = 0;
  const inner = new MemoryBackend(`strict-${Date.now()}`);
  const backend = {
    open: () => inner.open(),
    read: () => inner.read(),
    append: async (bytes, options) => {
      await inner.append(bytes, options);
      if (options.sync) syncs++;
    },
    truncate: (n) => inner.truncate(n),
    sync: () => inner.sync(),
    replace: (bytes) => inner.replace(bytes),
    close: () => inner.close(),
  };
  const map = await PersistentMap.open('strict', { backend, durability: 'strict' });
  const before = syncs;
  await map.set('a', 1);
  await map.set('b', 2);
  expect(syncs - before).toBe(2);
  await map.close();
});

test('the .wasm location can be overridden, and a wrong one is a clear error', async () => {
  const wasmUrl = new URL('../../js/wasm/pmap_core.wasm', import.meta.url);
  const map = await PersistentMap.open(file, { wasm: { url: wasmUrl } });
  await map.set('k', 1);
  await map.close();
  const binary = fs.readFileSync(wasmUrl);
  const again = await PersistentMap.open(file, { wasm: { binary } });
  expect(again.get('k')).toBe(1);
  await again.close();
  await expect(PersistentMap.open(file, { wasm: { url: new URL('file:///nonexistent/x.wasm') } }))
    .rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/cannot load the WebAssembly core/) });
});

test('the memory backend keeps a store for the life of the process', async () => {
  const name = `mem-${Date.now()}`;
  let map = await PersistentMap.open(name, { backend: 'memory' });
  await map.set('k', [1]);
  await map.close();
  map = await PersistentMap.open(name, { backend: 'memory' });
  expect(map.get('k')).toEqual([1]);
  await expect(PersistentMap.open(name, { backend: 'memory' })).rejects.toMatchObject({ code: 'LOCKED' });
  await map.close();
  MemoryBackend.destroy(name);
});

test('a missing directory is a clear NOT_FOUND error', async () => {
  await expect(PersistentMap.open(path.join(dir, 'no', 'such', 'dir', 'x.pmap')))
    .rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/does not exist/) });
});

test('stats() names the backend: what auto chose, a named one, or custom for a backend object', async () => {
  const cases = [
    [{}, 'fs'],
    [{ backend: 'auto' }, 'fs'],
    [{ backend: 'fs' }, 'fs'],
    [{ backend: 'sqlite' }, 'sqlite'],
    [{ backend: 'memory' }, 'memory'],
    [{ backend: new MemoryBackend(`custom-${process.pid}`) }, 'custom'],
  ];
  for (const [i, [options, backend]] of cases.entries()) {
    const map = await PersistentMap.open(path.join(dir, `s${i}`), options);
    expect(map.stats().backend).toBe(backend);
    await map.close();
    expect(map.stats().backend).toBe(backend);
  }
});

test('at() and stats() still answer after close', async () => {
  const map = await PersistentMap.open(file);
  await map.setMany([['a', 1], ['b', 2]]);
  await map.close();
  expect(map.at(1)).toEqual(['b', 2]);
  expect(map.at(-2)).toEqual(['a', 1]);
  expect(map.stats()).toMatchObject({ size: 2, liveRecords: 2, state: 'closed' });
});

test('a failed sync is reported as such, not as a roll-back, and the store refuses writes', async () => {
  const inner = new MemoryBackend(`sync-${Date.now()}`);
  let armed = false;
  const backend = {
    open: () => inner.open(),
    read: () => inner.read(),
    append: async (bytes, options) => {
      await inner.append(bytes, options);
      if (armed && options.sync) throw Object.assign(new PersistentMapError('IO', 'cannot sync'), { fatal: true });
    },
    truncate: (n) => inner.truncate(n),
    sync: () => inner.sync(),
    replace: (bytes) => inner.replace(bytes),
    close: () => inner.close(),
  };
  const map = await PersistentMap.open('sync', { backend, durability: 'strict' });
  armed = true;
  const error = await map.set('a', 1).catch((e) => e);
  expect(error).toMatchObject({ code: 'IO', message: 'cannot sync' });
  await expect(map.set('b', 2)).rejects.toMatchObject({ code: 'CLOSED', message: expect.stringMatching(/refuses writes after an earlier failure \(cannot sync\); reopen it/) });
  await map.close();
});

test('a failed fs append is an IO error, for a small write and for one of several MiB', async () => {
  const backend = new FsBackend(file);
  await backend.open();
  const writable = backend.fh;
  backend.fh = await fsp.open(file, 'r'); // every write now fails with EBADF
  try {
    for (const size of [10, 3 << 20]) {
      await expect(backend.append(new Uint8Array(size))).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/cannot write to/) });
    }
  } finally {
    await backend.fh.close();
    backend.fh = writable;
  }
  expect(backend.size).toBe(0);
  await backend.close();
});

test('a Buffer value is copied, and two concurrent closes both succeed', async () => {
  const map = await PersistentMap.open(file);
  const b = Buffer.from([1, 2, 3]);
  await map.set('k', b);
  b[0] = 99;
  expect(map.get('k')).toEqual(new Uint8Array([1, 2, 3]));
  await expect(Promise.all([map.close(), map.close()])).resolves.toEqual([undefined, undefined]);
});
