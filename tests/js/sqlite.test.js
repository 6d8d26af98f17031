// The sqlite backend in Node beyond the conformance suite: the store is a
// real SQLite database that the sqlite3 command-line tool reads and writes;
// durability settings really sync; a failed transaction is rolled back and
// the map agrees with the table; foreign files are refused untouched.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap, PersistentMapError, SqliteBackend, registerBackend } from '../../js/index.js';
import { contents, holdStore, makeTempDir, removeTempDir, uniqueName } from './helpers.js';

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-sqlite-');
});
afterAll(() => removeTempDir(dir));

const newFile = () => path.join(dir, `${uniqueName('db')}.sqlite`);
/** Runs the sqlite3 tool; returns its output lines. */
const sqlite3 = (file, ...sql) => execFileSync('sqlite3', [file, ...sql], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');

/**
 * node:fs with counted, failable calls, for SqliteBackend's fileSystem
 * option: fail(method, n, code) makes the n-th call from now throw an
 * error with that errno code.
 */
class FaultyFs {
  constructor() {
    this.counts = {};
    this.faults = [];
    for (const method of ['openSync', 'closeSync', 'readSync', 'writeSync', 'fsyncSync', 'fdatasyncSync',
      'ftruncateSync', 'fstatSync', 'unlinkSync', 'accessSync']) {
      this.counts[method] = 0;
      this[method] = (...args) => {
        const call = ++this.counts[method];
        const i = this.faults.findIndex((f) => f.method === method && f.at === call);
        if (i >= 0) {
          const [f] = this.faults.splice(i, 1);
          throw Object.assign(new Error(`${f.code}: injected failure of ${method}`), { code: f.code });
        }
        return fs[method](...args);
      };
    }
  }

  fail(method, n, code) {
    this.faults.push({ method, at: this.counts[method] + n, code });
  }

  syncs() {
    return this.counts.fsyncSync + this.counts.fdatasyncSync;
  }
}

test('the database is a real SQLite file: the sqlite3 tool reads the rows in insertion order, JSON as TEXT and bytes as BLOB', async () => {
  const file = newFile();
  const map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.set('user:1', { name: 'Ada', langs: ['en', 'fr'] });
  await map.set('user:2', 'Grace');
  await map.set('bytes', new Uint8Array([0, 1, 255]));
  await map.set('user:1', { name: 'Ada Lovelace' }); // keeps its place
  await map.delete('user:2');
  await map.set('user:2', 'Grace Hopper'); // goes last
  await map.setMany([['n', 42], ['é 😀', null]]);
  await map.close();

  expect(sqlite3(file, 'PRAGMA integrity_check')).toEqual(['ok']);
  expect(sqlite3(file, 'SELECT key FROM entries ORDER BY pos')).toEqual(['user:1', 'bytes', 'user:2', 'n', 'é 😀']);
  expect(sqlite3(file, "SELECT key, value FROM entries WHERE key <> 'bytes' ORDER BY pos")).toEqual([
    'user:1|{"name":"Ada Lovelace"}', 'user:2|"Grace Hopper"', 'n|42', 'é 😀|null',
  ]);
  expect(sqlite3(file, "SELECT typeof(value), hex(value) FROM entries WHERE key = 'bytes'")).toEqual(['blob|010001FF']);
  expect(sqlite3(file, "SELECT typeof(value) FROM entries WHERE key <> 'bytes' GROUP BY 1")).toEqual(['text']);
  expect(sqlite3(file, "SELECT json_extract(value, '$.name') FROM entries WHERE key = 'user:1'")).toEqual(['Ada Lovelace']);
  expect(sqlite3(file, 'SELECT name, value FROM meta ORDER BY name')).toEqual(['format|1', 'generation|0', expect.stringMatching(/^syncs\|\d+$/)]);
  expect(sqlite3(file, 'PRAGMA application_id')).toEqual([String(0x504d4150)]);
});

test('rows changed with the sqlite3 tool are what the next open finds, in pos order', async () => {
  const file = newFile();
  let map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.setMany([['a', 1], ['b', 2], ['c', 3]]);
  await map.close();
  sqlite3(file, `UPDATE entries SET value = '{"from":"cli"}' WHERE key = 'b';
    INSERT INTO entries (key, value) VALUES ('d', '[4]');
    DELETE FROM entries WHERE key = 'a';
    UPDATE entries SET pos = 0 WHERE key = 'c';`);
  map = await PersistentMap.open(file, { backend: 'sqlite' });
  expect(contents(map)).toStrictEqual([['c', 3], ['b', { from: 'cli' }], ['d', [4]]]);
  await map.set('e', 5); // after the largest pos
  await map.close();
  expect(sqlite3(file, 'SELECT key FROM entries ORDER BY pos')).toEqual(['c', 'b', 'd', 'e']);
});

test('a row whose value the sqlite3 tool made something the default codec cannot read is refused at open with CORRUPT naming its key and row', async () => {
  const file = newFile();
  let map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.setMany([['a', 1], ['b', { n: 2 }], ['c', 3], ['bytes', new Uint8Array([7])]]);
  await map.close();
  const original = fs.readFileSync(file);
  // Each edit alone: text that is not JSON, empty text, a BLOB without the
  // bytes tag (UTF-8 but not JSON; not UTF-8), a number (read as its text).
  for (const value of ["'not json'", "''", "X'02'", "X'FF'", "'{\"a\":'"]) {
    fs.writeFileSync(file, original);
    sqlite3(file, `UPDATE entries SET value = ${value} WHERE key = 'b'`);
    const err = await PersistentMap.open(file, { backend: 'sqlite' }).catch((e) => e);
    expect(err).toBeInstanceOf(PersistentMapError);
    expect(err.code).toBe('CORRUPT');
    expect(err.message).toContain('key "b" (row 2 of 4 in pos order)');
    expect(err.message).toMatch(/neither JSON text nor tagged bytes.*sqlite3 tool/);
    // Refused, not changed: the row is still there to be corrected, and the
    // store opens again once it is.
    expect(sqlite3(file, "SELECT count(*) FROM entries WHERE key = 'b'")).toEqual(['1']);
  }
  sqlite3(file, "UPDATE entries SET value = 42 WHERE key = 'b'; UPDATE entries SET value = 'nope' WHERE key IN ('a', 'c')");
  const err = await PersistentMap.open(file, { backend: 'sqlite' }).catch((e) => e);
  expect(err.code).toBe('CORRUPT');
  expect(err.message).toMatch(/^.*: 2 row\(s\) .*key "a" \(row 1 of 4 in pos order\), key "c" \(row 3 of 4 in pos order\)\. /);
  sqlite3(file, "UPDATE entries SET value = '\"fixed\"' WHERE key IN ('a', 'c')");
  map = await PersistentMap.open(file, { backend: 'sqlite' });
  expect(contents(map)).toStrictEqual([['a', 'fixed'], ['b', 42], ['c', 'fixed'], ['bytes', new Uint8Array([7])]]);
  await map.close();
  // A custom codec's store holds what that codec wrote: not checked.
  sqlite3(file, "UPDATE entries SET value = 'plain text' WHERE key = 'a'");
  map = await PersistentMap.open(file, { backend: 'sqlite', codec: { encode: (v) => v, decode: (b) => b } });
  expect(new TextDecoder().decode(map.get('a'))).toBe('plain text');
  await map.close();
});

test('hand edits SQLite itself refuses, and two rows holding the same key bytes, never reach a read', async () => {
  const file = newFile();
  let map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.setMany([['a', 1], ['b', 2]]);
  await map.close();
  const refused = (sql) => spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  expect(refused("UPDATE entries SET value = NULL WHERE key = 'a'").stderr).toMatch(/NOT NULL constraint failed/);
  expect(refused("UPDATE entries SET pos = 1 WHERE key = 'b'").stderr).toMatch(/UNIQUE constraint failed/);
  expect(refused("INSERT INTO entries (key, value) VALUES ('a', '3')").stderr).toMatch(/UNIQUE constraint failed/);
  // UNIQUE tells a BLOB from TEXT with the same bytes; the store does not.
  sqlite3(file, "INSERT INTO entries (key, value) VALUES (CAST('a' AS BLOB), '3')");
  const err = await PersistentMap.open(file, { backend: 'sqlite' }).catch((e) => e);
  expect(err).toBeInstanceOf(PersistentMapError);
  expect(err.code).toBe('CORRUPT');
  expect(err.message).toMatch(/1 row\(s\) repeat the key bytes of another row/);
  sqlite3(file, "DELETE FROM entries WHERE typeof(key) = 'blob'");
  map = await PersistentMap.open(file, { backend: 'sqlite' });
  expect(contents(map)).toStrictEqual([['a', 1], ['b', 2]]);
  await map.close();
});

test('any value a codec produces reads back byte for byte (TEXT when it is UTF-8 text, else BLOB)', async () => {
  const file = newFile();
  const raw = { encode: (v) => v, decode: (b) => b };
  const values = [
    new Uint8Array([0xff, 0xfe, 0x00]), // not UTF-8
    new Uint8Array([0x01, 0x41]), // UTF-8, but starts with the bytes tag
    new TextEncoder().encode('plain text, not JSON'),
    new Uint8Array(0),
    new TextEncoder().encode('nul\u0000inside'),
  ];
  let map = await PersistentMap.open(file, { backend: 'sqlite', codec: raw });
  await map.setMany(values.map((v, i) => [`v${i}`, v]));
  await map.close();
  map = await PersistentMap.open(file, { backend: 'sqlite', codec: raw });
  expect(contents(map)).toStrictEqual(values.map((v, i) => [`v${i}`, v]));
  await map.close();
  expect(sqlite3(file, 'SELECT key, typeof(value) FROM entries ORDER BY pos')).toEqual(['v0|blob', 'v1|blob', 'v2|text', 'v3|text', 'v4|text']);
});

test('strict writes fsync the database, relaxed ones do not, and flush() does', async () => {
  const file = newFile();
  const faulty = new FaultyFs();
  let map = await PersistentMap.open(file, { backend: new SqliteBackend(file, { fileSystem: faulty }), durability: 'strict' });
  let before = faulty.syncs();
  await map.set('a', 1);
  expect(faulty.syncs()).toBeGreaterThan(before);
  await map.close();

  map = await PersistentMap.open(file, { backend: new SqliteBackend(file, { fileSystem: faulty }) });
  before = faulty.syncs();
  for (let i = 0; i < 5; i++) await map.set(`r${i}`, i);
  expect(faulty.syncs()).toBe(before);
  expect(faulty.counts.writeSync).toBeGreaterThan(0); // handed to the OS at each commit
  await map.flush();
  expect(faulty.syncs()).toBeGreaterThan(before);
  // Nothing unsynced since: another flush writes and syncs nothing, and
  // neither does the close (past SQLite's own sync of its journal as the
  // connection ends).
  const counts = { ...faulty.counts };
  await map.flush();
  expect(faulty.syncs()).toBe(counts.fsyncSync + counts.fdatasyncSync);
  await map.close();
  expect(faulty.counts.writeSync).toBe(counts.writeSync);
});

test('a store that is only read is not written: opening and closing leaves the file as it was', async () => {
  const file = newFile();
  let map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.setMany([['a', 1], ['b', 2]]);
  await map.close();
  const before = fs.readFileSync(file);
  map = await PersistentMap.open(file, { backend: 'sqlite' });
  expect(contents(map)).toStrictEqual([['a', 1], ['b', 2]]);
  await map.close();
  expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
});

test('a write that runs out of space is rolled back: QUOTA, the map equals the table, and the store goes on', async () => {
  const file = newFile();
  const faulty = new FaultyFs();
  const map = await PersistentMap.open(file, { backend: new SqliteBackend(file, { fileSystem: faulty }) });
  await map.setMany([['a', 1], ['b', 2]]);
  faulty.fail('writeSync', 2, 'ENOSPC'); // inside the commit, after the journal's first write
  const big = Array.from({ length: 200 }, (_, i) => [`big${i}`, 'x'.repeat(500)]);
  const error = await map.setMany(big).catch((e) => e);
  expect(error).toBeInstanceOf(PersistentMapError);
  expect(error.code).toBe('QUOTA');
  expect(error.message).toMatch(/ENOSPC/);
  expect(error.message).toMatch(/rolled back/);
  expect(map.stats().state).toBe('open');
  expect(contents(map)).toStrictEqual([['a', 1], ['b', 2]]);
  await map.set('c', 3);
  await map.close();
  expect(sqlite3(file, 'PRAGMA integrity_check')).toEqual(['ok']);
  expect(sqlite3(file, 'SELECT key FROM entries ORDER BY pos')).toEqual(['a', 'b', 'c']);
});

test('a failed fsync of a strict write is fatal: the store refuses writes, and a reopen finds every acknowledged one', async () => {
  const file = newFile();
  const faulty = new FaultyFs();
  const map = await PersistentMap.open(file, { backend: new SqliteBackend(file, { fileSystem: faulty }), durability: 'strict' });
  await map.set('acknowledged', 1);
  faulty.fail('fsyncSync', 1, 'EIO');
  faulty.fail('fdatasyncSync', 1, 'EIO');
  const error = await map.set('in flight', 2).catch((e) => e);
  expect(error).toBeInstanceOf(PersistentMapError);
  expect(error.code).toBe('IO');
  expect(map.stats().state).toBe('failed');
  await expect(map.set('later', 3)).rejects.toMatchObject({ code: 'CLOSED' });
  await map.close().catch(() => {});
  const again = await PersistentMap.open(file, { backend: 'sqlite' });
  expect([...again.keys()].slice(0, 1)).toEqual(['acknowledged']);
  expect(again.has('later')).toBe(false);
  await again.close();
});

test('a file that is not an SQLite database, or another program\'s database, is refused with CORRUPT and left untouched', async () => {
  const notDb = newFile();
  fs.writeFileSync(notDb, 'this is not a database, just some text that is long enough '.repeat(20));
  const foreign = newFile();
  sqlite3(foreign, 'CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  for (const file of [notDb, foreign]) {
    const before = fs.readFileSync(file);
    const error = await PersistentMap.open(file, { backend: 'sqlite' }).catch((e) => e);
    expect(error).toBeInstanceOf(PersistentMapError);
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain(file);
    expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
    expect(fs.existsSync(`${file}.lock`)).toBe(false); // released after the refusal
  }
});

test('a damaged database is refused with CORRUPT rather than loaded, even where reading the rows would not notice', async () => {
  const file = newFile();
  const map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.setMany(Array.from({ length: 300 }, (_, i) => [`key${i}`, { i, pad: 'p'.repeat(50) }]));
  await map.close();
  // Scribble over the root page of the key index: reading the rows in pos
  // order never touches it, but the next write would go wrong.
  const [root] = sqlite3(file, "SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'entries'");
  const page = Number(sqlite3(file, 'PRAGMA page_size')[0]);
  const bytes = fs.readFileSync(file);
  bytes.fill(0x5a, (Number(root) - 1) * page, Number(root) * page);
  fs.writeFileSync(file, bytes);
  expect(sqlite3(file, 'SELECT key FROM entries ORDER BY pos')).toHaveLength(300);
  const error = await PersistentMap.open(file, { backend: 'sqlite' }).catch((e) => e);
  expect(error).toBeInstanceOf(PersistentMapError);
  expect(error.code).toBe('CORRUPT');
  expect(error.message).toMatch(/is damaged \(PRAGMA quick_check/);
});

test('a store held by another live process is LOCKED; once that process is killed the store opens', async () => {
  const file = newFile();
  const holder = await holdStore(file, 'sqlite');
  try {
    const error = await PersistentMap.open(file, { backend: 'sqlite', exclusive: true }).catch((e) => e);
    expect(error).toBeInstanceOf(PersistentMapError);
    expect(error.code).toBe('LOCKED');
    expect(error.message).toContain('open for writing in another process');
  } finally {
    await holder.kill();
  }
  const map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.set('k', 1);
  await map.close();
  expect(fs.existsSync(`${file}.lock`)).toBe(false);
});

test('without @sqlite.org/sqlite-wasm installed, opening a sqlite store is a NOT_FOUND error naming the package', () => {
  // A child whose module resolution cannot find the package.
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === '@sqlite.org/sqlite-wasm') throw Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
    return next(specifier, context);
  }`;
  const index = new URL('../../js/index.js', import.meta.url).href;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
    const { PersistentMap } = await import(${JSON.stringify(index)});
    try {
      await PersistentMap.open(${JSON.stringify(newFile())}, { backend: 'sqlite' });
      console.log('opened');
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, message: e.message }));
    }`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  const result = JSON.parse(out.stdout.trim().split('\n').pop());
  expect(result.code).toBe('NOT_FOUND');
  expect(result.message).toMatch(/needs the package @sqlite\.org\/sqlite-wasm \(npm install @sqlite\.org\/sqlite-wasm\)/);
});

test('destroy deletes a closed store\'s database and journal, and refuses an open one', async () => {
  const file = newFile();
  const map = await PersistentMap.open(file, { backend: 'sqlite' });
  await map.set('k', 1);
  await expect(SqliteBackend.destroy(file)).rejects.toMatchObject({ code: 'LOCKED' });
  expect(fs.existsSync(file)).toBe(true);
  await map.close();
  expect(fs.existsSync(`${file}-journal`)).toBe(true);
  await SqliteBackend.destroy(file);
  expect([file, `${file}-journal`, `${file}.lock`].filter((f) => fs.existsSync(f))).toEqual([]);
  const again = await PersistentMap.open(file, { backend: 'sqlite' });
  expect(again.size).toBe(0);
  await again.close();
});

test('a named backend\'s factory is given the wasm option, which the sqlite backend loads its log decoder from', async () => {
  const given = [];
  registerBackend('sqlite-with-options', (file, options) => {
    given.push(options);
    return new SqliteBackend(file, options);
  });
  const binary = fs.readFileSync(new URL('../../js/wasm/pmap_core.wasm', import.meta.url));
  const map = await PersistentMap.open(newFile(), { backend: 'sqlite-with-options', wasm: { binary } });
  await map.set('k', 1);
  await map.close();
  expect(given).toHaveLength(1);
  expect(given[0].wasm.binary).toBe(binary);
});
