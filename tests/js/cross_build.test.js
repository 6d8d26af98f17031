// One format, two builds: stores written by the native pmap CLI (build/pmap)
// open in Node with the same contents and order, stores written by Node pass
// `pmap verify` and `pmap dump` shows the same entries in the same order,
// and the two respect each other's lock. Needs `cmake --build build` first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { holdStore, makeTempDir, removeTempDir } from './helpers.js';

const PMAP = fileURLToPath(new URL('../../build/pmap', import.meta.url));

let dir;
let file;
beforeAll(() => {
  if (!fs.existsSync(PMAP)) {
    throw new Error(`${PMAP} is missing: run scripts/setup.sh (it installs what is missing and builds build/pmap), or cmake -S . -B build && cmake --build build --target pmap`);
  }
});
beforeEach(() => {
  dir = makeTempDir('pmap-cross-');
  file = path.join(dir, 'store.pmap');
});
afterEach(() => removeTempDir(dir));

/** Runs build/pmap; returns { status, stdout, stderr }. */
function pmap(...args) {
  const r = spawnSync(PMAP, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error) throw r.error;
  return r;
}

/** Runs build/pmap and expects exit 0. */
function pmapOk(...args) {
  const r = pmap(...args);
  if (r.status !== 0) throw new Error(`pmap ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The entries `pmap dump` prints, as [key, value] with bytes as {$bytes}. */
function dump(f) {
  return pmapOk('dump', f).split('\n').filter((l) => l !== '').map((line) => {
    const { key, value } = JSON.parse(line);
    return [key, value];
  });
}

/** Node's view of the entries in the form dump prints them. */
function asDumped(entries) {
  return entries.map(([k, v]) => [k, v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v]);
}

test('a store written by the native CLI opens in Node with the same contents and order', async () => {
  pmapOk('set', file, 'first', '{"a":1,"nested":{"list":[1,"two",null,true],"é":"ü"}}');
  pmapOk('set', file, 'ключ', '"значение 😀 中文"');
  pmapOk('set', file, 'empty', '""');
  pmapOk('set', file, 'bytes', '{"$bytes":"AAEC/w=="}');
  pmapOk('set', file, 'no bytes', '{"$bytes":""}');
  pmapOk('set', file, 'number', '-12.5');
  pmapOk('set', file, '😀', 'null');
  pmapOk('set', file, 'first', '[]'); // an update keeps its place
  pmapOk('del', file, 'empty');
  pmapOk('set', file, 'empty', '"back, at the end"'); // a re-insert goes last
  pmapOk('set', file, 'gone', '1');
  pmapOk('del', file, 'gone');

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

test('a store written by Node passes pmap verify and pmap dump shows the same entries in the same order', async () => {
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

  const verify = pmap('verify', file);
  expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });
  expect(dump(file)).toEqual(expected);
  expect(pmapOk('stat', file)).toMatch(/generation: 1\b/);
  expect(pmapOk('get', file, 'ключ').trim()).toBe('[1,[2,[3]]]');

  // And back: what pmap changes, Node sees.
  pmapOk('set', file, 'from pmap', '{"x":[1,2]}');
  pmapOk('compact', file);
  map = await PersistentMap.open(file);
  expect(asDumped([...map])).toEqual([...expected, ['from pmap', { x: [1, 2] }]]);
  await map.close();
});

test('while Node holds a store open, pmap set on it fails with exit code 3 (locked)', async () => {
  const map = await PersistentMap.open(file);
  await map.set('k', 'from node');
  const r = pmap('set', file, 'k', '"from pmap"');
  expect({ status: r.status, stdoutEmpty: r.stdout === '' }).toEqual({ status: 3, stdoutEmpty: true });
  expect(r.stderr).toMatch(/lock/i);
  // The refused writer changed nothing, and Node's lock is still held.
  expect(map.get('k')).toBe('from node');
  expect(pmap('set', file, 'k3', '1').status).toBe(3);
  await map.close();

  // Once Node closed it, pmap writes; and Node opens it again after pmap.
  pmapOk('set', file, 'k2', '"from pmap"');
  const again = await PersistentMap.open(file);
  expect([...again]).toStrictEqual([['k', 'from node'], ['k2', 'from pmap']]);
  await again.close();
});

test('a Node writer killed with SIGKILL leaves no lock behind, for pmap or for Node', async () => {
  const holder = await holdStore(file);
  expect(pmap('set', file, 'k', '1').status).toBe(3);
  await holder.kill();
  pmapOk('set', file, 'k', '2');
  const again = await PersistentMap.open(file);
  expect([...again]).toStrictEqual([['k', 2]]);
  await again.close();
  expect(fs.readdirSync(dir)).toEqual(['store.pmap']);
});
