// The writer that tests/js/crash.test.js kills with SIGKILL:
//
//   node tests/js/crash_child.mjs <path> [first-operation-index] [backend]
//
// Opens the store at <path> (backend fs or sqlite, default fs; durability
// 'strict', default recovery), prints "ready", then performs crashOp(i)
// (tests/js/helpers.js) for i = first, first + 1, ... forever, printing i on
// a line of its own after each operation's promise resolved. On Linux writes to a pipe are
// synchronous, so a printed line is in the pipe before the next operation
// starts.
import { PersistentMap } from '../../js/index.js';
import { applyToMap, crashOp } from './helpers.js';

const [file, firstArg = '0', backend = 'fs'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node tests/js/crash_child.mjs <path> [first-operation-index] [fs|sqlite]\n');
  process.exit(64);
}

const map = await PersistentMap.open(file, { durability: 'strict', backend });
process.stdout.write('ready\n');
for (let i = Number(firstArg); ; i++) {
  const op = crashOp(i);
  if (op.type === 'compact') await map.compact();
  else await applyToMap(map, op);
  process.stdout.write(`${i}\n`);
}
