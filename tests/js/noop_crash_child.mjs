// The writer that tests/js/crash.test.js kills after a write that changed
// nothing:
//
//   node tests/js/noop_crash_child.mjs <path> <strict|relaxed>
//
// Sets 'a' and waits; starts an 8 MiB set and a delete of 'a' without
// waiting; then awaits a second delete of 'a', which finds the key already
// gone. Prints that delete's result and kills itself with SIGKILL at once:
// what the second delete's promise acknowledged must survive the kill.
import { PersistentMap } from '../../js/index.js';

const [file, durability] = process.argv.slice(2);
if (!file || (durability !== 'strict' && durability !== 'relaxed')) {
  process.stderr.write('usage: node tests/js/noop_crash_child.mjs <path> <strict|relaxed>\n');
  process.exit(64);
}

const map = await PersistentMap.open(file, { durability });
await map.set('a', 1);
map.set('big', 'x'.repeat(16 << 20)).catch(() => {});
map.delete('a').catch(() => {});
const found = await map.delete('a');
process.stdout.write(`${found}\n`);
process.kill(process.pid, 'SIGKILL');
