// A process whose 'change' listener misbehaves, for tests/js/listeners.test.js:
//
//   node tests/js/listener_child.mjs <path> throws   # the listener throws
//   node tests/js/listener_child.mjs <path> reads    # the listener reads map.size
//
// throws: sets 'a' and 'b' in one tick with durability 'strict', with no
// handler for uncaught exceptions, and prints "resolved" when that write
// resolves. reads: reopens the store the first run made (so reads go to
// the core), sets 'c' and deletes 'a', and prints "done".
import { PersistentMap } from '../../js/index.js';

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== 'throws' && mode !== 'reads')) {
  process.stderr.write('usage: node tests/js/listener_child.mjs <path> <throws|reads>\n');
  process.exit(64);
}

const map = await PersistentMap.open(file, { durability: 'strict' });
if (mode === 'throws') {
  map.on('change', ({ key }) => {
    if (key === 'a') throw new Error('the listener failed on purpose');
  });
  const a = map.set('a', 1);
  map.set('b', 2);
  await a;
  process.stdout.write('resolved\n');
} else {
  const seen = [];
  map.on('change', () => seen.push(map.size));
  await map.set('c', 3);
  await map.delete('a');
  await map.close();
  process.stdout.write(`done ${JSON.stringify(seen)}\n`);
}
