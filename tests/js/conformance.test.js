// One conformance suite for every log backend (docs/BACKENDS.md):
//   1. the interface methods one by one, on the raw backend;
//   2. random operation sequences through PersistentMap against a reference
//      Map, with reopens and compactions;
//   3. fault injection (FaultBackend around the backend): after any failed
//      write the map either rolled back to exactly the acknowledged writes
//      or refuses writes with CLOSED, and a reopen finds the acknowledged
//      writes (plus, after a failed sync, the write whose sync failed).
//
// A new backend is one more line at the bottom:
//   conformance('name', (where) => new MyBackend(where));
// A table-shaped backend (kind 'table', js/backends/table/table_backend.js) stores
// rows, not bytes: its interface tests append real log records and compare
// what they replay to, and the faults that only a byte log can have (a
// half-written append, a failed truncate) do not apply to it.
// `where` is a fresh path under a temporary directory, unique per store; a
// backend that does not live in files may use it as a store name. Calling
// makeBackend(where) again must give a new handle on the same store.
import path from 'node:path';
import { PersistentMap, PersistentMapError, MemoryBackend, FsBackend, SqliteBackend } from '../../js/index.js';
import { KvChunkBackend } from '../../docs/examples/kv_chunk_backend.js';
import { FaultBackend } from './fault_backend.js';
import { logWriter, replay } from './log_runs.js';
import {
  applyToMap, applyToModel, canonical, cloneModel, contents, createModel, describeOp, makeTempDir, prng,
  randomOp, removeTempDir, uniqueName,
} from './helpers.js';

let tmp;
beforeAll(() => {
  tmp = makeTempDir('pmap-conformance-');
});
afterAll(() => removeTempDir(tmp));

/** A fresh store location. */
function newWhere() {
  return path.join(tmp, `${uniqueName('s')}.pmap`);
}

const bytes = (...list) => new Uint8Array(list);
const asArray = (u8) => Array.from(u8);

/** Checks everything a reader sees against the model. */
function expectSameAs(map, model, rand) {
  expect(map.size).toBe(model.size);
  expectEqualContents(contents(map), contents(model));
  const keys = [...model.keys()];
  const n = keys.length;
  const probes = [0, n - 1, -1, -n];
  if (rand) for (let i = 0; i < 3; i++) probes.push(rand.int(n + 1) - (rand.int(2) ? n : 0));
  for (const i of probes) {
    const j = i < 0 ? n + i : i;
    if (j >= 0 && j < n) expectEqualContents(map.at(i), [keys[j], model.get(keys[j])]);
    else expect(map.at(i)).toBeUndefined();
  }
  expect(map.at(n)).toBeUndefined();
  expect(map.at(-n - 1)).toBeUndefined();
}

/** toStrictEqual, with a fast path (Jest's deep equality is slow on many large values). */
function expectEqualContents(actual, expected) {
  if (canonical(actual) !== canonical(expected)) expect(actual).toStrictEqual(expected);
}

/** Issues `ops` in one tick; resolves to [{ ok, value | error }] in order. */
function issueTogether(map, ops) {
  return Promise.all(ops.map((op) => {
    let p;
    try {
      p = applyToMap(map, op);
    } catch (error) {
      p = Promise.reject(error);
    }
    return p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
  }));
}

function settle(promise) {
  return promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
}

// ---- fault injection ----

// What a failure of each kind must lead to (docs/BACKENDS.md, "What the map
// does when a backend call fails").
const ROLLED_BACK = 'rolled back';
const REFUSES = 'refuses writes';

const FAULT_KINDS = [
  { title: 'the nth append fails', method: 'append', expect: ROLLED_BACK },
  { title: 'the nth append fails after writing half of its bytes', method: 'append', partial: true, expect: ROLLED_BACK, logOnly: true },
  { title: 'the nth sync of a strict store fails', method: 'sync', durability: 'strict', expect: REFUSES, failedWriteMayPersist: true },
  { title: 'the nth replace (compaction) fails', method: 'replace', expect: ROLLED_BACK, compactionOnly: true },
  // Backends that replace the log in the background (beginReplace ...).
  { title: 'the nth compaction fails in its final step', method: 'finishReplace', expect: ROLLED_BACK, backgroundOnly: true },
];

const EXTRA_FAULT_KINDS = [
  { title: 'the nth sync of flush() on a relaxed store fails', method: 'sync', expect: REFUSES },
  {
    title: 'the nth append fails after its bytes reached the log', method: 'append', after: true, expect: ROLLED_BACK,
    // Rows cannot be cut back: the map must refuse writes instead.
    table: { expect: REFUSES, failedWriteMayPersist: true },
  },
  { title: 'the nth replace fails after it took effect (fatal)', method: 'replace', after: true, expect: REFUSES, compactionOnly: true },
  {
    title: 'the nth append fails half-written and the truncate of the roll-back fails too',
    method: 'append', partial: true, also: [['truncate', 1]], expect: REFUSES, failedWriteMayPersist: 'prefix', logOnly: true,
  },
  {
    title: 'the nth append fails and the read of the roll-back fails too',
    method: 'append', also: [['read', 1]], expect: REFUSES, failedWriteMayPersist: 'prefix',
  },
];

/**
 * Runs a random workload on FaultBackend(makeBackend(where)) with one fault
 * armed, until a call fails; then checks that the map did not lie.
 */
async function runFaultScenario(makeBackend, kind, n) {
  const where = newWhere();
  const options = { durability: kind.durability ?? 'relaxed', compaction: { auto: false } };
  const fb = new FaultBackend(makeBackend(where));
  let map = await PersistentMap.open(where, { ...options, backend: fb });
  fb.failNth(kind.method, n, { partial: kind.partial, after: kind.after });
  for (const [method, k] of kind.also ?? []) fb.failNth(method, k);

  const rand = prng(1000 * n + kind.title.length);
  const model = createModel(); // the acknowledged writes
  let failedGroup = null; // the writes that rejected with the injected error
  let failure = null;
  const history = [];

  for (let step = 0; step < 200 && !failure; step++) {
    const ops = [];
    const together = rand.int(3) === 0 ? 2 + rand.int(3) : 1;
    for (let i = 0; i < together; i++) ops.push(randomOp(rand, { clearWeight: 2 }));
    history.push(ops.map(describeOp).join(' + '));
    const writes = issueTogether(map, ops);
    const compacting = step % 3 === 2 ? settle(map.compact()) : null;
    const flushing = step % 4 === 3 ? settle(map.flush()) : null;
    const results = await writes;
    const rejected = [];
    results.forEach((r, i) => {
      if (r.ok) applyToModel(model, ops[i]);
      else rejected.push({ op: ops[i], error: r.error });
    });
    const c = compacting && await compacting;
    const f = flushing && await flushing;
    if (rejected.length > 0) {
      failedGroup = rejected.map((r) => r.op);
      failure = rejected[0].error;
    } else if (c && !c.ok) {
      failure = c.error;
    } else if (f && !f.ok) {
      failure = f.error;
    } else {
      expectSameAs(map, model);
    }
  }

  const context = `${kind.title} (n = ${n}); steps: ${history.length}, last: ${history.at(-1)}`;
  // The fault was really exercised, and it is what failed.
  if (fb.injected.length === 0) throw new Error(`${context}: the fault never triggered`);
  if (!failure) throw new Error(`${context}: a call failed but no promise rejected`);
  expect(failure).toBeInstanceOf(PersistentMapError);
  expect(failure.code).toBe('IO');

  const state = map.stats().state;
  const outcome = state === 'open' ? ROLLED_BACK : REFUSES;
  if (outcome !== kind.expect) {
    throw new Error(`${context}: expected the store to have ${kind.expect}, but its state is '${state}' (${failure.message})`);
  }

  fb.clearFaults();
  if (outcome === ROLLED_BACK) {
    // (a) Memory holds exactly the acknowledged writes, and the store goes on.
    expectSameAs(map, model);
    for (let step = 0; step < 10; step++) {
      const op = randomOp(rand);
      const p = applyToMap(map, op);
      const expected = applyToModel(model, op);
      expect(await p).toStrictEqual(expected);
      expectSameAs(map, model);
    }
    await map.compact();
    expectSameAs(map, model);
    await map.close();
  } else {
    // (b) Every further write is refused with CLOSED until the store is reopened.
    expect(state).toBe('failed');
    await expect(map.set('after the failure', 1)).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(map.delete([...model.keys()][0] ?? 'x')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(map.compact()).rejects.toMatchObject({ code: 'CLOSED' });
    await map.close();
  }

  // Reopened without faults: the acknowledged writes (and, where a write's
  // bytes reached the log before it failed, possibly that write).
  map = await PersistentMap.open(where, { ...options, backend: makeBackend(where) });
  const acceptable = [contents(model)];
  if (kind.failedWriteMayPersist && failedGroup) {
    const withFailed = cloneModel(model);
    for (const op of failedGroup) {
      applyToModel(withFailed, op);
      if (kind.failedWriteMayPersist === 'prefix') acceptable.push(contents(withFailed));
    }
    acceptable.push(contents(withFailed));
  }
  const found = contents(map);
  const matches = acceptable.some((a) => canonical(found) === canonical(a));
  if (!matches) expect(found).toStrictEqual(acceptable[0]); // shows the difference
  if (outcome === ROLLED_BACK) expectEqualContents(found, contents(model));

  // And the reopened store takes writes.
  await map.set('after reopen', { ok: true });
  await map.close();
  // The map never called the backend while another call was running.
  expect(fb.overlaps).toEqual([]);
  return { outcome, injected: fb.injected };
}

// ---- the suite ----

/** The interface tests of a table-shaped backend: real log runs in, replayed entries out. */
function tableInterface(makeBackend) {
  describe('interface (table-shaped)', () => {
    let w;
    beforeEach(async () => {
      w = await logWriter();
    });
    afterEach(() => w.close());
    const entriesOf = async (log) => (await replay(log)).entries;

    test('open of a new store returns empty bytes, and its first append must be a log header', async () => {
      const where = newWhere();
      const b = makeBackend(where);
      const log = await b.open();
      expect(log).toBeInstanceOf(Uint8Array);
      expect(log.length).toBe(0);
      const err = await b.append(w.commit([['set', 'a', '1']])).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(PersistentMapError);
      expect(err.code).toBe('INVALID');
      await b.append(w.header(), { sync: true });
      expect(await entriesOf(await b.read())).toEqual([]);
      await b.close();
    });

    test('appended runs read back as a log that replays to the same entries in insertion order, and so does the next open', async () => {
      const where = newWhere();
      const b = makeBackend(where);
      await b.open();
      await b.append(w.header(), { sync: true });
      await b.append(w.commit([['set', 'a', '1'], ['set', 'b', '"é"'], ['set', 'c', '3']]));
      await b.append(w.commit([['set', 'a', 'updated'], ['delete', 'b']]), { sync: true });
      await b.append(w.commit([['batch', [['b', 'again'], ['d', ''], ['c', 'x']]], ['set', '😀 key', '{"v":[1]}']]));
      await b.append(w.commit([]));
      const expected = [['a', 'updated'], ['c', 'x'], ['b', 'again'], ['d', ''], ['😀 key', '{"v":[1]}']];
      expect(await entriesOf(await b.read())).toEqual(expected);
      await b.sync();
      await b.close();
      const again = makeBackend(where);
      const log = await again.open();
      expect(await entriesOf(log)).toEqual(expected);
      expect((await replay(log)).validBytes).toBe(log.length);
      await again.close();
    });

    test('clear empties the store, and keys written after it start a new order', async () => {
      const where = newWhere();
      const b = makeBackend(where);
      await b.open();
      await b.append(w.header());
      await b.append(w.commit([['set', 'x', '1'], ['set', 'y', '2']]));
      await b.append(w.commit([['clear'], ['set', 'y', '3'], ['set', 'x', '4']]));
      expect(await entriesOf(await b.read())).toEqual([['y', '3'], ['x', '4']]);
      await b.close();
    });

    test('append does not keep a reference to the caller\'s buffer', async () => {
      const b = makeBackend(newWhere());
      await b.open();
      await b.append(w.header());
      const run = w.commit([['set', 'k', 'v']]);
      await b.append(run);
      run.fill(0);
      expect(await entriesOf(await b.read())).toEqual([['k', 'v']]);
      await b.close();
    });

    test('bytes that are not whole log records are refused with INVALID and change nothing', async () => {
      const b = makeBackend(newWhere());
      await b.open();
      await b.append(w.header());
      await b.append(w.commit([['set', 'kept', '1']]));
      const run = w.commit([['set', 'lost', '2'], ['set', 'kept', '3']]);
      const damaged = run.slice();
      damaged[damaged.length - 1] ^= 1;
      for (const bad of [run.subarray(0, run.length - 1), damaged, bytes(1, 2, 3), w.header()]) {
        const err = await b.append(bad).then(() => null, (e) => e);
        expect(err).toBeInstanceOf(PersistentMapError);
        expect(err.code).toBe('INVALID');
        expect(await entriesOf(await b.read())).toEqual([['kept', '1']]);
      }
      await b.close();
    });

    test('truncate accepts only the length the map knows, since rows cannot be cut', async () => {
      const b = makeBackend(newWhere());
      const log = await b.open();
      await b.truncate(log.length);
      const header = w.header();
      await b.append(header);
      const run = w.commit([['set', 'k', 'v']]);
      await b.append(run);
      await b.truncate(header.length + run.length);
      const err = await b.truncate(header.length).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(PersistentMapError);
      expect(err.code).toBe('INVALID');
      expect(await entriesOf(await b.read())).toEqual([['k', 'v']]);
      await b.close();
    });

    test('replace is visible to read and to the next open, keeps the generation, and appends go after it', async () => {
      const where = newWhere();
      const b = makeBackend(where);
      await b.open();
      await b.append(w.header());
      await b.append(w.commit([['set', 'a', '1'], ['set', 'b', '2'], ['set', 'c', '3'], ['delete', 'a']]));
      await b.replace(w.snapshot());
      let log = await b.read();
      expect(await replay(log)).toMatchObject({ entries: [['b', '2'], ['c', '3']], generation: 1 });
      await b.append(w.commit([['set', 'a', 'new'], ['set', 'b', '22']]));
      expect(await entriesOf(await b.read())).toEqual([['b', '22'], ['c', '3'], ['a', 'new']]);
      await b.close();
      const again = makeBackend(where);
      log = await again.open();
      expect(await replay(log)).toMatchObject({ entries: [['b', '22'], ['c', '3'], ['a', 'new']], generation: 1 });
      await again.close();
    });

    test('a second open while the store is open is refused with LOCKED', async () => {
      const where = newWhere();
      const first = makeBackend(where);
      await first.open();
      await first.append(w.header());
      await first.append(w.commit([['set', 'k', '1']]));
      const second = makeBackend(where);
      const err = await second.open().then(() => null, (e) => e);
      expect(err).toBeInstanceOf(PersistentMapError);
      expect(err.code).toBe('LOCKED');
      expect(err.message).toMatch(/\S/);
      // The refused opener did not disturb the holder.
      await first.append(w.commit([['set', 'k2', '2']]));
      expect(await entriesOf(await first.read())).toEqual([['k', '1'], ['k2', '2']]);
      await first.close();
      const third = makeBackend(where);
      expect(await entriesOf(await third.open())).toEqual([['k', '1'], ['k2', '2']]);
      await third.close();
    });

    test('two stores are independent and can be open at the same time', async () => {
      const a = makeBackend(newWhere());
      const b = makeBackend(newWhere());
      await a.open();
      await b.open();
      await a.append(w.header());
      await b.append(w.header());
      await a.append(w.commit([['set', 'only in a', '1']]));
      expect(await entriesOf(await a.read())).toEqual([['only in a', '1']]);
      expect(await entriesOf(await b.read())).toEqual([]);
      await a.close();
      await b.close();
    });
  });
}


function conformance(name, makeBackend) {
  // Constructing a backend touches nothing; the shape is known before tmp exists.
  const probe = makeBackend('shape-probe');
  const table = probe.kind === 'table';
  const background = typeof probe.beginReplace === 'function';
  const kinds = (list) => list.filter((k) => !(table && k.logOnly) && (background || !k.backgroundOnly))
    .map((k) => (table && k.table ? { ...k, ...k.table } : k));
  describe(`conformance of ${name}`, () => {
    if (table) tableInterface(makeBackend);
    else describe('interface', () => {
      test('open of a new store returns empty bytes', async () => {
        const b = makeBackend(newWhere());
        const log = await b.open();
        expect(log).toBeInstanceOf(Uint8Array);
        expect(log.length).toBe(0);
        await b.close();
      });

      test('append then read returns the concatenation, and so does the next open', async () => {
        const where = newWhere();
        const b = makeBackend(where);
        await b.open();
        const all = Array.from({ length: 256 }, (_, i) => i);
        await b.append(new Uint8Array(all.slice(0, 100)));
        await b.append(new Uint8Array(0));
        await b.append(new Uint8Array(all.slice(100, 101)), { sync: true });
        await b.append(new Uint8Array(all.slice(101)), { sync: false });
        expect(asArray(await b.read())).toEqual(all);
        await b.sync();
        expect(asArray(await b.read())).toEqual(all);
        await b.close();
        const again = makeBackend(where);
        expect(asArray(await again.open())).toEqual(all);
        await again.close();
      });

      test('appends of a few bytes and of several MiB, interleaved, read back in order', async () => {
        const where = newWhere();
        const b = makeBackend(where);
        await b.open();
        const big = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 0xff);
        await b.append(bytes(1, 2));
        await b.append(big);
        await b.append(bytes(3), { sync: true });
        await b.append(big, { sync: true });
        await b.close();
        const again = makeBackend(where);
        const log = await again.open();
        expect(log.length).toBe(3 + 2 * big.length);
        expect([log[0], log[1], log[2 + big.length]]).toEqual([1, 2, 3]);
        // (Jest's toEqual takes minutes over millions of elements.)
        expect(Buffer.compare(log.subarray(2, 2 + big.length), big)).toBe(0);
        expect(Buffer.compare(log.subarray(3 + big.length), big)).toBe(0);
        await again.close();
      });

      test('append does not keep a reference to the caller\'s buffer', async () => {
        const b = makeBackend(newWhere());
        await b.open();
        const buf = bytes(1, 2, 3);
        await b.append(buf);
        buf[0] = 99;
        expect(asArray(await b.read())).toEqual([1, 2, 3]);
        await b.close();
      });

      test('truncate cuts the log, and the next append goes at the new end', async () => {
        const where = newWhere();
        const b = makeBackend(where);
        await b.open();
        await b.append(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        await b.truncate(4);
        expect(asArray(await b.read())).toEqual([1, 2, 3, 4]);
        await b.append(bytes(20, 21));
        expect(asArray(await b.read())).toEqual([1, 2, 3, 4, 20, 21]);
        await b.truncate(6); // to its own length: no change
        expect(asArray(await b.read())).toEqual([1, 2, 3, 4, 20, 21]);
        await b.close();
        const again = makeBackend(where);
        expect(asArray(await again.open())).toEqual([1, 2, 3, 4, 20, 21]);
        await again.truncate(0);
        expect(asArray(await again.read())).toEqual([]);
        await again.append(bytes(7));
        expect(asArray(await again.read())).toEqual([7]);
        await again.close();
      });

      test('replace is visible to read and to the next open, and appends go after it', async () => {
        const where = newWhere();
        const b = makeBackend(where);
        await b.open();
        await b.append(bytes(1, 1, 1, 1, 1, 1));
        await b.replace(bytes(9, 8));
        expect(asArray(await b.read())).toEqual([9, 8]);
        await b.append(bytes(7));
        expect(asArray(await b.read())).toEqual([9, 8, 7]);
        await b.replace(bytes(5, 5, 5, 5, 5, 5, 5, 5, 5, 5));
        await b.append(bytes(4));
        await b.truncate(3);
        expect(asArray(await b.read())).toEqual([5, 5, 5]);
        await b.replace(bytes(6, 6));
        await b.close();
        const again = makeBackend(where);
        expect(asArray(await again.open())).toEqual([6, 6]);
        await again.close();
      });

      if (background) test('beginReplace lets appends go on to the old log; finishReplace puts the new log with the tail in place; abortReplace drops it', async () => {
        const where = newWhere();
        const b = makeBackend(where);
        await b.open();
        await b.append(bytes(1, 1, 1));
        const begun = b.beginReplace(bytes(9, 8));
        await b.append(bytes(2));
        await begun;
        await b.append(bytes(3), { sync: true });
        expect(asArray(await b.read())).toEqual([1, 1, 1, 2, 3]);
        await b.finishReplace(bytes(2, 3));
        expect(asArray(await b.read())).toEqual([9, 8, 2, 3]);
        await b.append(bytes(4));
        await b.beginReplace(bytes(5, 5));
        await b.abortReplace();
        await b.append(bytes(6));
        expect(asArray(await b.read())).toEqual([9, 8, 2, 3, 4, 6]);
        await b.beginReplace(bytes(7));
        await b.finishReplace(new Uint8Array(0));
        await b.close();
        const again = makeBackend(where);
        expect(asArray(await again.open())).toEqual([7]);
        await again.close();
      });

      test('a second open while the store is open is refused with LOCKED', async () => {
        const where = newWhere();
        const first = makeBackend(where);
        await first.open();
        await first.append(bytes(1, 2, 3));
        const second = makeBackend(where);
        const err = await second.open().then(() => null, (e) => e);
        expect(err).toBeInstanceOf(PersistentMapError);
        expect(err.code).toBe('LOCKED');
        expect(err.message).toMatch(/\S/);
        // The refused opener did not disturb the holder.
        expect(asArray(await first.read())).toEqual([1, 2, 3]);
        await first.append(bytes(4));
        expect(asArray(await first.read())).toEqual([1, 2, 3, 4]);
        await first.close();
      });

      test('close releases the lock, so the next open succeeds and finds the log', async () => {
        const where = newWhere();
        const first = makeBackend(where);
        await first.open();
        await first.append(bytes(42));
        await first.close();
        const second = makeBackend(where);
        expect(asArray(await second.open())).toEqual([42]);
        await second.close();
        const third = makeBackend(where);
        expect(asArray(await third.open())).toEqual([42]);
        await third.close();
      });

      test('two stores are independent and can be open at the same time', async () => {
        const a = makeBackend(newWhere());
        const b = makeBackend(newWhere());
        await a.open();
        await b.open();
        await a.append(bytes(1));
        await b.append(bytes(2, 2));
        await a.replace(bytes(3, 3, 3));
        expect(asArray(await a.read())).toEqual([3, 3, 3]);
        expect(asArray(await b.read())).toEqual([2, 2]);
        await a.close();
        await b.close();
      });
    });

    describe('through PersistentMap', () => {
      test.each([1, 2, 3])('random operations (seed %i) match a reference Map after every await, across reopens and compactions', async (seed) => {
        const where = newWhere();
        const rand = prng(seed * 7919);
        const open = () => PersistentMap.open(where, { backend: makeBackend(where), compaction: { minBytes: 4096 } });
        let map = await open();
        const model = createModel();
        let reopens = 0;
        let compactions = 0;
        for (let step = 0; step < 400; step++) {
          const r = rand.int(100);
          if (r < 5) {
            await map.close();
            map = await open();
            reopens++;
          } else if (r < 9) {
            await map.compact();
            compactions++;
          } else if (r < 20) {
            const ops = Array.from({ length: 2 + rand.int(4) }, () => randomOp(rand));
            const results = await issueTogether(map, ops);
            const expected = ops.map((op) => applyToModel(model, op));
            expectEqualContents(results, expected.map((value) => ({ ok: true, value })));
          } else {
            const op = randomOp(rand);
            const p = applyToMap(map, op);
            const expected = applyToModel(model, op);
            expectEqualContents(await p, expected);
          }
          expectSameAs(map, model, rand);
        }
        await map.close();
        map = await open();
        expectSameAs(map, model, rand);
        const stats = map.stats();
        expect(stats.size).toBe(model.size);
        await map.close();
        expect(reopens).toBeGreaterThanOrEqual(5);
        expect(compactions).toBeGreaterThanOrEqual(5);
      });

      test('at(i) follows insertion order through updates, deletes, re-inserts and a reopen', async () => {
        const where = newWhere();
        const open = () => PersistentMap.open(where, { backend: makeBackend(where) });
        let map = await open();
        const model = createModel();
        const rand = prng(4242);
        for (let i = 0; i < 300; i++) {
          const key = `key${rand.int(80)}`;
          if (rand.int(4) === 0) {
            const p = map.delete(key);
            expect(await p).toBe(model.delete(key));
          } else {
            await map.set(key, i);
            model.set(key, i);
          }
        }
        expectSameAs(map, model, rand);
        const keys = [...model.keys()];
        for (let i = -keys.length; i < keys.length; i++) {
          const k = keys[i < 0 ? keys.length + i : i];
          expect(map.at(i)).toStrictEqual([k, model.get(k)]);
        }
        map = await (async () => {
          await map.close();
          return open();
        })();
        for (let i = 0; i < keys.length; i++) expect(map.at(i)).toStrictEqual([keys[i], model.get(keys[i])]);
        await map.close();
      });

      test('relaxed writes issued in the same tick become one backend append', async () => {
        const where = newWhere();
        const fb = new FaultBackend(makeBackend(where));
        const map = await PersistentMap.open(where, { backend: fb });
        const appends = fb.calls('append');
        const syncs = fb.calls('sync');
        await Promise.all([map.set('a', 1), map.set('b', 'é'), map.set('c', new Uint8Array([1]))]);
        expect(fb.calls('append') - appends).toBe(1);
        expect(fb.calls('sync') - syncs).toBe(0);
        await Promise.all([map.delete('a'), map.setMany([['d', 4], ['e', 5]]), map.update('b', (v) => `${v}!`), map.deleteMany(['c'])]);
        expect(fb.calls('append') - appends).toBe(2);
        expect(contents(map)).toStrictEqual([['b', 'é!'], ['d', 4], ['e', 5]]);
        await map.close();
        expect(fb.overlaps).toEqual([]);
      });

      test('strict writes issued in the same tick share one append and one sync', async () => {
        const where = newWhere();
        const fb = new FaultBackend(makeBackend(where));
        const map = await PersistentMap.open(where, { backend: fb, durability: 'strict' });
        const appends = fb.calls('append');
        const syncs = fb.calls('sync');
        await Promise.all([map.set('a', 1), map.set('b', 2), map.set('c', 3)]);
        expect(fb.calls('append') - appends).toBe(1);
        expect(fb.calls('sync') - syncs).toBe(1);
        await map.close();
        expect(fb.overlaps).toEqual([]);
      });
    });

    describe('under injected faults', () => {
      for (const kind of kinds(FAULT_KINDS)) {
        test.each([1, 2, 3, 4, 5, 6, 7, 8])(`when ${kind.title} (n = %i), the map never reports what the log does not hold`, async (n) => {
          await runFaultScenario(makeBackend, kind, n);
        });
      }

      for (const kind of kinds(EXTRA_FAULT_KINDS)) {
        test(`when ${kind.title} (n = 1..3), the map never reports what the log does not hold`, async () => {
          for (const n of [1, 2, 3]) await runFaultScenario(makeBackend, kind, n);
        });
      }

      if (table) {
        test('rows hold no dead records: the store is compacted only when asked', async () => {
          const where = newWhere();
          const fb = new FaultBackend(makeBackend(where));
          const map = await PersistentMap.open(where, { backend: fb, compaction: { auto: true, ratio: 1, minBytes: 0 } });
          for (let i = 0; i < 40; i++) await map.set(`k${i % 3}`, i);
          await map.flush();
          expect(fb.calls('replace')).toBe(0);
          await map.compact();
          expect(fb.calls('replace')).toBe(1);
          expect(contents(map)).toStrictEqual([['k0', 39], ['k1', 37], ['k2', 38]]);
          await map.close();
        });
      }

      if (!table) test('a failed automatic compaction emits an error event and leaves the store usable', async () => {
        const where = newWhere();
        const fb = new FaultBackend(makeBackend(where));
        const map = await PersistentMap.open(where, { backend: fb, compaction: { auto: true, ratio: 2, minBytes: 0 } });
        const errors = [];
        map.on('error', (e) => errors.push(e));
        fb.failNth('replace', 1);
        const model = createModel();
        for (let i = 0; i < 40 && fb.injected.length === 0; i++) {
          await map.set(`k${i % 3}`, i);
          model.set(`k${i % 3}`, i);
        }
        await map.flush();
        expect(fb.injected).toHaveLength(1);
        expect(errors).toHaveLength(1);
        expect(errors[0].code).toBe('IO');
        expect(map.stats().state).toBe('open');
        expectSameAs(map, model);
        await map.set('later', 'works');
        model.set('later', 'works');
        await map.close();
        const again = await PersistentMap.open(where, { backend: makeBackend(where) });
        expectSameAs(again, model);
        await again.close();
        expect(fb.overlaps).toEqual([]);
      });
    });
  });
}

// ---- the backends ----

// An in-process asynchronous key-value store for the KvChunkBackend example,
// one per store location so that reopening finds the data.
const kvStores = new Map();
function kvFor(where) {
  if (!kvStores.has(where)) {
    const kv = new Map();
    kvStores.set(where, {
      get: async (k) => kv.get(k),
      set: async (k, v) => {
        kv.set(k, v.slice());
      },
      delete: async (k) => {
        kv.delete(k);
      },
    });
  }
  return kvStores.get(where);
}

conformance('the memory backend', (where) => new MemoryBackend(where));
conformance('the fs backend', (where) => new FsBackend(where));
conformance('FaultBackend(memory) with no fault armed', (where) => new FaultBackend(new MemoryBackend(where)));
conformance('the KvChunkBackend example (docs/examples)', (where) => new KvChunkBackend(kvFor(where), where));
conformance('the sqlite backend', (where) => new SqliteBackend(where));
