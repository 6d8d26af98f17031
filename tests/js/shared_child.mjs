// A process that shares a store, driven by shared_store.test.js: one
// command per line on stdin, one JSON line per answer on stdout.
//   open <file> <options JSON>   -> {"open":role}
//   random <seed> <n>            random writes (every 7th not awaited) -> {"done":n}
//   count <n>                    n updates of "n" (+1)  -> {"done":n}
//   writes <prefix> <n>          n sets of <prefix>-<i>, each reported as
//                                {"ok":key} once it resolved
//   loop <prefix>                in the background, forever: set <prefix>-<i>,
//                                then update counter <prefix> (+1), reported
//                                as {"ok":prefix,"n":i} once both resolved
//   watch                        reports every 'change' event as {"change":event}
//   refresh                      -> {"refreshed":true}
//   dump                         -> {"entries":[...map]}
//   stats                        -> {"stats":map.stats()}
//   close                        -> {"closed":true}, then exits
// Errors are reported as {"error":code,"message":...}.

import readline from 'node:readline';
import { PersistentMap } from '../../js/index.js';
import { bump, prng, randomOp } from './helpers.js';

let map = null;
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

async function random(seed, n) {
  const rand = prng(seed);
  const loose = [];
  for (let i = 0; i < n; i++) {
    const op = randomOp(rand, { clearWeight: 1 });
    let p;
    if (op.type === 'set') p = map.set(op.key, op.value);
    else if (op.type === 'delete') p = map.delete(op.key);
    else if (op.type === 'setMany') p = map.setMany(op.entries);
    else if (op.type === 'update') p = map.update(op.key, bump);
    else if (op.type === 'clear') p = map.clear();
    else if (op.type === 'deleteMany') p = map.deleteMany(op.keys);
    else continue;
    if (i % 7 === 3) loose.push(p);
    else await p;
  }
  await Promise.all(loose);
  out({ done: n });
}

async function loop(prefix) {
  for (let i = 1; ; i++) {
    await map.set(`${prefix}-${i}`, i);
    await map.update(prefix, (v) => (v ?? 0) + 1);
    out({ ok: prefix, n: i });
  }
}

async function writes(prefix, n) {
  for (let i = 0; i < n; i++) {
    const key = `${prefix}-${i}`;
    await map.set(key, i);
    out({ ok: key });
  }
  out({ done: n });
}

const commands = {
  async open(file, options) {
    map = await PersistentMap.open(file, JSON.parse(options ?? '{}'));
    out({ open: map.stats().role });
  },
  random: (seed, n) => random(Number(seed), Number(n)),
  async count(n) {
    for (let i = 0; i < Number(n); i++) await map.update('n', (v) => (v ?? 0) + 1);
    out({ done: Number(n) });
  },
  writes: (prefix, n) => writes(prefix, Number(n)),
  loop(prefix) {
    loop(prefix).catch((err) => out({ error: err.code ?? err.name, message: err.message }));
  },
  watch() {
    map.on('change', (e) => out({ change: e }));
    out({ watching: true });
  },
  async refresh() {
    await map.refresh();
    out({ refreshed: true });
  },
  dump() {
    out({ entries: [...map] });
  },
  stats() {
    out({ stats: map.stats() });
  },
  async close() {
    await map.close();
    out({ closed: true });
    process.exit(0);
  },
};

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  const [name, ...args] = line.trim().split(' ');
  const rest = name === 'open' ? [args[0], args.slice(1).join(' ')] : args;
  queue = queue.then(() => commands[name](...rest)).catch((err) => out({ error: err.code ?? err.name, message: err.message }));
});
lines.on('close', () => queue.then(() => process.exit(0)));
