// 'change' listeners never stop the write they are told about. A listener
// that throws has its exception thrown again (uncaught) once the write
// settled, so a process that dies of it still stored the write; a listener
// that reads the map does not stall it. Both run in a child process
// (tests/js/listener_child.mjs): the first has to die of an uncaught
// exception, and the second, before the fix, spun forever in microtasks.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { makeTempDir, removeTempDir, runNode } from './helpers.js';

const CHILD = fileURLToPath(new URL('./listener_child.mjs', import.meta.url));

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-listeners-');
});
afterAll(() => removeTempDir(dir));

const runChild = (file, mode) => runNode(CHILD, [file, mode]);

test('a change listener that throws does not stop the write: it resolves, is stored, and then the exception is thrown uncaught', async () => {
  const file = path.join(dir, 'throws.pmap');
  const run = await runChild(file, 'throws');
  // The write resolved first; then the process died of the listener's exception.
  expect(run.stdout).toBe('resolved\n');
  expect([run.code, run.signal]).toEqual([1, null]);
  expect(run.stderr).toMatch(/Error: the listener failed on purpose/);
  const map = await PersistentMap.open(file);
  expect([...map]).toEqual([['a', 1], ['b', 2]]);
  await map.close();
}, 20000);

test('a change listener that reads the map does not stall the write it is told about', async () => {
  const file = path.join(dir, 'reads.pmap');
  let map = await PersistentMap.open(file);
  await map.set('a', 1);
  await map.close();
  const run = await runChild(file, 'reads');
  expect(run.signal).toBe(null);
  expect(run.stdout).toBe('done [2,1]\n');
  map = await PersistentMap.open(file);
  expect([...map]).toEqual([['c', 3]]);
  await map.close();
}, 20000);
