// The sqlite backend keeps the client table (docs/FORMAT.md, Clients) in a
// table of its own, written in the transaction of the rows it came with and
// read back on open as a CLIENTS record, so that exactly-once survives a
// reopen and a compaction there as in a log.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Core, loadCore } from '../../js/core.js';
import { PersistentMap, SqliteBackend } from '../../js/index.js';
import { OpWriter } from '../../js/op_writer.js';
import { makeTempDir, removeTempDir } from './helpers.js';

const OPTIONS = { maxRecordSize: 64, recovery: 'strict', compaction: { ratio: 2, minBytes: 0, auto: false } };
const ALICE = '0123456789abcdef';
const BOB = 'fedcba9876543210';
const sqlite3 = (file, sql) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');

let dir;
let module;
beforeAll(async () => {
  module = await loadCore();
});
beforeEach(() => {
  dir = makeTempDir('pmap-sqlite-clients-');
});
afterEach(() => removeTempDir(dir));

/** Opens the backend and a core replaying it. */
async function open(file) {
  const backend = new SqliteBackend(file);
  const bytes = await backend.open();
  const core = new Core(module, OPTIONS);
  const report = core.recover(bytes);
  if (!report.ok) throw new Error(report.message);
  return { backend, core, report };
}

async function write(backend, core, fill) {
  const w = new OpWriter();
  fill(w);
  const status = core.commit(w.take(), 'copy');
  if (status !== null) throw new Error(status.message);
  await backend.append(core.pending);
}

function inner(fill) {
  const w = new OpWriter();
  fill(w);
  return w.take().slice();
}

async function close({ backend, core }) {
  core.delete();
  await backend.close();
}

test('tagged writes become rows, and their clients survive a reopen and a compaction', async () => {
  const file = path.join(dir, 'store.sqlite');
  let s = await open(file);
  await write(s.backend, s.core, (w) => {
    w.tagged(ALICE, 3, inner((o) => { o.put('a', '1'); o.put('b', '2'); }));
    w.tagged(BOB, 7, inner((o) => o.delete('a')));
  });
  await write(s.backend, s.core, (w) => {
    w.put('c', '3');
    w.tagged(ALICE, 4, inner((o) => o.put('b', '"two"')));
  });
  await close(s);
  expect(sqlite3(file, 'SELECT key, value FROM entries ORDER BY pos')).toEqual(['b|"two"', 'c|3']);
  expect(sqlite3(file, 'SELECT id, seq FROM clients ORDER BY pos')).toEqual([`${BOB}|7`, `${ALICE}|4`]);

  s = await open(file);
  expect(s.core.clientSeq(ALICE)).toBe(4);
  expect(s.core.clientSeq(BOB)).toBe(7);
  // The log read back: header, one CLIENTS record (two entries fit 64
  // bytes), one PUT per row.
  expect(s.report).toMatchObject({ records: 3, clientRecords: 1 });
  // A compaction (replace) keeps them, in the order they were last logged.
  await s.backend.replace(s.core.encodeSnapshot());
  s.core.snapshotInstalled();
  await close(s);
  expect(sqlite3(file, 'SELECT id, seq FROM clients ORDER BY pos')).toEqual([`${BOB}|7`, `${ALICE}|4`]);
  s = await open(file);
  expect(s.core.clientSeq(ALICE)).toBe(4);
  expect(s.core.clientSeq(BOB)).toBe(7);
  expect(s.core.stats().liveRecords).toBe(2);
  await close(s);
});

test('a store without tagged writes gets no clients table, and stores written before it still open', async () => {
  const file = path.join(dir, 'plain.sqlite');
  const map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.set('k', 1);
  await map.close();
  expect(sqlite3(file, "SELECT count(*) FROM sqlite_schema WHERE name = 'clients'")).toEqual(['0']);
  const s = await open(file);
  expect(s.core.clientSeq(ALICE)).toBe(0);
  await write(s.backend, s.core, (w) => w.tagged(ALICE, 1, inner((o) => o.put('j', '2'))));
  await close(s);
  expect(sqlite3(file, 'SELECT id, seq FROM clients')).toEqual([`${ALICE}|1`]);
  const reopened = await open(file);
  expect(reopened.core.entryAt(1, true)).toEqual(['j', '2']);
  expect(reopened.core.clientSeq(ALICE)).toBe(1);
  await close(reopened);
});

test('a failed transaction leaves the clients table as it was', async () => {
  const file = path.join(dir, 'fail.sqlite');
  const s = await open(file);
  await write(s.backend, s.core, (w) => w.tagged(ALICE, 1, inner((o) => o.put('a', '1'))));
  // A change whose operation the row store cannot apply, after its rows.
  const change = { bytes: new Uint8Array(0), ops: Uint32Array.of(9, 0, 0, 0, 0), generation: null, clients: [{ client: ALICE, seq: 5 }] };
  await expect(Promise.resolve().then(() => s.backend.store.apply(change))).rejects.toThrow(/unknown operation kind 9/);
  await close(s);
  expect(sqlite3(file, 'SELECT id, seq FROM clients')).toEqual([`${ALICE}|1`]);
});
