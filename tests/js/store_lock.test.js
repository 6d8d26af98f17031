// The writer's lock of Node stores (js/backends/common/store_lock.js): one writer
// per file whatever name it is opened by, in this process and others; the
// lock follows the log across compactions; a killed holder leaves nothing
// behind; temporary files and planted symlinks are never written through.
// The many-process race is in lock_race.test.js.
import fs from 'node:fs';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { lockStore } from '../../js/backends/common/store_lock.js';
import { holdStore, makeTempDir, removeTempDir } from './helpers.js';

let dir;
let file;
beforeEach(() => {
  dir = makeTempDir('pmap-lock-');
  file = path.join(dir, 'store.pmap');
});
afterEach(() => removeTempDir(dir));

describe.each(['fs', 'sqlite'])('%s backend', (backend) => {
  test('every name of one store shares one lock: a symlink, a hard link, a symlinked directory, a path with dots', async () => {
    const map = await PersistentMap.open(file, { backend });
    await map.set('k', 1);
    fs.symlinkSync(file, path.join(dir, 'via-symlink'));
    fs.linkSync(file, path.join(dir, 'via-hard-link'));
    fs.symlinkSync(dir, `${dir}-dir-link`);
    try {
      for (const alias of [path.join(dir, 'via-symlink'), path.join(dir, 'via-hard-link'), `${dir}-dir-link/store.pmap`, `${dir}/./x/../store.pmap`]) {
        await expect(PersistentMap.open(alias, { backend, exclusive: true })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('already open in this process') });
      }
      const holder = await holdStore(path.join(dir, 'via-hard-link'), backend, { exclusive: true }).catch((e) => e);
      expect(holder).toBeInstanceOf(Error); // the other process could not open it either
    } finally {
      fs.unlinkSync(`${dir}-dir-link`);
      await map.close();
    }
    expect(map.get('k')).toBe(1);
  });

  test('a store held by a process killed with SIGKILL opens at once, and no lock file is left', async () => {
    const holder = await holdStore(file, backend);
    await expect(PersistentMap.open(file, { backend, exclusive: true })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`open for writing in another process (process ${holder.pid})`) });
    await holder.kill();
    const map = await PersistentMap.open(file, { backend });
    await map.close();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
});

test('the lock follows the log across a compaction: an opener finds the new log locked', async () => {
  const map = await PersistentMap.open(file);
  await map.set('k', 1);
  const before = fs.statSync(file).ino;
  await map.compact();
  expect(fs.statSync(file).ino).not.toBe(before);
  await expect(PersistentMap.open(file, { exclusive: true })).rejects.toMatchObject({ code: 'LOCKED' });
  const holder = await holdStore(file, 'fs', { exclusive: true }).catch((e) => e);
  expect(holder).toBeInstanceOf(Error);
  await map.close();
});

test('a dangling symlink given as the store path is refused, and its target is not created', async () => {
  fs.symlinkSync(path.join(dir, 'missing'), file);
  await expect(PersistentMap.open(file)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('symbolic link to a file that does not exist') });
  expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
});

test('a directory given as the store path is refused with INVALID', async () => {
  await expect(PersistentMap.open(dir)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('not a regular file') });
});

test('symlinks planted at the old lock name and at compaction temporaries are never written through', async () => {
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'precious\n');
  fs.symlinkSync(victim, `${file}.lock`);
  for (let n = 0; n < 4; n++) fs.symlinkSync(victim, `${file}.compact-${n}-${process.pid}.tmp`);
  const map = await PersistentMap.open(file);
  await map.set('k', 'v'.repeat(1000));
  await map.compact();
  await map.compact();
  await map.close();
  expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(fs.lstatSync(file).isFile()).toBe(true);
  const again = await PersistentMap.open(file);
  expect(again.get('k')).toBe('v'.repeat(1000));
  await again.close();
});

test('compaction temporaries have unpredictable names and are created exclusively', async () => {
  const map = await PersistentMap.open(file);
  await map.set('k', 1);
  const seen = new Set();
  const watcher = fs.watch(dir, (event, name) => {
    if (name?.includes('.compact-')) seen.add(name);
  });
  try {
    await map.compact();
    await map.compact();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    watcher.close();
    await map.close();
  }
  const names = [...seen];
  expect(names.length).toBeGreaterThanOrEqual(2);
  for (const name of names) expect(name).toMatch(/^store\.pmap\.compact-[0-9a-f]{16}\.tmp$/);
});

describe('the pid-file lock used where abstract sockets do not exist', () => {
  test('is taken, refuses a second holder, names the holder, and is removed on release', async () => {
    const lock = await lockStore(file, { mechanism: 'pidfile' });
    expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await expect(lockStore(file, { mechanism: 'pidfile' })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`process ${process.pid}`) });
    lock.release();
    lock.release();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  test('takes over a lock naming a dead process, an empty lock, or a pid out of range, never reading garbage as a live holder', async () => {
    for (const text of ['999999999\n', '', '99999999999999999999\n', '4294967297\n', '-1\n', 'garbage']) {
      fs.writeFileSync(`${file}.lock`, text);
      const lock = await lockStore(file, { mechanism: 'pidfile' });
      expect(fs.readFileSync(`${file}.lock`, 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    }
  });
});

describe('{ wait: true }', () => {
  test('waits for a writer in another process, and opens once it is gone', async () => {
    const holder = await holdStore(file);
    setTimeout(() => holder.kill(), 300);
    const since = Date.now();
    const map = await PersistentMap.open(file, { wait: true });
    expect(Date.now() - since).toBeGreaterThanOrEqual(250);
    await map.close();
  });

  test('waits for another map of this process to close, for fs and sqlite', async () => {
    for (const backend of ['fs', 'sqlite']) {
      const target = path.join(dir, `in-process.${backend}`);
      const first = await PersistentMap.open(target, { backend });
      await first.set('k', 1);
      const second = PersistentMap.open(target, { backend, wait: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.close();
      const map = await second;
      expect(map.get('k')).toBe(1);
      await map.close();
    }
  });

  test('gives up when its signal aborts, with the signal\'s reason, and changes nothing', async () => {
    const first = await PersistentMap.open(file);
    await first.set('k', 1);
    const controller = new AbortController();
    const waiting = PersistentMap.open(file, { wait: true, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(PersistentMap.open(file, { wait: true, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(PersistentMap.open(file, { signal: 'soon' })).rejects.toMatchObject({ code: 'INVALID' });
    expect(first.get('k')).toBe(1);
    await first.close();
  });

  test('without wait a held store is LOCKED at once', async () => {
    const first = await PersistentMap.open(file);
    await expect(PersistentMap.open(file, { wait: false, exclusive: true })).rejects.toMatchObject({ code: 'LOCKED' });
    await first.close();
  });
});
