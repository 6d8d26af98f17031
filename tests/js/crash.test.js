// Persistence across processes: a child (tests/js/crash_child.mjs) writes
// to one store (durability 'strict', or 'relaxed': a SIGKILL does not lose
// what was written to the OS) and reports every write whose
// promise resolved; the parent kills it with SIGKILL at a random moment,
// again and again, continuing the same store. After every kill the store
// must open in the default recovery mode and hold exactly a prefix of the
// child's (deterministic) operation sequence that includes every reported
// write. The parent checks a copy of the store, so the next child is the one
// that recovers the torn tail (fs) or rolls back the hot journal (sqlite)
// the kill left behind. For sqlite the copy must also pass the sqlite3
// tool's integrity check, which rolls back a hot journal itself. The runs
// that compact often (fs) kill the child also while a compaction stores its
// snapshot in the background, writes going on (before and after the
// rename): the writes acknowledged meanwhile must survive as well.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import {
  applyCrashOp, canonical, cloneModel, contents, createModel, crashOp, makeTempDir, prng, removeTempDir, runNode,
} from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash_child.mjs', import.meta.url));
const ROUNDS = 25;

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-crash-');
});
afterAll(() => removeTempDir(dir));

/**
 * Runs one child from operation `first`, kills it with SIGKILL `delay` ms
 * after it reported "ready" (or after it was spawned, if `fromSpawn`).
 * Resolves to { reported: [i...], ready, signal, code, stderr }.
 */
function runChild(file, first, delay, fromSpawn, { backend, durability, compaction }) {
  return new Promise((resolve, reject) => {
    const args = [CHILD, file, String(first), backend, durability, compaction];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported = [];
    let ready = false;
    let pending = '';
    let stderr = '';
    let timer = null;
    const kill = () => child.kill('SIGKILL');
    // A child that never gets going must not hang the test.
    const guard = setTimeout(kill, 10000);
    if (fromSpawn) timer = setTimeout(kill, delay);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (line === 'ready') {
          ready = true;
          if (!fromSpawn) timer = setTimeout(kill, delay);
        } else {
          reported.push(Number(line));
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    // 'close': the process has exited and its stdout is read to the end.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ reported, ready, code, signal, stderr, partialLine: pending });
    });
  });
}

/** The files of a store: the log, or the database and its rollback journal. */
const storeFiles = (file, backend) => (backend === 'sqlite' ? [file, `${file}-journal`] : [file]);

/** Opens a copy of the store (the original stays as the kill left it). */
async function openCopy(file, round, backend) {
  const copy = path.join(dir, `check-${round}.${backend}`);
  const [from, to] = [storeFiles(file, backend), storeFiles(copy, backend)];
  from.forEach((f, i) => fs.existsSync(f) && fs.copyFileSync(f, to[i]));
  const hotJournal = backend === 'sqlite' && fs.existsSync(to[1]) && fs.statSync(to[1]).size > 0;
  if (backend === 'sqlite') {
    expect(execFileSync('sqlite3', [copy, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim()).toBe('ok');
  }
  const map = await PersistentMap.open(copy, { backend });
  return {
    map,
    hotJournal,
    async done() {
      await map.close();
      for (const f of to) fs.rmSync(f, { force: true });
    },
  };
}

const RUNS = [
  { backend: 'fs', durability: 'strict', compaction: 'default' },
  { backend: 'sqlite', durability: 'strict', compaction: 'default' },
  { backend: 'fs', durability: 'strict', compaction: 'often' },
  { backend: 'fs', durability: 'relaxed', compaction: 'often' },
];

test.each(RUNS)('a $durability $backend store (compaction: $compaction) killed with SIGKILL again and again holds a prefix of its writes that includes every acknowledged one', async (setup) => {
  const { backend, durability, compaction } = setup;
  const file = path.join(dir, `crash-${durability}-${compaction}.${backend}`);
  const seed = Date.now() & 0xffff; // the kill times; named in any failure
  const rand = prng(seed);
  let next = 0; // operations [0, next) are in the store
  let model = createModel(); // the state after them
  let totalReported = 0;
  let killedWhileOpening = 0;
  let unreportedButPresent = 0;
  let tornTails = 0;
  let hotJournals = 0;
  let midCompaction = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const fromSpawn = round % 5 === 4; // now and then, kill during start-up and recovery
    const delay = fromSpawn ? rand.int(250) : 20 + rand.int(280);
    const run = await runChild(file, next, delay, fromSpawn, setup);
    const where = `seed ${seed}, round ${round} (first operation ${next}, killed ${delay} ms after ${fromSpawn ? 'spawn' : 'ready'})`;

    // The child died of our SIGKILL, not of an error of its own.
    if (run.signal !== 'SIGKILL') {
      throw new Error(`${where}: the child exited with code ${run.code}, signal ${run.signal}:\n${run.stderr}`);
    }
    if (!run.ready) killedWhileOpening++;
    // It reported consecutive operations starting at `next`.
    expect(run.reported).toEqual(run.reported.map((_, k) => next + k));
    totalReported += run.reported.length;
    const lastReported = next + run.reported.length - 1;
    if (fs.readdirSync(dir).some((n) => n.startsWith(`${path.basename(file)}.compact-`))) midCompaction++;

    if (!fs.existsSync(file)) {
      // Killed before the store file was created: nothing was written.
      expect(run.reported).toEqual([]);
      continue;
    }

    // The store opens (default recovery) and equals the state after some
    // prefix [0, j) of the operations with j > lastReported.
    const { map, done, hotJournal } = await openCopy(file, round, backend);
    const found = canonical(contents(map));
    if (map.recovery.damaged.length > 0) tornTails++;
    if (hotJournal) hotJournals++;
    const candidate = cloneModel(model);
    for (let i = next; i <= lastReported; i++) applyCrashOp(candidate, crashOp(i));
    let j = lastReported + 1;
    let matched = found === canonical(contents(candidate));
    if (!matched) {
      // The operation in flight when the kill came may be on disk too.
      applyCrashOp(candidate, crashOp(j));
      j++;
      matched = found === canonical(contents(candidate));
      if (matched) unreportedButPresent++;
    }
    if (!matched) {
      const expected = cloneModel(model);
      for (let i = next; i <= lastReported; i++) applyCrashOp(expected, crashOp(i));
      await done();
      throw new Error(`${where}: after ${run.reported.length} reported writes (last ${lastReported}) the store holds ` +
        `${map.size} entries, which is neither the state after operation ${lastReported} (${expected.size} entries) ` +
        `nor after ${lastReported + 1}; recovery dropped ${JSON.stringify(map.recovery.damaged)}`);
    }
    await done();
    model = candidate;
    next = j;
  }

  // The store itself (not a copy) opens, with the final state, and takes writes.
  const map = await PersistentMap.open(file, { backend, durability });
  expect(canonical(contents(map))).toBe(canonical(contents(model)));
  await map.set('after the crashes', true);
  await map.close();
  // No compaction left an orphan behind once a writer opened the store.
  expect(fs.readdirSync(dir).filter((n) => n.includes('.compact-'))).toEqual([]);
  // The test did exercise something: writes were acknowledged and killed.
  expect(totalReported).toBeGreaterThan(ROUNDS);
  // What this run exercised (the kill times are random).
  console.log(`crash test (${backend}, ${durability}, compaction ${compaction}): ${ROUNDS} kills, ${midCompaction} with a compaction's temporary file present, ${totalReported} acknowledged writes, ${next} operations in the store, ` +
    `${unreportedButPresent} kills after which the write in flight survived, ${tornTails} torn tails dropped, ` +
    `${hotJournals} hot journals rolled back, ${killedWhileOpening} kills before "ready"`);
}, 90000);

// A write that changes nothing acknowledges the writes before it: a delete
// of a key that an earlier, still pending delete removed resolves only once
// that delete (queued behind a 16 MiB set, so still in flight) is as durable
// as its own would be. tests/js/noop_crash_child.mjs kills itself with
// SIGKILL right after the second delete resolved.
const NOOP_CHILD = fileURLToPath(new URL('./noop_crash_child.mjs', import.meta.url));
const NOOP_RUNS = 5;

test.each(['strict', 'relaxed'])('a %s delete that finds its key already deleted by a pending write keeps that delete through a SIGKILL', async (durability) => {
  for (let run = 0; run < NOOP_RUNS; run++) {
    const file = path.join(dir, `noop-${durability}-${run}.pmap`);
    const child = await runNode(NOOP_CHILD, [file, durability], { timeout: 30000 });
    expect(child.signal ?? `exit code ${child.code}: ${child.stderr}`).toBe('SIGKILL');
    expect(child.stdout).toBe('false\n');
    const map = await PersistentMap.open(file);
    expect([map.has('a'), map.get('big')?.length]).toEqual([false, 16 << 20]);
    await map.close();
    fs.rmSync(file);
  }
}, 60000);
