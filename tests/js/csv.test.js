// CSV export and import (js/csv.js through PersistentMap): exact round trips
// of hostile text, the same bytes as the native CLI's export-csv, errors
// that name line and column and change nothing, atomic imports (also when
// the import is too big for one record), formula neutralisation, streaming
// of a million entries, and every accepted kind of input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { MemoryBackend, PersistentMap } from '../../js/index.js';
import { CsvParser } from '../../js/csv.js';
import { FaultBackend } from './fault_backend.js';
import { makeTempDir, removeTempDir, uniqueName } from './helpers.js';

const NATIVE = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

let dir;
beforeEach(() => {
  dir = makeTempDir('pmap-csv-');
});
afterEach(() => removeTempDir(dir));

async function text(iterable) {
  let out = '';
  for await (const chunk of iterable) out += chunk;
  return out;
}

function contents(map) {
  return Array.from(map.entries());
}

const HOSTILE = [
  ['plain', 'value'],
  ['with,comma', 'a,b'],
  ['with "quotes"', 'she said "hi"'],
  ['line\nbreak', 'cr\r\nlf\rcr alone\n'],
  [' padded ', ' lead and trail '],
  [' lead', 'trail '],
  ['', ''],
  ['__proto__', { __proto__: null, constructor: 'x', ['__proto__']: { polluted: true } }],
  ['constructor', ['prototype', '__proto__']],
  ['unicode ключ 🔑 مفتاح', 'emoji 🎉, CJK 漢字, combining é, RTL שלום, \u2028\u2029'],
  ['=1+1', '=HYPERLINK("http://x")'],
  ['-1', -1],
  ['+1', '@SUM(A1)'],
  ['\ttab', '\rcr'],
  ['numbers', [0, -0.5, 1e21, 12345678901234, null, true, false]],
  ['nested', { a: { b: [{ c: '"' }] }, 'k,"\n': 1 }],
  ['null', null],
  ['bytes', new Uint8Array([0, 1, 2, 255, 34, 44, 10])],
  ['empty bytes', new Uint8Array(0)],
  ['empty object', {}],
];

async function openFilled(file, entries = HOSTILE, options = {}) {
  const map = await PersistentMap.open(file, options);
  for (const [k, v] of entries) await map.set(k, v);
  return map;
}

describe('round trips', () => {
  test('hostile keys and values come back exactly, in order', async () => {
    const map = await openFilled(path.join(dir, 'a.pmap'));
    await map.delete('plain');
    await map.set('plain', 'moved to the end');
    const csv = await text(map.exportCSV());
    const copy = await PersistentMap.open(path.join(dir, 'b.pmap'));
    expect(await copy.importCSV(csv)).toBe(HOSTILE.length);
    expect(contents(copy)).toEqual(contents(map));
    expect(Object.getPrototypeOf(copy.get('__proto__'))).toBe(Object.prototype);
    expect(Object.keys(copy.get('__proto__'))).toEqual(['constructor', '__proto__']);
    expect(copy.get('bytes')).toBeInstanceOf(Uint8Array);
    expect(copy.get('numbers')[1]).toBe(-0.5);
    await copy.close();
    const reopened = await PersistentMap.open(path.join(dir, 'b.pmap'));
    expect(contents(reopened)).toEqual(contents(map));
    await reopened.close();
    await map.close();
  });

  test('the parser gives the same rows whatever the chunk boundaries', () => {
    const csv = 'key,value\r\n"a ""q""\r\n,x","1"\r\nplain,"[1,2]"\n\n"",""\r\n\r\nlast,"\u00e9\ud83d\ude00"';
    const parse = (chunks) => {
      const rows = [];
      const parser = new CsvParser((row, starts) => rows.push([row, starts]));
      for (const c of chunks) parser.feed(c);
      parser.finish();
      return rows;
    };
    const whole = parse([csv]);
    expect(whole.map(([r]) => r)).toEqual([
      ['key', 'value'], ['a "q"\r\n,x', '1'], ['plain', '[1,2]'], ['', ''], ['last', '\u00e9\ud83d\ude00'],
    ]);
    expect(whole[2][1]).toEqual([[4, 1], [4, 7]]);
    for (let i = 0; i <= csv.length; i++) {
      for (let j = i; j <= csv.length; j += 7) {
        expect(parse([csv.slice(0, i), csv.slice(i, j), csv.slice(j)])).toEqual(whole);
      }
    }
  });

  test('a custom codec round-trips through $raw and $bytes', async () => {
    const codec = {
      encode: (v) => new Uint8Array([0xff, ...new TextEncoder().encode(JSON.stringify(v))]),
      decode: (b) => JSON.parse(new TextDecoder().decode(b.subarray(1))),
    };
    const map = await openFilled(path.join(dir, 'c.pmap'), [['a', { x: 1 }], ['b', 'text']], { codec });
    const csv = await text(map.exportCSV());
    expect(csv).toMatch(/^a,"\{""\$raw"":""/m);
    const copy = await PersistentMap.open(uniqueName(), { backend: 'memory', codec });
    await copy.importCSV(csv);
    expect(contents(copy)).toEqual([['a', { x: 1 }], ['b', 'text']]);
    // A plain JSON value goes through the codec.
    await copy.importCSV('key,value\r\nc,[3]\r\n');
    expect(copy.get('c')).toEqual([3]);
    await Promise.all([map.close(), copy.close()]);
  });
});

describe('same files as the native CLI', () => {
  beforeAll(() => {
    if (!fs.existsSync(NATIVE)) throw new Error(`${NATIVE} is missing: run scripts/setup.sh (or cmake --build build --target persistent-map-native)`);
  });
  const native = (...args) => spawnSync(NATIVE, args, { encoding: 'utf8' });

  test.each([false, true])('export writes the bytes the native export-csv writes (neutralizeFormulas %s)', async (neutralizeFormulas) => {
    const file = path.join(dir, 'n.pmap');
    const map = await openFilled(file);
    const js = await text(map.exportCSV({ neutralizeFormulas }));
    await map.close();
    const out = path.join(dir, 'native.csv');
    const r = native('export-csv', file, out, ...(neutralizeFormulas ? ['--neutralize-formulas'] : []));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(js).toBe(fs.readFileSync(out, 'utf8'));
  });

  test('each imports the other\'s export', async () => {
    const file = path.join(dir, 'n.pmap');
    const map = await openFilled(file);
    const expected = contents(map);
    const csvPath = path.join(dir, 'js.csv');
    await pipeline(Readable.from(map.exportCSV()), fs.createWriteStream(csvPath));
    await map.close();

    const nativeStore = path.join(dir, 'native.pmap');
    expect(native('import-csv', nativeStore, csvPath).status).toBe(0);
    const back = await PersistentMap.open(nativeStore);
    // the native CLI stores JSON objects with sorted keys; compare as values.
    expect(back.size).toBe(expected.length);
    expect(Array.from(back.keys())).toEqual(expected.map(([k]) => k));
    for (const [k, v] of expected) {
      if (v === null || typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v)) expect(back.get(k)).toEqual(v);
    }
    await back.close();

    const nativeCsv = path.join(dir, 'native.csv');
    expect(native('export-csv', nativeStore, nativeCsv).status).toBe(0);
    const again = await PersistentMap.open(path.join(dir, 'again.pmap'));
    await again.importCSV(fs.createReadStream(nativeCsv));
    expect(Array.from(again.keys())).toEqual(expected.map(([k]) => k));
    expect(again.get('nested')).toEqual(HOSTILE.find(([k]) => k === 'nested')[1]);
    await again.close();
  });
});

describe('formula neutralisation', () => {
  test('is off by default and quotes every formula-like cell when on', async () => {
    const map = await PersistentMap.open(uniqueName(), { backend: 'memory' });
    await map.setMany([['=a', '=1'], ['+b', '@c'], ['-x', -3], ['\tt', '\rr'], ['safe', 'a=b']]);
    expect(await text(map.exportCSV())).toBe(
      'key,value\r\n=a,"""=1"""\r\n+b,"""@c"""\r\n-x,-3\r\n\tt,"""\\rr"""\r\nsafe,"""a=b"""\r\n');
    expect(await text(map.exportCSV({ neutralizeFormulas: true }))).toBe(
      'key,value\r\n"\'=a","""=1"""\r\n"\'+b","""@c"""\r\n"\'-x","\'-3"\r\n"\'\tt","""\\rr"""\r\nsafe,"""a=b"""\r\n');
    expect(() => map.exportCSV({ neutralise: true })).toThrow(TypeError);
    expect(() => map.exportCSV({ neutralizeFormulas: 1 })).toThrow(TypeError);
    await map.close();
  });
});

describe('bad input names the place and changes nothing', () => {
  const cases = [
    ['', /CSV line 1: the input is empty; expected the header 'key,value'/],
    ['k,v\r\na,1\r\n', /CSV line 1: the header must be exactly 'key,value'/],
    ['key,value\r\na,1,2\r\n', /CSV line 2: row has 3 fields but the header has 2/],
    ['key,value\r\na\r\n', /CSV line 2: row has 1 field but the header has 2/],
    ['key,value\r\nab"c,1\r\n', /CSV line 2, column 3: quote '"' inside an unquoted field/],
    ['key,value\r\n"a"x,1\r\n', /CSV line 2, column 4: unexpected character 'x' after closing quote/],
    ['key,value\r\na,1\r\n"b,2\r\n', /CSV line 4, column 1: unterminated quoted field starting at line 3, column 1/],
    ['key,value\r\na,1\rb,2\r\n', /CSV line 2, column 4: carriage return \(CR\) not followed by LF outside quotes/],
    ['key,value\r\na,1\r\n"multi\nline",{bad}\r\n', /CSV line 4, column 7: value is not valid JSON/],
    ['key,value\r\na,"{""$bytes"":""!!""}"\r\n', /CSV line 2, column 3: the \$bytes value is not valid base64/],
    ['key,value\r\na,"{""$raw"":""/w==""}"\r\n', /CSV line 2, column 3: the \$raw value is neither JSON nor bytes/],
    ['key,value\r\n\ud800,1\r\n', /CSV line 2, column 1: key contains a lone UTF-16 surrogate/],
    ['key,value\r\na,1e999\r\n', /CSV line 2, column 3: value has a number out of range \(1e999, beyond a double\) or -0/],
    ['key,value\r\na,-0\r\n', /CSV line 2, column 3: value has a number out of range \(1e999, beyond a double\) or -0/],
    ['key,value\r\na,"{""$date"":""yesterday""}"\r\n', /CSV line 2, column 3: value is not valid tagged JSON \(tagged value: \$date needs an ISO 8601 time or null\)/],
    ['key,value\r\na,"{""$ref"":0}"\r\n', /CSV line 2, column 3: value is not valid tagged JSON \(tagged value: \$ref 0 names no object before it\)/],
    [new Uint8Array([...new TextEncoder().encode('key,value\r\na,"'), 0xc3, 0x28, 34]), /not valid UTF-8/],
  ];
  test.each(cases)('%j', async (input, message) => {
    const map = await PersistentMap.open(path.join(dir, 'bad.pmap'));
    await map.setMany([['keep', 1], ['a', 'old']]);
    const before = map.stats();
    const err = await map.importCSV(input).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(message);
    expect(err.code).toBe('INVALID');
    expect(contents(map)).toEqual([['keep', 1], ['a', 'old']]);
    expect(map.stats().logBytes).toBe(before.logBytes);
    await map.close();
  });

  test('non-CSV sources are a TypeError', async () => {
    const map = await PersistentMap.open(uniqueName(), { backend: 'memory' });
    await expect(map.importCSV(42)).rejects.toThrow(TypeError);
    await expect(map.importCSV([1])).rejects.toThrow(/not a string or bytes/);
    await map.close();
  });
});

describe('atomic imports', () => {
  test('a failed append rejects the import and leaves the store as it was', async () => {
    const name = uniqueName();
    const fb = new FaultBackend(new MemoryBackend(name));
    const map = await PersistentMap.open(name, { backend: fb });
    await map.set('keep', 1);
    fb.failNth('append', 1);
    await expect(map.importCSV('key,value\r\na,1\r\nb,2\r\n')).rejects.toMatchObject({ code: 'IO' });
    expect(contents(map)).toEqual([['keep', 1]]);
    await map.close();
    const reopened = await PersistentMap.open(name, { backend: 'memory' });
    expect(contents(reopened)).toEqual([['keep', 1]]);
    await reopened.close();
  });

  test('an import larger than one record replaces the log with a snapshot, atomically', async () => {
    const file = path.join(dir, 'big.pmap');
    const options = { maxRecordSize: 4096 };
    const rows = Array.from({ length: 500 }, (_, i) => `k${i},"{""i"":${i},""pad"":""${'x'.repeat(20)}""}"`);
    const csv = `key,value\r\n${rows.join('\r\n')}\r\n`;

    // A fault on the switch: nothing changes, the store stays usable.
    const fb = new FaultBackend(new MemoryBackend(uniqueName()));
    const faulty = await PersistentMap.open('x', { ...options, backend: fb });
    await faulty.set('keep', 1);
    fb.failNth('replace', 1);
    const concurrent = faulty.set('same tick', 2);
    await expect(faulty.importCSV(csv)).rejects.toMatchObject({ code: 'IO' });
    await expect(concurrent).resolves.toBeUndefined();
    expect(contents(faulty)).toEqual([['keep', 1], ['same tick', 2]]);
    await faulty.set('after', 3);
    expect(faulty.size).toBe(3);
    await faulty.close();

    // Without faults: one switch, every row, and earlier writes kept in order.
    const map = await PersistentMap.open(file, options);
    await map.set('first', 0);
    const replaces = map.stats().generation;
    expect(await map.importCSV(csv)).toBe(500);
    expect(map.stats().generation).toBe(replaces + 1);
    await map.set('last', 1);
    await map.close();
    const reopened = await PersistentMap.open(file, options);
    expect(reopened.size).toBe(502);
    expect(reopened.at(0)).toEqual(['first', 0]);
    expect(reopened.get('k499')).toEqual({ i: 499, pad: 'x'.repeat(20) });
    expect(reopened.at(-1)).toEqual(['last', 1]);
    await reopened.close();
  });

  test('a row too big for any record is refused before anything changes', async () => {
    const map = await PersistentMap.open(uniqueName(), { backend: 'memory', maxRecordSize: 64 });
    await expect(map.importCSV(`key,value\r\na,1\r\nb,"""${'y'.repeat(100)}"""\r\n`))
      .rejects.toThrow(/CSV line 3: key and value take 103 bytes, more than maxRecordSize/);
    expect(map.size).toBe(0);
    await map.close();
  });
});

describe('streaming', () => {
  test('a million entries go out in bounded chunks and come back from a file stream', async () => {
    const n = 1_000_000;
    const map = await PersistentMap.open(path.join(dir, 'm.pmap'));
    for (let i = 0; i < n; i += 50_000) {
      await map.setMany(Array.from({ length: 50_000 }, (_, j) => [`key${i + j}`, { n: i + j, s: 'value text' }]));
    }
    let chunks = 0;
    let largest = 0;
    const csvPath = path.join(dir, 'm.csv');
    await pipeline(Readable.from((async function* count() {
      for await (const chunk of map.exportCSV()) {
        chunks++;
        largest = Math.max(largest, chunk.length);
        yield chunk;
      }
    })()), fs.createWriteStream(csvPath));
    expect(chunks).toBeGreaterThan(500);
    expect(largest).toBeLessThan(70_000);
    await map.close();

    const copy = await PersistentMap.open(path.join(dir, 'copy.pmap'));
    expect(await copy.importCSV(fs.createReadStream(csvPath, { highWaterMark: 4096 }))).toBe(n);
    expect(copy.at(n - 1)).toEqual([`key${n - 1}`, { n: n - 1, s: 'value text' }]);
    await copy.close();
  }, 120_000);

  test('every kind of source is read, and a BOM is dropped', async () => {
    const csv = '\ufeffkey,value\r\nk,"[""é""]"\r\n';
    const bytes = new TextEncoder().encode(csv);
    const sources = [
      csv,
      bytes,
      bytes.buffer,
      new Blob([bytes.subarray(0, 13), bytes.subarray(13)]),
      new Blob([csv]).stream(),
      Readable.from([bytes.subarray(0, 17), bytes.subarray(17)]), // splits 'é'
      (async function* gen() { yield 'key,val'; yield 'ue\r\nk,"[""é""]"'; })(),
      ['key,value\n', 'k,"[""é""]"'],
    ];
    for (const source of sources) {
      const map = await PersistentMap.open(uniqueName(), { backend: 'memory' });
      expect(await map.importCSV(source)).toBe(1);
      expect(contents(map)).toEqual([['k', ['é']]]);
      await map.close();
    }
  });
});
