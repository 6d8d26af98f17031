// The default codec against hostile values: getters that answer differently
// each time, Proxies (also revoked ones), toJSON, nesting far deeper than
// the stack. Each property is read once by the walk that writes the stored
// text (what it stores is what it checked); whatever it refuses is a
// TypeError with code 'INVALID' naming the path, through set, setMany and
// update alike, and the store is left as it was. (Rich values, which JSON
// cannot hold but the codec keeps: rich_values.test.js.)
import fs from 'node:fs';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { MAX_DEPTH, jsonCodec } from '../../js/codec.js';
import { expectEveryWriteRefuses, makeTempDir, removeTempDir } from './helpers.js';

let dir;
let file;
beforeEach(() => {
  dir = makeTempDir('pmap-codec-');
  file = path.join(dir, 'store.pmap');
});
afterEach(() => removeTempDir(dir));

/** Arrays and objects nested n deep around `leaf`. */
function nested(n, leaf) {
  let v = leaf;
  for (let i = 0; i < n; i++) v = i % 2 ? { d: v } : [v];
  return v;
}

/** A fresh value each call: several cases read their getters only once. */
const hostile = [
  ['a getter that throws', () => ({ a: { get b() { throw new Error('getter failed'); } } }), /value\.a\.b could not be read: getter failed/],
  ['a getter that returns a function', () => ({ get f() { return () => 1; } }), /value\.f is a function/],
  ['a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return { p: proxy };
  }, /value\.p could not be read: .*revoked/],
  ['a revoked Proxy as the value', () => {
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    return proxy;
  }, /value could not be read: .*revoked/],
  ['a Proxy whose ownKeys trap throws', () => ({ p: new Proxy({}, { ownKeys() { throw new Error('no keys'); } }) }), /value\.p could not be read: no keys/],
  ['a thrown value that cannot be shown', () => ({ get x() { throw Object.create(null); } }), /value\.x could not be read: an exception that cannot be shown/],
  ['an own toJSON method', () => ({ when: { toJSON: () => 'then' } }), /value\.when\.toJSON is a function/],
  ['a key that needs quoting in the path', () => ({ 'a b': { c: Symbol('s') } }), /value\["a b"\]\.c is a symbol/],
  ['a getter that returns a class instance', () => ({ get p() { return new (class Point {})(); } }), /value\.p is a Point, which cannot be stored/],
  [`nesting ${MAX_DEPTH + 1} deep`, () => nested(MAX_DEPTH + 1, 1), new RegExp(`value\\[0\\]\\.d.*…\\(\\d+ more\\)….* nests arrays and objects more than ${MAX_DEPTH} levels deep`)],
  ['nesting 100,000 deep', () => nested(100000, 1), /nests arrays and objects more than 1000 levels deep/],
];

function snapshot(map) {
  return { entries: [...map], size: map.size, stats: map.stats() };
}

describe('a hostile value is refused with code INVALID, naming its path, and changes nothing', () => {
  test.each(hostile)('%s', async (_name, make, message) => {
    let map = await PersistentMap.open(file);
    await map.set('keep', { ok: true });
    await map.flush();
    const before = snapshot(map);
    const size = fs.statSync(file).size;
    await expectEveryWriteRefuses(map, make, message);
    await map.flush();
    expect(snapshot(map)).toEqual(before);
    await map.close();
    expect(fs.statSync(file).size).toBe(size);
    map = await PersistentMap.open(file);
    expect([...map]).toEqual(before.entries);
    await map.close();
  });
});

test('what a getter or Proxy trap threw is the refusal\'s cause', () => {
  const cause = new Error('getter failed');
  const error = (() => {
    try {
      jsonCodec.encode({ get x() { throw cause; } });
    } catch (e) {
      return e;
    }
    return null;
  })();
  expect(error.cause).toBe(cause);
});

test('each property is read once: a getter that would answer differently the second time stores its first answer', async () => {
  let reads = 0;
  const answers = [{ n: 1 }, undefined];
  const value = {
    get a() {
      return answers[reads++];
    },
  };
  let map = await PersistentMap.open(file);
  await map.set('k', value);
  expect(reads).toBe(1);
  let trapReads = 0;
  const proxy = new Proxy({ b: 2 }, {
    get(target, key) {
      trapReads++;
      return trapReads === 1 ? target[key] : 10n;
    },
  });
  await map.set('p', proxy);
  expect(trapReads).toBe(1);
  await map.close();
  map = await PersistentMap.open(file);
  expect([map.get('k'), map.get('p')]).toEqual([{ a: { n: 1 } }, { b: 2 }]);
  await map.close();
});

test(`values nested ${MAX_DEPTH} deep are stored and read back; the limit is one more`, async () => {
  let map = await PersistentMap.open(file);
  await map.set('deepest', nested(MAX_DEPTH, 'bottom'));
  await expect(map.set('deeper', nested(MAX_DEPTH + 1, 'bottom'))).rejects.toMatchObject({ code: 'INVALID' });
  await map.close();
  map = await PersistentMap.open(file);
  expect(map.get('deepest')).toEqual(nested(MAX_DEPTH, 'bottom'));
  expect(map.has('deeper')).toBe(false);
  await map.close();
});

test('the JSON text is what JSON.stringify writes for plain values', () => {
  const values = [
    0, 1.5, -2e-7, 1e21, 'plain', 'quote " backslash \\ newline \n tab \t', 'é ☃ 😀', 'lone \uD800 surrogate',
    'a string longer than thirty-two characters, "quoted"', true, false, null, [], {}, [1, [2, [3]]],
    { a: 1, 'b c': [true, null], '"k"': { nested: 'x' }, 'a key longer than thirty-two characters': 1 },
    Object.assign(Object.create(null), { n: 1 }),
  ];
  for (const v of values) expect(jsonCodec.encode(v)).toBe(JSON.stringify(v));
});

test('symbol-keyed and non-enumerable properties are left out, as structured clone leaves them out', () => {
  const value = { a: Object.assign([1], { [Symbol('s')]: 2 }), [Symbol('t')]: 3 };
  Object.defineProperty(value, 'hidden', { value: 4, enumerable: false });
  expect(jsonCodec.encode(value)).toBe('{"a":[1]}');
  expect(JSON.stringify(structuredClone(value))).toBe('{"a":[1]}');
});

test('a cycle and a shared object are kept, not refused', () => {
  const a = { b: { c: {} } };
  a.b.c.back = a.b;
  a.again = a.b.c;
  const back = jsonCodec.decode(jsonCodec.encode(a));
  expect(back.b.c.back).toBe(back.b);
  expect(back.again).toBe(back.b.c);
});
