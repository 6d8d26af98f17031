// A full disk, for real: a 512 KiB tmpfs mounted in a private mount
// namespace (`unshare`), so nothing outside the test sees it. Needs
// unshare(1) with user or root privileges, which CI's machines have.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./full_disk_child.mjs', import.meta.url));
const NATIVE = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

let dir;
beforeEach(() => {
  dir = makeTempDir('pmap-full-');
});
afterEach(() => removeTempDir(dir));

test('on a full disk a new store fails with QUOTA, leaking no descriptor and leaving no file, and an existing store still opens and reads', () => {
  const script = `mount -t tmpfs -o size=512k tmpfs "$1" && exec "$2" "$3" "$1" "$4"`;
  const r = spawnSync('unshare', ['--mount', '--map-root-user', 'sh', '-c', script, 'sh', dir, process.execPath, CHILD, NATIVE], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({
    codes: ['QUOTA'],
    leakedDescriptors: 0,
    files: ['existing.pmap', 'filler'],
    value: 'v',
    nativeNewStatus: 4,
    nativeGet: '"v"',
  });
});
