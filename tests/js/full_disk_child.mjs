// Run by full_disk.test.js inside a private mount namespace, with `dir` a
// tmpfs of 512 KiB: fills the disk, then tries to create stores (they must
// fail with QUOTA, leak no descriptor and leave no file) and to open an
// existing one (it must open and read). Prints a JSON report.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PersistentMap } from '../../js/index.js';

const [dir, nativeCli] = process.argv.slice(2);
const existing = path.join(dir, 'existing.pmap');
const map = await PersistentMap.open(existing);
await map.set('k', 'v');
await map.close();

const filler = fs.openSync(path.join(dir, 'filler'), 'w');
const chunk = Buffer.alloc(4096, 1);
try {
  for (;;) fs.writeSync(filler, chunk);
} catch (err) {
  if (err.code !== 'ENOSPC') throw err;
}
fs.closeSync(filler);

const fds = () => fs.readdirSync('/proc/self/fd').length;
const before = fds();
const codes = [];
for (let i = 0; i < 20; i++) {
  codes.push(await PersistentMap.open(path.join(dir, `new${i}.pmap`)).then(() => 'opened', (e) => e.code));
}
const nativeNew = spawnSync(nativeCli, ['set', path.join(dir, 'native-new.pmap'), 'k', '1'], { encoding: 'utf8' });
const reopened = await PersistentMap.open(existing);
const value = reopened.get('k');
await reopened.close();
const nativeGet = spawnSync(nativeCli, ['get', existing, 'k'], { encoding: 'utf8' });
process.stdout.write(JSON.stringify({
  codes: [...new Set(codes)],
  leakedDescriptors: fds() - before,
  files: fs.readdirSync(dir).sort(),
  value,
  nativeNewStatus: nativeNew.status,
  nativeGet: nativeGet.stdout.trim(),
}));
