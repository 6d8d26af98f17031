// A JavaScript opener for lock_race.test.js, the twin of the native
// tests/tools/lock_race_child.cc (same arguments, same output): for each
// round r it waits until the wall-clock moment start + r * period (µs),
// opens <dir>/r<r>.pmap and, if it became the writer, sets key <id> with a
// strict write, holds the store until hold µs into the round, and closes it.
import { performance } from 'node:perf_hooks';
import { PersistentMap } from '../../js/index.js';

const [dir, id, rounds, start, period, hold] = process.argv.slice(2);
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

async function until(t) {
  for (let now = nowMicros(); now < t; now = nowMicros()) {
    if (t - now > 2000) await new Promise((resolve) => setTimeout(resolve, (t - now - 1000) / 1000));
  }
}

const lines = [];
for (let r = 0; r < Number(rounds); r++) {
  const begin = Number(start) + r * Number(period);
  await until(begin);
  try {
    const map = await PersistentMap.open(`${dir}/r${r}.pmap`, { durability: 'strict', exclusive: true });
    await map.set(id, r);
    const opened = nowMicros();
    await until(begin + Number(hold));
    const closing = nowMicros();
    await map.close();
    lines.push(`${r} opened ${opened} ${closing}`);
  } catch (err) {
    lines.push(err.code === 'LOCKED' ? `${r} locked` : `${r} error ${err.code} ${err.message}`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
