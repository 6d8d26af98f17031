// The store contract UI frameworks build on (README "Web apps"): `version`
// moves on exactly when what reads see changes, through this map, through
// another map sharing the store, or by a reload; `subscribe` calls its
// listener at once and after each change, as Svelte's store contract says.
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { makeTempDir, removeTempDir, uniqueName } from './helpers.js';

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-contract-');
});
afterAll(() => removeTempDir(dir));

const memory = () => PersistentMap.open(uniqueName('contract'), { backend: 'memory' });

test('version moves on with every write that changes the map, and only with those', async () => {
  const map = await memory();
  const versions = [map.version];
  const step = async (write) => {
    await write();
    versions.push(map.version);
  };
  await step(() => map.set('a', 1));
  await step(() => map.setMany([['b', 2], ['c', 3]]));
  await step(() => map.update('a', (n) => n + 1));
  await step(() => map.delete('b'));
  await step(() => map.deleteMany(['c']));
  await step(() => map.clear());
  const changed = versions.slice(1).map((v, i) => v !== versions[i]);
  expect(changed).toEqual([true, true, true, true, true, true]);
  const before = map.version;
  expect(await map.delete('missing')).toBe(false);
  expect(await map.deleteMany(['missing'])).toBe(0);
  await map.setMany([]);
  await expect(map.set('f', () => 1)).rejects.toMatchObject({ code: 'INVALID' });
  map.get('a');
  [...map];
  expect(map.version).toBe(before);
  await map.close();
});

test('version is a number that a write changes before its promise settles', async () => {
  const map = await memory();
  const before = map.version;
  expect(typeof before).toBe('number');
  const written = map.set('a', 1);
  expect(map.version).not.toBe(before);
  await written;
  await map.close();
});

test('subscribe calls the listener with the map at once and after each change, with the new version, until unsubscribed', async () => {
  const map = await memory();
  const calls = [];
  const unsubscribe = map.subscribe((m) => calls.push([m === map, m.version, m.get('a')]));
  expect(calls).toEqual([[true, map.version, undefined]]);
  await map.set('a', 1);
  await map.set('a', 2);
  expect(calls.slice(1)).toEqual([[true, calls[0][1] + 1, 1], [true, calls[0][1] + 2, 2]]);
  unsubscribe();
  unsubscribe();
  await map.set('a', 3);
  expect(calls.length).toBe(3);
  await map.close();
});

test('subscribe refuses a listener that is not a function with a TypeError, and a listener that throws at once is not subscribed', async () => {
  const map = await memory();
  expect(() => map.subscribe('x')).toThrow(TypeError);
  expect(() => map.subscribe()).toThrow(expect.objectContaining({ code: 'INVALID' }));
  let calls = 0;
  expect(() => map.subscribe(() => {
    calls++;
    throw new Error('no');
  })).toThrow('no');
  await map.set('a', 1);
  expect(calls).toBe(1);
  await map.close();
});

test('another map sharing the store moves the version on and calls subscribers, its own writes once each', async () => {
  const file = path.join(dir, 'shared.pmap');
  const leader = await PersistentMap.open(file);
  const follower = await PersistentMap.open(file);
  expect([leader.stats().role, follower.stats().role]).toEqual(['leader', 'follower']);
  const seen = { leader: [], follower: [] };
  leader.subscribe((m) => seen.leader.push(m.get('x')));
  follower.subscribe((m) => seen.follower.push(m.get('x')));
  await leader.set('x', 1);
  await follower.refresh();
  await follower.set('x', 2);
  await leader.refresh();
  await follower.refresh();
  expect(seen).toEqual({ leader: [undefined, 1, 2], follower: [undefined, 1, 2] });
  await follower.close();
  await leader.close();
});

test('a follower that becomes the leader (a reload) moves its version on and tells its subscribers', async () => {
  const file = path.join(dir, 'promote.pmap');
  const leader = await PersistentMap.open(file);
  const follower = await PersistentMap.open(file);
  await leader.set('x', 1);
  await follower.refresh();
  const before = follower.version;
  let calls = 0;
  follower.subscribe(() => calls++);
  await leader.close();
  for (let i = 0; i < 200 && follower.stats().role !== 'leader'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(follower.stats().role).toBe('leader');
  expect(follower.version).not.toBe(before);
  expect(calls).toBeGreaterThan(1);
  expect(follower.get('x')).toBe(1);
  await follower.close();
});
