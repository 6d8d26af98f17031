// The writer's lock under a race: four, then eight processes, JavaScript and
// native mixed, released at the same moment on one store, round after round,
// with the store absent or present and with lock files of an earlier version
// beside it (a dead pid, an empty file). In every round no two writers hold
// the store at once, and every acknowledged write is in the store afterwards.
// Needs build/lock_race_child (scripts/setup.sh builds it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { makeTempDir, removeTempDir } from './helpers.js';

const NATIVE = fileURLToPath(new URL('../../build/lock_race_child', import.meta.url));
const JS = fileURLToPath(new URL('./lock_race_child.mjs', import.meta.url));
const PERIOD = 60_000; // µs per round
const HOLD = 35_000; // µs a writer holds the store

let dir;
beforeEach(() => {
  dir = makeTempDir('pmap-lock-race-');
});
afterEach(() => removeTempDir(dir));

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`))));
  });
}

async function prepare(rounds) {
  const template = path.join(dir, 'template.pmap');
  const map = await PersistentMap.open(template);
  await map.set('seed', 0);
  await map.close();
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => dead.on('exit', resolve));
  for (let r = 0; r < rounds; r++) {
    const file = path.join(dir, `r${r}.pmap`);
    const kind = r % 4; // 0: no store yet; 1: an old lock naming a dead pid; 2: an empty old lock; 3: no lock file
    if (kind !== 0) fs.copyFileSync(template, file);
    if (kind === 1) fs.writeFileSync(`${file}.lock`, `${dead.pid}\n`);
    if (kind === 2) fs.writeFileSync(`${file}.lock`, '');
  }
}

async function race(processes, rounds) {
  expect(fs.existsSync(NATIVE)).toBe(true);
  await prepare(rounds);
  const start = Math.round(Date.now() * 1000) + 2_000_000;
  const args = (id) => [dir, id, String(rounds), String(start), String(PERIOD), String(HOLD)];
  const outputs = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      i % 2 === 0 ? run(process.execPath, [JS, ...args(`js${i}`)]) : run(NATIVE, args(`native${i}`))),
  );
  const byRound = Array.from({ length: rounds }, () => []);
  const errors = [];
  outputs.forEach((out, i) => {
    const id = i % 2 === 0 ? `js${i}` : `native${i}`;
    for (const line of out.trim().split('\n')) {
      const [r, what, from, to] = line.split(' ');
      if (what === 'opened') byRound[Number(r)].push({ id, from: Number(from), to: Number(to) });
      else if (what !== 'locked') errors.push(`${id}: ${line}`);
    }
  });
  expect(errors).toEqual([]);
  const overlaps = [];
  const lost = [];
  let exactlyOne = 0;
  for (let r = 0; r < rounds; r++) {
    const writers = byRound[r].sort((a, b) => a.from - b.from);
    if (writers.length === 1) exactlyOne++;
    for (let i = 1; i < writers.length; i++) {
      if (writers[i].from < writers[i - 1].to) overlaps.push({ round: r, writers });
    }
    const map = await PersistentMap.open(path.join(dir, `r${r}.pmap`));
    for (const w of writers) if (map.get(w.id) !== r) lost.push({ round: r, key: w.id });
    await map.close();
    expect(writers.length).toBeGreaterThan(0);
  }
  expect({ overlaps, lost }).toEqual({ overlaps: [], lost: [] });
  // A second writer can only open after the first closed if it was held up
  // for longer than the hold time; that must stay rare.
  expect(exactlyOne).toBeGreaterThanOrEqual(Math.floor(rounds * 0.95));
}

test('four processes, JS and native, opening one store at once: one writer at a time, no acknowledged write lost (300 rounds)', async () => {
  await race(4, 300);
}, 120_000);

test('eight processes, JS and native, opening one store at once: one writer at a time, no acknowledged write lost (200 rounds)', async () => {
  await race(8, 200);
}, 120_000);
