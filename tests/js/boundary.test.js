// The boundary between JavaScript and the WebAssembly core: a group commit
// is one call into WebAssembly, and the maximum record size is the core's
// rule (src/record_size.h), exact at the byte and the same as in the native
// build (tests/op_stream_test.cc draws the same line).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { Core, RECOVERY_MODES, loadCore } from '../../js/core.js';

let dir;
let file;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-boundary-'));
  file = path.join(dir, 'store.pmap');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

// Stores values as their raw bytes, so that a value's size is its length.
const rawCodec = { encode: (v) => v, decode: (b) => b };
const MAX = 1024;

describe('the maximum record size', () => {
  test('a PUT record of exactly maxRecordSize is stored and one byte more is refused', async () => {
    // key 'k': payload = key length (1) + key (1) + value, as docs/FORMAT.md says.
    const map = await PersistentMap.open(file, { maxRecordSize: MAX, codec: rawCodec });
    await map.set('k', new Uint8Array(MAX - 2).fill(7));
    const refused = map.set('k', new Uint8Array(MAX - 1));
    await expect(refused).rejects.toMatchObject({ name: 'RangeError' });
    await expect(refused).rejects.toThrow(
      'key and value take 1024 bytes, more than maxRecordSize (1024) allows: their record would take 1025 bytes');
    expect(map.get('k')).toEqual(new Uint8Array(MAX - 2).fill(7)); // nothing changed
    await map.close();
    const reopened = await PersistentMap.open(file, { maxRecordSize: MAX, codec: rawCodec });
    expect(reopened.get('k').length).toBe(MAX - 2);
    await reopened.close();
  });

  test('every payload from 1012 to 1024 bytes is accepted with the default codec', async () => {
    // A string of n characters is stored as n + 2 bytes of JSON text.
    const map = await PersistentMap.open(file, { maxRecordSize: MAX });
    for (let payload = 1012; payload <= MAX; payload++) {
      await map.set('k', 'x'.repeat(payload - 4));
    }
    await expect(map.set('k', 'x'.repeat(MAX - 3))).rejects.toThrow(/their record would take 1025 bytes/);
    expect(map.get('k')).toBe('x'.repeat(MAX - 4));
    await map.close();
  });

  test('a BATCH record of exactly maxRecordSize is stored and one byte more is refused', async () => {
    // count (1) + op (1) + key length (1) + key (1) + value length (2) + value.
    const map = await PersistentMap.open(file, { maxRecordSize: MAX, codec: rawCodec });
    await map.setMany([['k', new Uint8Array(MAX - 6)]]);
    await expect(map.setMany([['k', new Uint8Array(MAX - 5)], ['j', new Uint8Array(0)]]))
      .rejects.toThrow(/record of 1029 bytes, more than maxRecordSize \(1024\)/);
    await expect(map.setMany([['k', new Uint8Array(MAX - 5)]]))
      .rejects.toThrow('the batch would be a record of 1025 bytes, more than maxRecordSize (1024); split it');
    expect(map.has('j')).toBe(false);
    await map.deleteMany(['k']);
    expect(map.size).toBe(0);
    await map.close();
  });

  test('a key alone that makes a DELETE record over the maximum is refused', async () => {
    const map = await PersistentMap.open(file, { maxRecordSize: MAX, codec: rawCodec });
    await expect(map.set('k'.repeat(MAX - 1), new Uint8Array(0))).rejects.toThrow(/would take 1025 bytes/);
    await map.set('k'.repeat(MAX - 2), new Uint8Array(0));
    await map.close();
  });
});

describe('calls into WebAssembly', () => {
  let calls = [];
  let restore;
  beforeAll(async () => {
    // The module PersistentMap.open uses by default: count every call of
    // its Engine's methods.
    const proto = (await loadCore()).Engine.prototype;
    const originals = new Map();
    for (const name of Object.getOwnPropertyNames(proto)) {
      const f = Object.getOwnPropertyDescriptor(proto, name).value;
      if (name === 'constructor' || typeof f !== 'function') continue;
      originals.set(name, f);
      proto[name] = function counted(...args) {
        calls.push(name);
        return f.apply(this, args);
      };
    }
    restore = () => { for (const [name, f] of originals) proto[name] = f; };
  });
  afterAll(() => restore());

  test.each(['memory', 'fs'])('a group commit on %s is one call', async (backend) => {
    const map = await PersistentMap.open(backend === 'fs' ? file : `calls-${process.pid}`, { backend });
    calls = [];
    await map.set('a', 1);
    expect(calls).toEqual(['commit']);
    calls = [];
    await Promise.all([map.set('b', 2), map.set('c', 3), map.set('a', 4), map.delete('b')]);
    expect(calls).toEqual(['commit']);
    calls = [];
    await map.setMany([['d', 5], ['e', 6]]);
    expect(calls).toEqual(['commit']);
    await map.close();
  });
});

describe('recovery modes', () => {
  const options = (recovery) => ({ maxRecordSize: MAX, recovery, compaction: { ratio: 2, minBytes: 0, auto: false } });

  test('the core parses every name JavaScript accepts', async () => {
    const module = await loadCore();
    for (const mode of RECOVERY_MODES) {
      const core = new Core(module, options(mode));
      expect(core.recover(new Uint8Array(0)).ok).toBe(true);
      core.delete();
    }
  });

  test('the core refuses a name it does not know, naming the known ones', async () => {
    const core = new Core(await loadCore(), options('Strict'));
    expect(core.recover(new Uint8Array(0))).toMatchObject({
      ok: false, code: 'INVALID', message: "unknown recovery mode 'Strict' (tolerate-torn-tail, strict or salvage)",
    });
    core.delete();
  });
});
