// One format, two builds: stores written by the native CLI
// (build/persistent-map-native) open in Node with the same contents and
// order, stores written by Node pass its `verify` and its `dump` shows the
// same entries in the same order, and the two respect each other's lock. Needs `cmake --build build` first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { holdStore, makeTempDir, removeTempDir } from './helpers.js';

const NATIVE = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

let dir;
let file;
beforeAll(() => {
  if (!fs.existsSync(NATIVE)) {
    throw new Error(`${NATIVE} is missing: run scripts/setup.sh (it installs what is missing and builds build/persistent-map-native), or cmake -S . -B build && cmake --build build --target persistent-map-native`);
  }
});
beforeEach(() => {
  dir = makeTempDir('pmap-cross-');
  file = path.join(dir, 'store.pmap');
});
afterEach(() => removeTempDir(dir));

/** Runs build/persistent-map-native; returns { status, stdout, stderr }. */
function native(...args) {
  const r = spawnSync(NATIVE, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error) throw r.error;
  return r;
}

/** Runs build/persistent-map-native and expects exit 0. */
function nativeOk(...args) {
  const r = native(...args);
  if (r.status !== 0) throw new Error(`persistent-map-native ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The entries the native `dump` prints, as [key, value] with bytes as {$bytes}. */
function dump(f) {
  return nativeOk('dump', f).split('\n').filter((l) => l !== '').map((line) => {
    const { key, value } = JSON.parse(line);
    return [key, value];
  });
}

/** Node's view of the entries in the form dump prints them. */
function asDumped(entries) {
  return entries.map(([k, v]) => [k, v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v]);
}

test('a store written by the native CLI opens in Node with the same contents and order', async () => {
  nativeOk('set', file, 'first', '{"a":1,"nested":{"list":[1,"two",null,true],"é":"ü"}}');
  nativeOk('set', file, 'ключ', '"значение 😀 中文"');
  nativeOk('set', file, 'empty', '""');
  nativeOk('set', file, 'bytes', '{"$bytes":"AAEC/w=="}');
  nativeOk('set', file, 'no bytes', '{"$bytes":""}');
  nativeOk('set', file, 'number', '-12.5');
  nativeOk('set', file, '😀', 'null');
  nativeOk('set', file, 'first', '[]'); // an update keeps its place
  nativeOk('del', file, 'empty');
  nativeOk('set', file, 'empty', '"back, at the end"'); // a re-insert goes last
  nativeOk('set', file, 'gone', '1');
  nativeOk('del', file, 'gone');

  const map = await PersistentMap.open(file);
  expect([...map]).toStrictEqual([
    ['first', []],
    ['ключ', 'значение 😀 中文'],
    ['bytes', new Uint8Array([0, 1, 2, 255])],
    ['no bytes', new Uint8Array(0)],
    ['number', -12.5],
    ['😀', null],
    ['empty', 'back, at the end'],
  ]);
  expect(map.at(1)).toStrictEqual(['ключ', 'значение 😀 中文']);
  expect(map.recovery.damaged).toEqual([]);
  await map.close();
});

test('a store written by Node passes the native verify and the native dump shows the same entries in the same order', async () => {
  let map = await PersistentMap.open(file);
  await map.setMany([
    ['a', { name: 'Ada', tags: ['x', 'y'], deep: { n: 1.25, ok: true, none: null } }],
    ['b', 'плюс 😀'],
    ['c', new Uint8Array([255, 0, 1, 2, 3])],
    ['d', ''],
    ['e', 0],
  ]);
  await map.set('f', new Uint8Array(0));
  await map.set('ключ', [1, [2, [3]]]);
  await map.delete('b');
  await map.deleteMany(['d', 'missing']);
  await map.set('a', { replaced: true }); // keeps its place
  await map.set('b', 'back at the end');
  for (let i = 0; i < 50; i++) await map.set('churn', i);
  await map.compact();
  await map.set('after compaction', { é: '中' });
  await map.update('e', (v) => v + 1);
  const expected = asDumped([...map]);
  expect(expected.map(([k]) => k)).toEqual(['a', 'c', 'e', 'f', 'ключ', 'b', 'churn', 'after compaction']);
  await map.close();

  const verify = native('verify', file);
  expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });
  expect(dump(file)).toEqual(expected);
  expect(nativeOk('stat', file)).toMatch(/generation: 1\b/);
  expect(nativeOk('get', file, 'ключ').trim()).toBe('[1,[2,[3]]]');

  // And back: what the native CLI changes, Node sees.
  nativeOk('set', file, 'from native', '{"x":[1,2]}');
  nativeOk('compact', file);
  map = await PersistentMap.open(file);
  expect(asDumped([...map])).toEqual([...expected, ['from native', { x: [1, 2] }]]);
  await map.close();
});

test('while Node holds a store open, the native set on it fails with exit code 3 (locked)', async () => {
  const map = await PersistentMap.open(file);
  await map.set('k', 'from node');
  const r = native('set', file, 'k', '"from native"');
  expect({ status: r.status, stdoutEmpty: r.stdout === '' }).toEqual({ status: 3, stdoutEmpty: true });
  expect(r.stderr).toMatch(/lock/i);
  // The refused writer changed nothing, and Node's lock is still held.
  expect(map.get('k')).toBe('from node');
  expect(native('set', file, 'k3', '1').status).toBe(3);
  await map.close();

  // Once Node closed it, the native CLI writes; and Node opens it again after it.
  nativeOk('set', file, 'k2', '"from native"');
  const again = await PersistentMap.open(file);
  expect([...again]).toStrictEqual([['k', 'from node'], ['k2', 'from native']]);
  await again.close();
});

test('a Node writer killed with SIGKILL leaves no lock behind, for the native CLI or for Node', async () => {
  const holder = await holdStore(file);
  expect(native('set', file, 'k', '1').status).toBe(3);
  await holder.kill();
  nativeOk('set', file, 'k', '2');
  const again = await PersistentMap.open(file);
  expect([...again]).toStrictEqual([['k', 2]]);
  await again.close();
  expect(fs.readdirSync(dir)).toEqual(['store.pmap']);
});
