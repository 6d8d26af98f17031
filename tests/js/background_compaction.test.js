// Compaction in the background (docs/BACKENDS.md, "Compaction in the
// background"): a backend with beginReplace/finishReplace/abortReplace
// stores the snapshot while writes go on; those writes are acknowledged at
// once (appended to the old log) and reach the new log as its tail. The
// fs backend is held at the end of beginReplace (its temporary file written
// and synced) so that the test decides what happens meanwhile.
import fs from 'node:fs';
import path from 'node:path';
import { PersistentMap, FsBackend, MemoryBackend } from '../../js/index.js';
import { FaultBackend } from './fault_backend.js';
import { contents, createModel, makeTempDir, removeTempDir, uniqueName } from './helpers.js';

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-background-');
});
afterAll(() => removeTempDir(dir));

const newFile = () => path.join(dir, `${uniqueName('bg')}.pmap`);
const temporaries = (file) => fs.readdirSync(dir).filter((n) => n.startsWith(`${path.basename(file)}.compact-`));

/** An fs backend whose beginReplace, once its file is written, waits for release(). */
class HeldFsBackend extends FsBackend {
  began = 0; // beginReplace calls whose file is written
  #held = null;

  hold() {
    let release;
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.#held = null;
      release();
    };
  }

  async beginReplace(bytes) {
    await super.beginReplace(bytes);
    this.began++;
    if (this.#held) await this.#held;
  }
}

/** Resolves once `predicate()` holds, checking on every turn of the event loop. */
async function until(predicate) {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

async function filled(backend, file, model, n = 50) {
  const map = await PersistentMap.open(file, { backend, compaction: { auto: false } });
  for (let i = 0; i < n; i++) {
    await map.set(`k${i}`, { i });
    model.set(`k${i}`, { i });
  }
  return map;
}

test('writes made while a compaction stores its snapshot resolve before it finishes and are in the new log', async () => {
  const file = newFile();
  const backend = new HeldFsBackend(file);
  const model = createModel();
  const map = await filled(backend, file, model);
  const generation = map.stats().generation;
  const release = backend.hold();
  let compacted = false;
  const compaction = map.compact().then(() => {
    compacted = true;
  });
  await until(() => backend.began === 1);
  for (let i = 0; i < 20; i++) {
    await map.set(`k${i}`, { i, again: true });
    model.set(`k${i}`, { i, again: true });
    if (i % 5 === 0) {
      await map.delete(`k${40 + i}`);
      model.delete(`k${40 + i}`);
    }
  }
  await map.set('late', 'write');
  model.set('late', 'write');
  expect(compacted).toBe(false);
  expect(temporaries(file)).toHaveLength(1);
  release();
  await compaction;
  const st = map.stats();
  expect(st.generation).toBe(generation + 1);
  expect(st.logBytes).toBe(fs.statSync(file).size);
  expect(temporaries(file)).toEqual([]);
  await map.set('after', 1);
  model.set('after', 1);
  expect(contents(map)).toStrictEqual([...model]);
  await map.close();
  const again = await PersistentMap.open(file);
  expect(contents(again)).toStrictEqual([...model]);
  expect(again.stats().generation).toBe(generation + 1);
  await again.close();
});

// A filled store on a held fs backend behind a FaultBackend.
async function filledWithFaults() {
  const file = newFile();
  const held = new HeldFsBackend(file);
  const backend = new FaultBackend(held);
  const model = createModel();
  const map = await filled(backend, file, model);
  return { file, held, backend, model, map, generation: map.stats().generation };
}

test('a compaction whose final step fails leaves every write acknowledged during it in the old log', async () => {
  const { file, held, backend, model, map, generation } = await filledWithFaults();
  backend.failNth('finishReplace', 1);
  const release = held.hold();
  const compaction = map.compact().then(() => null, (err) => err);
  await until(() => held.began === 1);
  for (let i = 0; i < 10; i++) {
    await map.set(`during${i}`, i);
    model.set(`during${i}`, i);
  }
  release();
  const error = await compaction;
  expect(error).toMatchObject({ code: 'IO', injected: true });
  expect(map.stats().state).toBe('open');
  expect(map.stats().generation).toBe(generation);
  expect(temporaries(file)).toEqual([]);
  await map.set('after', 1);
  model.set('after', 1);
  await map.close();
  const again = await PersistentMap.open(file);
  expect(contents(again)).toStrictEqual([...model]);
  expect(again.stats().generation).toBe(generation);
  await again.close();
  expect(backend.overlaps).toEqual([]);
});

test('a write that fails while a compaction stores its snapshot is rolled back and the compaction abandoned', async () => {
  const { file, held, backend, model, map, generation } = await filledWithFaults();
  const release = held.hold();
  const compaction = map.compact().then(() => null, (err) => err);
  await until(() => held.began === 1);
  await map.set('before the failure', 1);
  model.set('before the failure', 1);
  backend.failNth('append', 1, { partial: true });
  const failed = map.set('fails', 2).then(() => null, (err) => err);
  // The roll-back waits for the snapshot to be stored, then drops it.
  await until(() => backend.injected.length === 1);
  release();
  expect(await failed).toMatchObject({ code: 'IO' });
  expect((await compaction).message).toMatch(/rolled back/);
  expect(map.stats().state).toBe('open');
  expect(contents(map)).toStrictEqual([...model]);
  expect(temporaries(file)).toEqual([]);
  await map.compact();
  expect(map.stats().generation).toBe(generation + 1);
  await map.close();
  const again = await PersistentMap.open(file);
  expect(contents(again)).toStrictEqual([...model]);
  await again.close();
  expect(backend.overlaps).toEqual([]);
});

test('close waits for a compaction in the background and the reopened store holds every write', async () => {
  const file = newFile();
  const backend = new HeldFsBackend(file);
  const model = createModel();
  const map = await filled(backend, file, model);
  const release = backend.hold();
  const compaction = map.compact();
  await until(() => backend.began === 1);
  await map.set('during', 1);
  model.set('during', 1);
  const closing = map.close();
  setImmediate(release);
  await closing;
  await compaction;
  expect(temporaries(file)).toEqual([]);
  const again = await PersistentMap.open(file);
  expect(contents(again)).toStrictEqual([...model]);
  expect(again.stats().totalRecords).toBe(model.size);
  await again.close();
});

test('an automatic compaction lets writes go on, and they reach the new log', async () => {
  const file = newFile();
  const backend = new HeldFsBackend(file);
  const map = await PersistentMap.open(file, { backend, compaction: { auto: true, ratio: 2, minBytes: 0 } });
  const model = createModel();
  let release = backend.hold();
  let released = 0;
  for (let i = 0; i < 2000; i++) {
    await map.set(`k${i % 10}`, i);
    model.set(`k${i % 10}`, i);
    // Each compaction is held for a few writes; the writer pauses now and then.
    if (backend.began > released && i % 7 === 0) {
      released = backend.began;
      release();
      release = backend.hold();
    }
    if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  release();
  await until(() => temporaries(file).length === 0);
  expect(backend.began).toBeGreaterThan(1);
  expect(contents(map)).toStrictEqual([...model]);
  await map.close();
  const again = await PersistentMap.open(file);
  expect(contents(again)).toStrictEqual([...model]);
  await again.close();
});

test('an import too big for one record waits for the compaction in the background, then replaces the log', async () => {
  const name = uniqueName('bg-import');
  const backend = new FaultBackend(new MemoryBackend(name));
  const map = await PersistentMap.open(name, { backend, maxRecordSize: 256, compaction: { auto: false } });
  await map.set('a', 1);
  const compaction = map.compact();
  const rows = Array.from({ length: 20 }, (_, i) => `k${i},"""${'x'.repeat(20)}${i}"""`);
  await map.importCSV(`key,value\n${rows.join('\n')}\n`);
  await compaction;
  expect(backend.calls('replace')).toBe(2); // the compaction, then the import's snapshot
  const expected = [...contents(map)];
  await map.close();
  const again = await PersistentMap.open(name, { backend: new MemoryBackend(name) });
  expect(contents(again)).toStrictEqual(expected);
  expect(again.size).toBe(21);
  await again.close();
  MemoryBackend.destroy(name);
  expect(backend.overlaps).toEqual([]);
});

test('a custom backend with only part of beginReplace, finishReplace and abortReplace is refused by name', async () => {
  const inner = new MemoryBackend(uniqueName('partial'));
  const backend = {
    open: () => inner.open(),
    read: () => inner.read(),
    append: (b, o) => inner.append(b, o),
    truncate: (n) => inner.truncate(n),
    sync: () => inner.sync(),
    replace: (b) => inner.replace(b),
    close: () => inner.close(),
    beginReplace: (b) => inner.beginReplace(b),
    finishReplace: (t) => inner.finishReplace(t),
  };
  await expect(PersistentMap.open('partial', { backend })).rejects.toMatchObject({
    code: 'INVALID',
    message: expect.stringMatching(/has beginReplace\(\) but lacks abortReplace\(\)/),
  });
});

test('writes go on while the snapshot is encoded a piece at a time: they resolve between pieces, and the new log holds every one of them once', async () => {
  const file = newFile();
  const model = createModel();
  const backend = new FsBackend(file);
  // Values of ~2 KB: a snapshot of 600 entries takes several 256 KiB pieces.
  const map = await PersistentMap.open(file, { backend, compaction: { auto: false } });
  const big = 'v'.repeat(2000);
  for (let i = 0; i < 600; i++) {
    await map.set(`k${i}`, big);
    model.set(`k${i}`, big);
  }
  const { Core } = await import('../../js/core.js');
  const piece = Core.prototype.snapshotPiece;
  let pieces = 0;
  const piecesAtWrite = []; // pieces encoded when each write resolved
  Core.prototype.snapshotPiece = function countedPiece(size) {
    pieces++;
    return piece.call(this, size);
  };
  try {
    const compaction = map.compact();
    let done = false;
    compaction.then(() => {
      done = true;
    });
    // Writes of every kind while the pieces are encoded: updates ahead of
    // and behind the encoding, deletes, moves to the end, new keys.
    for (let i = 0; !done; i++) {
      const key = `k${(i * 37) % 600}`;
      if (i % 4 === 0) {
        await map.delete(key);
        model.delete(key);
      } else if (i % 4 === 1) {
        await map.set(`new${i}`, i);
        model.set(`new${i}`, i);
      } else if (i % 4 === 2) {
        await map.delete(key);
        await map.set(key, i);
        model.delete(key);
        model.set(key, i);
      } else {
        await map.set(key, -i);
        model.set(key, -i);
      }
      piecesAtWrite.push(pieces);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await compaction;
  } finally {
    Core.prototype.snapshotPiece = piece;
  }
  expect(pieces).toBeGreaterThan(3);
  // Resolved after the first piece and before the last one.
  expect(piecesAtWrite.filter((p) => p >= 1 && p < pieces).length).toBeGreaterThan(0);
  expect(contents(map)).toEqual([...model]);
  await map.close();
  const again = await PersistentMap.open(file);
  expect(contents(again)).toEqual([...model]);
  expect(again.stats().generation).toBe(1);
  await again.close();
});
