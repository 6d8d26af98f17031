// Values as rich as structured clone (docs/FORMAT.md, "Value encoding"):
// every kind the default codec keeps, nested in each other, survives
// set/get, a reopen, compaction, CSV (JavaScript and the native CLI) and
// the sqlite backend exactly; random values with cycles survive a reopen
// equal to structuredClone of the original; plain JSON values are stored
// as before; what cannot be kept is refused naming its path, changing
// nothing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { jsonCodec } from '../../js/codec.js';
import { expectEveryWriteRefuses, makeTempDir, prng, removeTempDir } from './helpers.js';

const NATIVE_CLI = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

let dir;
beforeEach(() => {
  dir = makeTempDir('pmap-rich-');
});
afterEach(() => removeTempDir(dir));

// ---- a deep comparison that tells apart what toEqual does not ----

const tag = (v) => Object.prototype.toString.call(v);

/**
 * Throws, naming the path, unless `a` and `b` are the same value in the
 * sense of structured clone: same types and prototypes, -0 apart from 0,
 * NaN equal to NaN, an absent member apart from an undefined one, holes
 * apart from undefined items, and the same shape of shared and cyclic
 * references.
 */
function expectSame(a, b, at = 'value', pairs = new Map()) {
  const fail = (what) => {
    throw new Error(`${at}: ${what}`);
  };
  if (typeof a !== typeof b) fail(`${typeof a} vs ${typeof b}`);
  if (a === null || b === null || typeof a !== 'object') {
    if (!Object.is(a, b)) fail(`${String(a)} vs ${String(b)}`);
    return;
  }
  if (pairs.has(a)) {
    if (pairs.get(a) !== b) fail('a reference to another object');
    return;
  }
  pairs.set(a, b);
  // By class name and brand: structuredClone and a test runner's globals may come from another realm.
  const kind = tag(a);
  const className = (x) => (Object.getPrototypeOf(x) === null ? 'Object' : x.constructor?.name);
  if (kind !== tag(b) || className(a) !== className(b)) fail(`${kind} ${className(a)} vs ${tag(b)} ${className(b)}`);
  if (kind === '[object Date]') {
    if (!Object.is(a.getTime(), b.getTime())) fail(`${a} vs ${b}`);
  } else if (kind === '[object RegExp]') {
    if (a.source !== b.source || a.flags !== b.flags) fail(`${a} vs ${b}`);
  } else if (kind === '[object Map]') {
    if (a.size !== b.size) fail('Map sizes differ');
    const bs = [...b];
    [...a].forEach(([k, v], i) => {
      expectSame(k, bs[i][0], `${at}[key ${i}]`, pairs);
      expectSame(v, bs[i][1], `${at}[value ${i}]`, pairs);
    });
  } else if (kind === '[object Set]') {
    if (a.size !== b.size) fail('Set sizes differ');
    const bs = [...b];
    [...a].forEach((v, i) => expectSame(v, bs[i], `${at}[member ${i}]`, pairs));
  } else if (kind === '[object ArrayBuffer]' || ArrayBuffer.isView(a)) {
    const bytes = (x) => (tag(x) === '[object ArrayBuffer]' ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    if (bytes(a).join() !== bytes(b).join()) fail('bytes differ');
  } else if (kind === '[object Error]') {
    for (const k of ['name', 'message', 'cause']) {
      if (Object.hasOwn(a, k) !== Object.hasOwn(b, k) && k !== 'name') fail(`own ${k} differs`);
      expectSame(a[k], b[k], `${at}.${k}`, pairs);
    }
  } else {
    if (Array.isArray(a) && a.length !== b.length) fail(`lengths ${a.length} vs ${b.length}`);
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\u0000') !== kb.join('\u0000')) fail(`keys [${ka}] vs [${kb}]`);
    for (const k of ka) expectSame(a[k], b[k], `${at}.${k}`, pairs);
  }
}

test('the comparison tells -0 from 0, undefined from absent, a hole from undefined and a Map from an object', () => {
  const differ = [
    [-0, 0], [{ a: undefined }, {}], [[, 1], [undefined, 1]], [new Map([['a', 1]]), { a: 1 }], // eslint-disable-line no-sparse-arrays
    [new Set([1]), [1]], [new Date(0), new Date(1)], [1n, 1], [new Float32Array([1]), new Float64Array([1])],
  ];
  for (const [a, b] of differ) expect(() => expectSame(a, b)).toThrow();
  const shared = { x: 1 };
  expect(() => expectSame({ p: shared, q: shared }, { p: { x: 1 }, q: { x: 1 } })).toThrow(/reference/);
  expect(() => expectSame([NaN, { a: [1] }], [NaN, { a: [1] }])).not.toThrow();
});

// ---- every kind ----

/** A fresh value of every kind the codec keeps, nested in each other. */
function everyKind() {
  const shared = { shared: true };
  const cyclic = { name: 'cycle' };
  cyclic.self = cyclic;
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  sparse.extra = 'property';
  const error = new RangeError('out of range', { cause: { code: 42, at: new Date(0) } });
  return {
    json: { s: 'text', n: 1.5, t: true, f: false, z: null, list: [1, 'two', [3]] },
    undefinedMember: undefined,
    list: [undefined, NaN, Infinity, -Infinity, -0, 0],
    big: [0n, -12345678901234567890123n],
    dates: [new Date(Date.UTC(2024, 4, 1, 12)), new Date(NaN), new Date(-8.64e15), new Date(8.64e15)],
    regexps: [/a+b/gi, new RegExp('\\/[^"]*', 'dsuy')],
    map: new Map([[new Date(1), new Set([1, 'x'])], [{ k: 1 }, new Map([[2n, undefined]])], ['s', shared]]),
    set: new Set([undefined, -0, shared, [1, 2]]),
    sparse,
    bytes: new Uint8Array([0, 1, 255]),
    buffer: new Uint8Array([9, 8, 7]).buffer,
    views: [
      new Int8Array([-1, 2]), new Uint8ClampedArray([255]), new Int16Array([-2]), new Uint16Array([65535]),
      new Int32Array([-3]), new Uint32Array([4e9]), new Float32Array([1.5, NaN]), new Float64Array([-0, Math.PI]),
      new BigInt64Array([-5n]), new BigUint64Array([2n ** 64n - 1n]), new DataView(new Uint8Array([1, 2, 3]).buffer),
    ],
    errors: [new Error('plain'), new TypeError('typed'), error],
    lookalikes: { $date: 'not a tag', nested: [{ $ref: 0 }, { $bytes: 'AA==' }] },
    emptyThings: [{}, [], new Map(), new Set(), '', new Uint8Array(0)],
    shared,
    again: shared,
    cyclic,
  };
}

/** Values of one kind each, at the top level. */
const topLevel = () => [undefined, NaN, -0, 10n, new Date(5), /x/g, new Map([[1, 2]]), new Set(['a']), new Float32Array([0.5]), new ArrayBuffer(2), new Error('e'), [, 'hole'], new Uint8Array([1, 2])]; // eslint-disable-line no-sparse-arrays

async function openAndFill(file, options = {}) {
  const map = await PersistentMap.open(file, options);
  await map.set('every', everyKind());
  const tops = topLevel();
  await map.setMany(tops.map((v, i) => [`top:${i}`, v]));
  await map.set('plain', { a: 1, b: [true, null] });
  return map;
}

function expectEveryKind(map) {
  expectSame(map.get('every'), everyKind());
  topLevel().forEach((v, i) => expectSame(map.get(`top:${i}`), v, `top:${i}`));
  expect(map.get('plain')).toEqual({ a: 1, b: [true, null] });
}

test('every kind, nested in each other, comes back exactly from set/get, a reopen and compaction', async () => {
  const file = path.join(dir, 'store.pmap');
  let map = await openAndFill(file);
  expectEveryKind(map);
  const got = map.get('every');
  expect(got.again).toBe(got.shared);
  expect(got.cyclic.self).toBe(got.cyclic);
  expect(map.get('every')).not.toBe(got); // a fresh copy each time
  await map.close();
  map = await PersistentMap.open(file);
  expectEveryKind(map);
  expectEveryKind(map); // from the read cache
  await map.compact();
  await map.close();
  map = await PersistentMap.open(file);
  expectEveryKind(map);
  expect([...map.keys()]).toEqual(['every', ...topLevel().map((_, i) => `top:${i}`), 'plain']);
  await map.close();
});

test('every kind comes back from the sqlite backend, as readable tagged text; plain rows are JSON text as before', async () => {
  const file = path.join(dir, 'store.sqlite');
  let map = await openAndFill(file, { backend: 'sqlite' });
  await map.close();
  map = await PersistentMap.open(file, { backend: 'sqlite' });
  expectEveryKind(map);
  await map.close();
  const { DatabaseSync } = await import('node:sqlite').catch(() => ({}));
  if (DatabaseSync) {
    const db = new DatabaseSync(file);
    const row = (k) => db.prepare('SELECT value, typeof(value) AS type FROM entries WHERE key = ?').get(k);
    expect(row('plain')).toEqual({ value: '{"a":1,"b":[true,null]}', type: 'text' });
    expect(row('top:4')).toEqual({ value: '\u0002{"$date":"1970-01-01T00:00:00.005Z"}', type: 'text' });
    db.close();
  }
});

test('with freeze, a tagged value is a fresh copy each time and plain values stay shared and frozen', async () => {
  const file = path.join(dir, 'store.pmap');
  let map = await openAndFill(file);
  await map.close();
  map = await PersistentMap.open(file, { freeze: true });
  expectSame(map.get('every'), everyKind());
  expect(map.get('every')).not.toBe(map.get('every'));
  expect(map.get('plain')).toBe(map.get('plain'));
  expect(Object.isFrozen(map.get('plain'))).toBe(true);
  await map.close();
});

test('every kind survives a trip through CSV, in JavaScript and through the native CLI, and both write the same text', async () => {
  const file = path.join(dir, 'store.pmap');
  let map = await openAndFill(file);
  let csv = '';
  for await (const chunk of map.exportCSV()) csv += chunk;
  await map.close();
  expect(csv).toContain('""map"":{""$map"":[[{""$date"":""1970-01-01T00:00:00.001Z""}');
  expect(csv).toContain('""nested"":[{""$object"":[[""$ref"",0]]}');

  const viaJs = path.join(dir, 'js.pmap');
  map = await PersistentMap.open(viaJs);
  await map.importCSV(csv);
  expectEveryKind(map);
  await map.close();

  const csvFile = path.join(dir, 'in.csv');
  fs.writeFileSync(csvFile, csv);
  const viaNative = path.join(dir, 'native.pmap');
  execFileSync(NATIVE_CLI, ['import-csv', viaNative, csvFile]);
  expect(execFileSync(NATIVE_CLI, ['export-csv', viaNative], { encoding: 'utf8' })).toBe(csv);
  expect(execFileSync(NATIVE_CLI, ['get', viaNative, 'top:4'], { encoding: 'utf8' })).toBe('{"$date":"1970-01-01T00:00:00.005Z"}\n');
  map = await PersistentMap.open(viaNative);
  expectEveryKind(map);
  await map.close();
});

test('the stored forms are the tagged texts docs/FORMAT.md and the native tests (tests/tagged_value_test.cc) show', () => {
  const shared = { x: 1 };
  const self = { p: shared, q: shared };
  self.self = self;
  const error = new TypeError('boom');
  delete error.stack;
  error.cause = error;
  Object.defineProperty(error, 'cause', { enumerable: false });
  const cases = [
    [undefined, '{"$undefined":null}'],
    [{ a: NaN, b: [-0, -Infinity] }, '{"a":{"$number":"NaN"},"b":[{"$number":"-0"},{"$number":"-Infinity"}]}'],
    [-123456789012345678901234567890n, '{"$bigint":"-123456789012345678901234567890"}'],
    [{ at: new Date(Date.UTC(2024, 4, 1, 12)), bad: new Date(NaN), old: new Date(Date.UTC(-1, 0, 1)) }, '{"at":{"$date":"2024-05-01T12:00:00.000Z"},"bad":{"$date":null},"old":{"$date":"-000001-01-01T00:00:00.000Z"}}'],
    [(() => { const s = new Set([1, 'x']); s.add(s); return new Map([[new Date(0), s]]); })(), '{"$map":[[{"$date":"1970-01-01T00:00:00.000Z"},{"$set":[1,"x",{"$ref":2}]}]]}'],
    [Object.assign([1, , , undefined, ,], { extra: true }), '{"$array":[5,[[0,1],[3,{"$undefined":null}],["extra",true]]]}'], // eslint-disable-line no-sparse-arrays
    [{ o: { $date: 'not a date' }, r: /a+\/b/gi }, '{"o":{"$object":[["$date","not a date"]]},"r":{"$regexp":["a+\\\\/b","gi"]}}'],
    [[{ n: new Uint8Array([0, 1, 255]) }.n, new ArrayBuffer(0), new Float64Array([1]), new DataView(new Uint8Array([1, 2]).buffer)], '[{"$bytes":"AAH/"},{"$arraybuffer":""},{"$float64array":"AAAAAAAA8D8="},{"$dataview":"AQI="}]'],
    [error, '{"$error":{"name":"TypeError","message":"boom","cause":{"$ref":0}}}'],
    [self, '{"p":{"x":1},"q":{"$ref":1},"self":{"$ref":0}}'],
  ];
  for (const [value, text] of cases) {
    expect(jsonCodec.encode(value)).toBe(`\u0002${text}`);
    expectSame(jsonCodec.decode(`\u0002${text}`), value);
  }
});

test('plain JSON values are stored as their JSON text, byte for byte as before', () => {
  for (const v of [{ a: 1, b: [1, 'x', { c: null }] }, [], 'text', 0, { $date: 'x' }, [[[]]]]) {
    expect(jsonCodec.encode(v)).toBe(JSON.stringify(v));
  }
  const bytes = new Uint8Array([1, 2]);
  expect(jsonCodec.encode(bytes)).toBe(bytes);
});

// ---- random values ----

/** A random value of every kind, with shared and cyclic references. */
function randomRich(rand, depth, pool) {
  const leaf = () => rand.pick([
    () => rand.int(1000) - 500, () => rand() * 1e6, () => -0, () => NaN, () => Infinity, () => undefined, () => null,
    () => rand() < 0.5, () => `s${rand.int(100)}\u00e9"\\`, () => BigInt(rand.int(1e9)) * 10n ** 20n, () => new Date(rand.int(2e12)),
    () => new Date(NaN), () => new RegExp(`a{${rand.int(5)}}`, rand.pick(['', 'g', 'imu'])), () => new Uint8Array([rand.int(256), rand.int(256)]),
    () => new Float64Array([rand()]), () => new BigInt64Array([BigInt(rand.int(100))]), () => new Uint16Array([rand.int(65536)]).buffer,
    () => new DataView(new ArrayBuffer(3)), () => new Error(`e${rand.int(9)}`), () => ({ [`$k${rand.int(3)}`]: rand.int(9) }),
  ])();
  if (depth > 3 || rand() < 0.3) {
    if (pool.length > 0 && rand() < 0.15) return rand.pick(pool); // shared, or cyclic if an ancestor
    return leaf();
  }
  const n = rand.int(4);
  const kind = rand.int(5);
  const container = kind === 0 ? [] : kind === 1 ? {} : kind === 2 ? new Map() : kind === 3 ? new Set() : new Array(n + 2);
  pool.push(container);
  for (let i = 0; i < n; i++) {
    const v = randomRich(rand, depth + 1, pool);
    if (kind === 0) container.push(v);
    else if (kind === 1) container[`k${i}`] = v;
    else if (kind === 2) container.set(rand() < 0.5 ? `k${i}` : randomRich(rand, 4, pool), v);
    else if (kind === 3) container.add(v);
    else container[rand.int(n + 2)] = v; // a sparse array
  }
  return container;
}

test('random values of every kind, with shared and cyclic references, survive a reopen equal to structuredClone of the original', async () => {
  const rand = prng(16);
  const file = path.join(dir, 'store.pmap');
  const values = Array.from({ length: 300 }, () => randomRich(rand, 0, []));
  let map = await PersistentMap.open(file);
  await map.setMany(values.map((v, i) => [`k${i}`, v]));
  await map.close();
  map = await PersistentMap.open(file);
  values.forEach((v, i) => {
    const clone = structuredClone(v);
    try {
      expectSame(map.get(`k${i}`), clone);
    } catch (err) {
      throw new Error(`k${i}: ${err.message}\n${jsonCodec.encode(v)}`);
    }
  });
  await map.close();
});

// ---- what cannot be kept ----

class Point {
  constructor() {
    this.x = 1;
  }
}
class AppError extends Error {}

const refused = [
  ['a function', () => ({ a: { f() {} } }), /value\.a\.f is a function/],
  ['a symbol in a Set', () => ({ s: new Set([1, Symbol('s')]) }), /value\.s\[1\] is a symbol/],
  ['a function as a Map value', () => new Map([['k', () => 1]]), /value\[0\] is a function/],
  ['a class instance', () => ({ p: new Point() }), /value\.p is a Point, which cannot be stored/],
  ['an Error subclass', () => [new AppError('x')], /value\[0\] is a AppError.*would come back as its base class/],
  ['a WeakMap', () => ({ w: new WeakMap() }), /value\.w is a WeakMap/],
  ['a Blob', () => ({ file: new Blob(['x']) }), /value\.file is a Blob.*store its bytes: new Uint8Array\(await blob\.arrayBuffer\(\)\)/],
  ['a view of a SharedArrayBuffer', () => ({ v: new Int32Array(new SharedArrayBuffer(4)) }), /value\.v is a view of a SharedArrayBuffer/],
  ['a SharedArrayBuffer', () => ({ b: new SharedArrayBuffer(4) }), /value\.b is a SharedArrayBuffer/],
  ['a Promise', () => [Promise.resolve(1)], /value\[0\] is a Promise/],
  ['a function deep in an error cause', () => new Error('e', { cause: { f: () => 1 } }), /value\.cause\.f is a function/],
  ['Map keys nested past the limit', () => {
    let v = 1;
    for (let i = 0; i < 400; i++) v = new Map([[v, 1]]);
    return v;
  }, /nests arrays and objects more than 1000 levels deep \(in its stored form\)/],
];

describe('what cannot be kept is refused with code INVALID, naming its path, and changes nothing', () => {
  test.each(refused)('%s', async (_name, make, message) => {
    const file = path.join(dir, 'store.pmap');
    let map = await PersistentMap.open(file);
    await map.set('keep', { at: new Date(0) });
    await map.flush();
    const size = fs.statSync(file).size;
    await expectEveryWriteRefuses(map, make, message);
    await map.close();
    expect(fs.statSync(file).size).toBe(size);
    map = await PersistentMap.open(file);
    expect([...map.keys()]).toEqual(['keep']);
    expectSame(map.get('keep'), { at: new Date(0) });
    await map.close();
  });
});

test('a tagged value that another program wrote wrong reads as CORRUPT naming its key', async () => {
  const file = path.join(dir, 'store.pmap');
  execFileSync(NATIVE_CLI, ['set', file, 'ok', '{"$date":"2024-05-01T12:00:00.000Z"}']);
  const bad = new TextEncoder().encode('\u0002{"$date":"yesterday"}');
  const log = fs.readFileSync(file);
  let map = await PersistentMap.open(file);
  expectSame(map.get('ok'), new Date(Date.UTC(2024, 4, 1, 12)));
  await map.close();
  expect(log.length).toBeGreaterThan(0);
  map = await PersistentMap.open(file, { codec: { encode: (v) => v, decode: (b) => b } });
  await map.set('bad', bad);
  await map.close();
  map = await PersistentMap.open(file);
  expect(() => map.get('bad')).toThrow(expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/key "bad" is not JSON text or a tagged value \(tagged value: \$date needs an ISO 8601 time/) }));
  await map.close();
});

test('the checked-in values log (tests/data/golden_values_v1.pmap) opens with these values, and they encode to its bytes', async () => {
  const file = path.join(dir, 'golden.pmap');
  fs.copyFileSync(fileURLToPath(new URL('../data/golden_values_v1.pmap', import.meta.url)), file);
  const map = await PersistentMap.open(file, { recovery: 'strict' });
  const collections = (() => {
    const set = new Set([1, 'x']);
    set.add(set);
    return new Map([[new Date(0), set], ['o', { $ref: 0 }]]);
  })();
  const shared = { x: 1 };
  const self = { p: shared, q: shared };
  self.self = self;
  const error = new RangeError('boom', { cause: { code: 42 } });
  delete error.stack;
  const expected = {
    plain: { name: 'Ada', tags: ['x'] },
    lookalike: { $date: 'not a tag' },
    bytes: new Uint8Array([0, 255]),
    undefined,
    numbers: [NaN, -0, Infinity, -12345678901234567890n],
    task: { title: 'x', due: undefined, at: new Date(Date.UTC(2024, 4, 1, 12)), re: /a+/gi },
    collections,
    arrays: [Object.assign([1, , ,], { extra: true }), new Uint8Array([1, 2]).buffer, new Float32Array([1.5]), new DataView(new Uint8Array([1]).buffer), new Uint8Array([255])], // eslint-disable-line no-sparse-arrays
    error,
    shared: self,
  };
  expect([...map.keys()]).toEqual(Object.keys(expected));
  let csv = '';
  for await (const chunk of map.exportCSV()) csv += chunk;
  const again = await PersistentMap.open(path.join(dir, 'again.pmap'));
  for (const [key, value] of Object.entries(expected)) {
    expectSame(map.get(key), value, key);
    await again.set(key, value);
  }
  let againCsv = '';
  for await (const chunk of again.exportCSV()) againCsv += chunk;
  expect(againCsv).toBe(csv);
  await again.close();
  await map.close();
  expect(fs.readFileSync(path.join(dir, 'again.pmap')).subarray(32)).toEqual(fs.readFileSync(file).subarray(32));
});
