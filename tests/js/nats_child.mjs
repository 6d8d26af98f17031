// A server process of a NATS store, driven by the nats_*.test.js files: one
// command per line on stdin, one JSON line per answer on stdout.
//   open <name> <natsBackend settings JSON>   -> {"open":role}
//   random <seed> <n>            random writes (every 7th not awaited) -> {"done":n}
//   count <n>                    n updates of "n" (+1)  -> {"done":n}
//   loop <prefix>                in the background, forever: set <prefix>-<i>,
//                                then update counter <prefix> (+1), reported
//                                as {"ok":prefix,"n":i} once both resolved;
//                                a failed write is reported as
//                                {"failed":code}, and the loop goes on
//   refresh                      -> {"refreshed":true}
//   reloads                      -> {"reloads":n}: 'reload' change events so far
//   dump                         -> {"entries":[...map]}
//   close                        -> {"closed":true}, then exits
// Errors are reported as {"error":code,"message":...}.

import readline from 'node:readline';
import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { bump, prng, randomOp } from './helpers.js';

let map = null;
let reloads = 0;
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
    try {
      await map.set(`${prefix}-${i}`, i);
      await map.update(prefix, (v) => (v ?? 0) + 1);
      out({ ok: prefix, n: i });
    } catch (err) {
      out({ failed: err.code ?? err.name, message: err.message });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const commands = {
  async open(name, settings) {
    map = await PersistentMap.open(name, { backend: natsBackend(JSON.parse(settings)) });
    map.on('change', (e) => {
      if (e.type === 'reload') reloads++;
    });
    out({ open: map.stats().role });
  },
  random: (seed, n) => random(Number(seed), Number(n)),
  async count(n) {
    for (let i = 0; i < Number(n); i++) await map.update('n', (v) => (v ?? 0) + 1);
    out({ done: Number(n) });
  },
  loop(prefix) {
    loop(prefix);
    out({ looping: prefix });
  },
  async refresh() {
    await map.refresh();
    out({ refreshed: true });
  },
  reloads() {
    out({ reloads });
  },
  dump() {
    out({ entries: [...map] });
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
