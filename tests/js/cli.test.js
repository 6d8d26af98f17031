// The persistent-map CLI (js/cli/main.js, the package's bin), run as a
// child process on real files: every command, its --help, exit codes, output
// identical to the native CLI, read-only commands that change nothing,
// and the lock shared with a map open in another process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';
import { makeTempDir, removeTempDir, runNode } from './helpers.js';

const CLI = fileURLToPath(new URL('../../js/cli/main.js', import.meta.url));
const NATIVE = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

let dir;
let store;
beforeEach(() => {
  dir = makeTempDir('pmap-cli-');
  store = path.join(dir, 'store.pmap');
});
afterEach(() => removeTempDir(dir));

function cli(...args) {
  const input = args.length && typeof args[args.length - 1] === 'object' ? args.pop().input : undefined;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, input, timeout: 30000 });
  if (r.error) throw r.error;
  return r;
}
const native = (...args) => spawnSync(NATIVE, args, { encoding: 'utf8' });

async function fill(file) {
  const map = await PersistentMap.open(file);
  await map.setMany([
    ['user:1', { name: 'Ada', tags: ['x', 'y'] }],
    ['quote"comma,', 'line\nbreak'],
    ['bytes', new Uint8Array([1, 2, 3])],
    ['ключ 🔑', -1.5],
    ['=formula', null],
  ]);
  await map.delete('ключ 🔑');
  await map.set('ключ 🔑', 'back at the end');
  await map.close();
}

test('set, get, delete and dump', () => {
  expect(cli('set', store, 'a', '{"n":1}').status).toBe(0);
  expect(cli('set', store, 'b', '{"$bytes":"AAE="}').status).toBe(0);
  expect(cli('set', store, 's', '"text"').status).toBe(0);
  expect(cli('get', store, 'a').stdout).toBe('{"n":1}\n');
  expect(cli('get', store, 'b').stdout).toBe('{"$bytes":"AAE="}\n');
  expect(cli('get', store, 's').stdout).toBe('"text"\n');
  expect(cli('delete', store, 'a').status).toBe(0);
  expect(cli('del', store, 's').status).toBe(0);
  expect(cli('dump', store).stdout).toBe('{"key":"b","value":{"$bytes":"AAE="}}\n');
  // A key that looks like an option, after --.
  expect(cli('set', store, '--', '--key', '1').status).toBe(0);
  expect(cli('get', store, '--', '--key').stdout).toBe('1\n');
});

test('dump, get and export-csv print what the native CLI prints', async () => {
  await fill(store);
  for (const args of [['dump'], ['export-csv'], ['export-csv', '--neutralize-formulas'], ['get', 'user:1'], ['get', 'bytes']]) {
    const [command, ...rest] = args;
    const ours = cli(command, store, ...rest);
    const theirs = native(command, store, ...rest);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(0);
    expect(theirs.status).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
  }
});

test('export-csv to a file and import-csv from a file and from standard input', async () => {
  await fill(store);
  const csv = path.join(dir, 'out.csv');
  expect(cli('export-csv', store, csv).status).toBe(0);
  const copy = path.join(dir, 'copy.pmap');
  const r = cli('import-csv', copy, csv);
  expect(r.stdout).toBe('imported 5 entries\n');
  expect(cli('dump', copy).stdout).toBe(cli('dump', store).stdout);
  const piped = cli('import-csv', path.join(dir, 'piped.pmap'), '-', { input: fs.readFileSync(csv) });
  expect(piped.status).toBe(0);
  expect(cli('dump', path.join(dir, 'piped.pmap')).stdout).toBe(cli('dump', store).stdout);
});

test('a bad CSV names the file, line and column, exits 1 and changes nothing', async () => {
  await fill(store);
  const before = fs.readFileSync(store);
  const bad = path.join(dir, 'bad.csv');
  fs.writeFileSync(bad, 'key,value\r\nok,1\r\nbad,{oops}\r\n');
  const r = cli('import-csv', store, bad);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^persistent-map: .*bad\.csv: CSV line 3, column 5: value is not valid JSON/);
  expect(fs.readFileSync(store)).toEqual(before);
  expect(cli('import-csv', store, path.join(dir, 'missing.csv')).status).toBe(1);
});

test('stat, compact and verify; verify finds damage (exit 2) like the native verify', async () => {
  await fill(store);
  const stat = cli('stat', store);
  expect(stat.stdout).toMatch(/^path: .*\nbackend: fs\nentries: 5\ngeneration: 0\nlive records: 5\ntotal records: 7\n/);
  expect(cli('compact', store).stdout).toMatch(/^compacted .*store\.pmap: \d+ -> \d+ bytes\n$/);
  expect(cli('stat', store).stdout).toMatch(/live records: 5\ntotal records: 5\n/);
  const clean = cli('verify', store);
  expect(clean.status).toBe(0);
  expect(clean.stdout).toBe(native('verify', store).stdout);

  const bytes = fs.readFileSync(store);
  bytes[bytes.length - 20] ^= 0x40; // inside the last record
  fs.writeFileSync(store, bytes);
  const damaged = cli('verify', store);
  expect(damaged.status).toBe(2);
  expect(damaged.stdout).toMatch(/^damaged bytes \[\d+, \d+\): /);
  expect(damaged.stderr).toMatch(/1 damaged range\(s\)/);
  expect(native('verify', store).status).toBe(2);
  // The default recovery refuses mid-file damage; the read-only commands
  // never touch the file.
  expect(cli('get', store, 'user:1', '--recovery=salvage').status).toBe(0);
  expect(fs.readFileSync(store)).toEqual(bytes);
});

test('a store holding a record over the default maxRecordSize is refused by both CLIs and left untouched', async () => {
  const map = await PersistentMap.open(store, { maxRecordSize: 128 * 1024 * 1024 });
  await map.set('big', new Uint8Array(64 * 1024 * 1024 + 1000));
  await map.close();
  const before = fs.readFileSync(store);
  const payload = before.length - 32 - 9;
  for (const run of [cli, native]) {
    for (const args of [['set', store, 'other', '1'], ['set', store, 'other', '1', '--recovery=salvage']]) {
      const r = run(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`log record at byte 32 has a ${payload}-byte payload`);
      expect(r.stderr).toMatch(/maxRecordSize/);
      expect(fs.readFileSync(store).equals(before)).toBe(true);
    }
  }
  // verify checks the format, whose limit is 1 GiB: the store is sound.
  expect(cli('verify', store).status).toBe(0);
  expect(native('verify', store).status).toBe(0);
});

test('read-only commands leave a torn tail alone; writes cut it', async () => {
  await fill(store);
  const torn = Buffer.concat([fs.readFileSync(store), Buffer.from([9, 9, 9])]);
  fs.writeFileSync(store, torn);
  for (const command of ['stat', 'dump', 'export-csv', 'get']) {
    expect(cli(command, store, ...(command === 'get' ? ['bytes'] : [])).status).toBe(0);
  }
  expect(fs.readFileSync(store)).toEqual(torn);
  expect(cli('set', store, 'new', '1').status).toBe(0);
  expect(native('verify', store).status).toBe(0);
});

test('a store open elsewhere: the CLI\'s writes join it and the holder sees them live; readers work', async () => {
  await fill(store);
  const map = await PersistentMap.open(store);
  const changes = [];
  map.on('change', (e) => changes.push(e));
  try {
    // Asynchronously: the holder leads, and must go on serving meanwhile.
    const r = await runNode(CLI, ['set', store, 'k', '1'], { timeout: 30000 });
    expect({ status: r.code, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(map.get('k')).toBe(1);
    expect(changes).toEqual([{ type: 'set', key: 'k', origin: 'remote' }]);
    expect((await runNode(CLI, ['get', store, 'user:1'])).code).toBe(0);
    // The native CLI's readers take no lock either, and leave nothing behind.
    for (const args of [['stat', store], ['dump', store], ['get', store, 'user:1'], ['verify', store]]) {
      const n = native(...args);
      expect({ args, status: n.status, stderr: n.stderr }).toEqual({ args, status: 0, stderr: '' });
    }
    expect(fs.readdirSync(path.dirname(store)).filter((f) => f.startsWith(path.basename(store)))).toEqual([path.basename(store)]);
    const locked = await runNode(CLI, ['set', store, 'k', '2', '--exclusive']);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toMatch(/locked/i);
  } finally {
    await map.close();
  }
  expect(cli('set', store, 'k', '1').status).toBe(0);
});

test('usage errors exit 64; every command has --help', () => {
  const cases = [[], ['frob', store], ['get', store], ['get', store, 'a', 'b'], ['set', store, 'k', '1', '--nope'],
    ['get', store, 'k', '--recovery=fast'], ['verify', store, '--recovery=strict'], ['dump', store, '--backend=redis'],
    ['dump', store, '--neutralize-formulas']];
  for (const args of cases) {
    const r = cli(...args);
    expect([args, r.status]).toEqual([args, 64]);
    expect(r.stderr).toMatch(/^persistent-map: .+\nusage: persistent-map /);
  }
  expect(cli('--help').stdout).toMatch(/^usage: persistent-map <command>[\s\S]*exit codes:/);
  for (const c of ['stat', 'get', 'set', 'delete', 'del', 'dump', 'export-csv', 'import-csv', 'compact', 'verify']) {
    for (const args of [[c, '--help'], ['help', c]]) {
      const r = cli(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: persistent-map ${c === 'del' ? 'delete' : c} STORE`));
    }
  }
});

test('bad values and missing stores exit 1 with a message', () => {
  let r = cli('set', store, 'k', '{not json');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^persistent-map: the value is not valid JSON/);
  expect(fs.existsSync(store)).toBe(false);
  r = cli('get', store, 'k');
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`persistent-map: no store at ${store}\n`);
  expect(cli('set', store, 'k', '1').status).toBe(0);
  r = cli('get', store, 'other');
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`persistent-map: no key 'other' in ${store}\n`);
});

test('a sqlite row edited to a value that is not JSON: get, dump and verify exit 2 naming the key, without a stack trace', async () => {
  const db = path.join(dir, 'store.db');
  expect(cli('set', db, 'a', '1').status).toBe(0);
  expect(cli('set', db, 'b', '2').status).toBe(0);
  spawnSync('sqlite3', [db, "UPDATE entries SET value = 'not json' WHERE key = 'b'"]);
  for (const args of [['get', db, 'a'], ['get', db, 'b'], ['dump', db], ['verify', db], ['export-csv', db]]) {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^persistent-map: .*store\.db: 1 row\(s\) hold a value that is neither JSON text nor tagged bytes.*key "b" \(row 2 of 2 in pos order\)/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }
});

test('a log written with a custom codec: get and dump exit 2 naming the key, without a stack trace', async () => {
  const map = await PersistentMap.open(store, { codec: { encode: (v) => new TextEncoder().encode(v), decode: (b) => b } });
  await map.set('k', 'plain text');
  await map.close();
  for (const args of [['get', store, 'k'], ['dump', store]]) {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^persistent-map: .*the value of key "k" is not JSON text/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }
});

test('a number beyond a double and values nested 60,000 deep exit 1 in set and import-csv', () => {
  const deep = `${'['.repeat(60000)}${']'.repeat(60000)}`;
  for (const value of ['1e999', deep]) {
    const r = cli('set', store, 'k', value);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^persistent-map: (the value has a number out of range|cannot store this value: value.*? ?nests arrays and objects more than 1000 levels deep)/);
  }
  const csv = path.join(dir, 'deep.csv');
  fs.writeFileSync(csv, `key,value\r\nok,1\r\nk,"${deep}"\r\n`);
  const r = cli('import-csv', store, csv);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/CSV line 3, column \d+: cannot store this value: value.*? ?nests arrays and objects more than 1000 levels deep/);
  expect(fs.existsSync(store)).toBe(false);
});

test('sqlite stores: told apart by name and content, readable by the sqlite3 tool', async () => {
  const db = path.join(dir, 'store.db');
  expect(cli('set', db, 'user:1', '{"name":"Ada"}').status).toBe(0);
  expect(cli('set', db, 'bytes', '{"$bytes":"AAE="}').status).toBe(0);
  const rows = spawnSync('sqlite3', [db, 'SELECT key, value FROM entries ORDER BY pos'], { encoding: 'utf8' });
  expect(rows.stdout.split('\n')[0]).toBe('user:1|{"name":"Ada"}');
  expect(cli('stat', db).stdout).toMatch(/^path: .*\nbackend: sqlite\nentries: 2\n/);
  // A sqlite file under any name is found by its first bytes.
  const renamed = path.join(dir, 'renamed.bin');
  fs.copyFileSync(db, renamed);
  expect(cli('dump', renamed).stdout).toBe('{"key":"user:1","value":{"name":"Ada"}}\n{"key":"bytes","value":{"$bytes":"AAE="}}\n');
  // CSV both ways between an fs store and a sqlite store.
  await fill(store);
  const csv = path.join(dir, 'fs.csv');
  expect(cli('export-csv', store, csv).status).toBe(0);
  expect(cli('import-csv', db, csv).stdout).toBe('imported 5 entries\n');
  expect(cli('delete', db, 'user:1').status).toBe(0);
  expect(cli('compact', db).status).toBe(0);
  expect(cli('verify', db).status).toBe(0);
  // The same entries; 'bytes' was in the sqlite store already, so it keeps its place.
  const dumpFs = cli('dump', store).stdout.split('\n').filter((l) => l && !l.includes('"user:1"'));
  const dumpDb = cli('dump', db).stdout.split('\n').filter(Boolean);
  expect(dumpDb[0]).toBe('{"key":"bytes","value":{"$bytes":"AQID"}}');
  expect(dumpDb.slice(1)).toEqual(dumpFs.filter((l) => !l.includes('"bytes"')));
  // --backend says what a new file is.
  expect(cli('set', path.join(dir, 'new.data'), 'k', '1', '--backend=sqlite').status).toBe(0);
  expect(fs.readFileSync(path.join(dir, 'new.data')).subarray(0, 15).toString()).toBe('SQLite format 3');
  // Damage: refused with exit 2.
  const bytes = fs.readFileSync(db);
  bytes.fill(0x5a, 4096, 8192);
  fs.writeFileSync(db, bytes);
  const r = cli('verify', db);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^persistent-map: /);
});
