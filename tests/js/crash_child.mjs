// The writer that tests/js/crash.test.js kills with SIGKILL:
//
//   node tests/js/crash_child.mjs <path> [first-operation-index] [backend] [durability] [compaction]
//
// Opens the store at <path> (backend fs or sqlite, default fs; durability
// 'strict' or 'relaxed', default strict; default recovery; compaction
// 'often' compacts automatically at a ratio of 1.1 from the first byte, so
// that writes keep being made while a compaction runs in the background,
// default: the default policy), prints "ready", then performs crashOp(i)
// (tests/js/helpers.js) for i = first, first + 1, ... forever, printing i on
// a line of its own after each operation's promise resolved. On Linux writes to a pipe are
// synchronous, so a printed line is in the pipe before the next operation
// starts.
import { PersistentMap } from '../../js/index.js';
import { applyToMap, crashOp } from './helpers.js';

const [file, firstArg = '0', backend = 'fs', durability = 'strict', compaction = 'default'] = process.argv.slice(2);
if (!file || !['strict', 'relaxed'].includes(durability) || !['default', 'often'].includes(compaction)) {
  process.stderr.write('usage: node tests/js/crash_child.mjs <path> [first-operation-index] [fs|sqlite] [strict|relaxed] [default|often]\n');
  process.exit(64);
}

const options = { durability, backend };
if (compaction === 'often') options.compaction = { auto: true, ratio: 1.1, minBytes: 0 };
const map = await PersistentMap.open(file, options);
process.stdout.write('ready\n');
for (let i = Number(firstArg); ; i++) {
  const op = crashOp(i);
  if (op.type === 'compact') await map.compact();
  else await applyToMap(map, op);
  process.stdout.write(`${i}\n`);
}
