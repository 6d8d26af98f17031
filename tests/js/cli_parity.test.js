// The two CLIs are one tool: the npm package's (js/cli/main.js) and the
// native one built into build/ run the same table of cases, each in a fresh
// directory of its own, and must give the same exit codes, the same standard
// output and an error message of the same kind, so that they cannot drift
// apart. Needs `cmake --build build` first (as tests/js/cross_build.test.js).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from './helpers.js';

const NODE_CLI = fileURLToPath(new URL('../../js/cli/main.js', import.meta.url));
const NATIVE_CLI = fileURLToPath(new URL('../../build/persistent-map-native', import.meta.url));

const CLIS = {
  node: { command: process.execPath, prefix: [NODE_CLI], name: 'persistent-map' },
  native: { command: NATIVE_CLI, prefix: [], name: 'persistent-map-native' },
};

beforeAll(() => {
  if (!fs.existsSync(NATIVE_CLI)) {
    throw new Error(`${NATIVE_CLI} is missing: run scripts/setup.sh, or cmake -S . -B build && cmake --build build --target persistent-map-native`);
  }
});

const S = 'store.pmap';
const BOM = '\uFEFF';
const DEEP = `${'['.repeat(60000)}${']'.repeat(60000)}`;

function flipByte(dir, at) {
  const bytes = fs.readFileSync(path.join(dir, S));
  bytes[at < 0 ? bytes.length + at : at] ^= 0x40;
  fs.writeFileSync(path.join(dir, S), bytes);
}

// A step is the arguments of one run, with { input } last for standard
// input; or { args, err }, where err is what the error message must say (in
// both CLIs); or a function that changes the directory between runs.
const CASES = [
  ['set, get and dump', [
    ['set', S, 'a', '{"n":[1,"two",null]}'], ['set', S, 'b', '{"$bytes":"AAE="}'], ['get', S, 'a'], ['dump', S],
  ]],
  ['delete and its alias del', [
    ['set', S, 'a', '1'], ['set', S, 'b', '2'], ['delete', S, 'a'], ['del', S, 'b'], ['dump', S],
    { args: ['delete', S, 'a'], err: /no key 'a'/ }, { args: ['del', S, 'a'], err: /no key 'a'/ },
  ]],
  ['import-csv from standard input (-), export-csv to standard output (-)', [
    ['import-csv', S, '-', { input: 'key,value\r\nk,1\r\n"two, words","""q"""\r\n' }], ['export-csv', S, '-'],
    ['export-csv', S], ['dump', S],
  ]],
  ['a UTF-8 byte order mark before the CSV header is skipped', [
    (dir) => fs.writeFileSync(path.join(dir, 'bom.csv'), `${BOM}key,value\r\nk,"""v"""\r\n`),
    ['import-csv', S, 'bom.csv'], ['import-csv', S, '-', { input: `${BOM}key,value\r\nj,2\r\n` }], ['dump', S],
    // And a field that starts with one is quoted, so it cannot be taken for one.
    ['set', S, `${BOM}starts with U+FEFF`, '1'], ['export-csv', S],
  ]],
  ['a bad CSV: nothing written, no store left behind', [
    (dir) => fs.writeFileSync(path.join(dir, 'bad.csv'), 'key,value\r\nok,1\r\nbad,{oops\r\n'),
    { args: ['import-csv', S, 'bad.csv'], err: /bad\.csv: CSV line 3, column \d+: .*not valid JSON/ },
    { args: ['dump', S], err: /no store at store\.pmap/ },
    { args: ['import-csv', S, 'missing.csv'], err: /missing\.csv/ },
  ]],
  ['\\u escapes of lone surrogates are kept and shown as written', [
    ['set', S, 'k', '"a\\ud800b"'], ['set', S, 'o', '{"x":["\\udc00"]}'], ['get', S, 'k'], ['dump', S],
    ['import-csv', S, '-', { input: 'key,value\r\nc,"""\\udbff!"""\r\n' }], ['export-csv', S],
  ]],
  ['numbers beyond a double and nesting deeper than 1000 are refused', [
    { args: ['set', S, 'k', '1e999'], err: /value (has a number out of range|is Infinity)/ },
    { args: ['set', S, 'k', DEEP], err: /more than 1000 levels deep/ },
    ['set', S, 'k', `${'['.repeat(1000)}${']'.repeat(1000)}`], ['stat', S],
  ]],
  ['verify: clean is 0, damage is 2, a damaged header is 2', [
    ['set', S, 'a', '1'], ['set', S, 'b', '2'], ['verify', S],
    (dir) => flipByte(dir, -3),
    { args: ['verify', S], err: /1 damaged range/ },
    (dir) => flipByte(dir, 0),
    { args: ['verify', S], err: /bad magic number/ }, { args: ['get', S, 'a'], err: /bad magic number/ },
  ]],
  ['missing stores and keys', [
    { args: ['get', S, 'k'], err: /no store at store\.pmap/ }, { args: ['delete', S, 'k'], err: /no store/ },
    { args: ['verify', S], err: /no store/ }, ['set', S, 'k', '1'], { args: ['get', S, 'x'], err: /no key 'x'/ },
    { args: ['set', S, 'k', '{not json'], err: /not valid JSON/ },
  ]],
  ['compact', [['set', S, 'k', '1'], ['set', S, 'k', '2'], ['compact', S], ['stat', S]]],
  ['usage errors exit 64', [
    [], ['frob', S], ['get', S], ['get', S, 'a', 'b'], ['set', S, 'k', '1', '--nope'], ['stat', S, '--recovery=fast'],
    ['verify', S, '--recovery=strict'], ['dump', S, '--neutralize-formulas'], ['help', 'frob'],
  ].map((args) => ({ args, err: /usage: persistent-map(-native)? / }))],
];

function normalize(step) {
  if (!Array.isArray(step)) return step;
  const last = step[step.length - 1];
  if (last && typeof last === 'object') return { args: step.slice(0, -1), input: last.input };
  return { args: step };
}

function run(cli, dir, step) {
  const { args, input } = normalize(step);
  const r = spawnSync(cli.command, [...cli.prefix, ...args], { cwd: dir, encoding: 'utf8', input: input ?? '', timeout: 30000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// stat prints lines only the Node CLI knows (backend, entries): compare the
// lines both print.
function comparable(args, stdout) {
  if (args[0] !== 'stat') return stdout;
  return stdout.split('\n').filter((l) => !/^(backend|entries): /.test(l)).join('\n');
}

describe.each(CASES)('%s', (_name, steps) => {
  const dirs = {};
  beforeEach(() => {
    for (const kind of Object.keys(CLIS)) dirs[kind] = makeTempDir(`pmap-parity-${kind}-`);
  });
  afterEach(() => Object.values(dirs).forEach(removeTempDir));

  test('both CLIs give the same exit codes and output', () => {
    for (const step of steps) {
      if (typeof step === 'function') {
        Object.values(dirs).forEach(step);
        continue;
      }
      const { args } = normalize(step);
      const ran = Object.fromEntries(Object.entries(CLIS).map(([kind, cli]) => [kind, run(cli, dirs[kind], step)]));
      const { node, native } = ran;
      const label = JSON.stringify(args).slice(0, 200);
      expect([label, native.status]).toEqual([label, node.status]);
      expect([label, comparable(args, native.stdout)]).toEqual([label, comparable(args, node.stdout)]);
      for (const [kind, r] of Object.entries(ran)) {
        if (r.status === 0) {
          expect([label, kind, r.stderr]).toEqual([label, kind, '']);
        } else {
          expect([label, kind, r.stderr.startsWith(`${CLIS[kind].name}: `)]).toEqual([label, kind, true]);
          if (step.err) expect([label, kind, r.stderr]).toEqual([label, kind, expect.stringMatching(step.err)]);
        }
      }
      if (step.err) expect([label, node.status]).not.toEqual([label, 0]);
    }
  });
});

/** The command lines of `--help`: "  name ARGS   summary". */
function commandList(cli) {
  const { stdout } = run(cli, process.cwd(), ['--help']);
  const lines = stdout.split('\n');
  const start = lines.indexOf('commands:') + 1;
  return lines.slice(start, lines.indexOf('', start));
}

test('both list the same commands, arguments and summaries in --help', () => {
  const node = commandList(CLIS.node);
  expect(node.length).toBeGreaterThan(5);
  expect(commandList(CLIS.native)).toEqual(node);
});

test('both explain each command, aliases included, in the same words', () => {
  for (const name of ['stat', 'get', 'set', 'delete', 'del', 'dump', 'export-csv', 'import-csv', 'compact', 'verify']) {
    const [node, native] = [CLIS.node, CLIS.native].map((cli) => {
      const r = run(cli, process.cwd(), [name, '--help']);
      expect(r.status).toBe(0);
      // The Node CLI also takes --backend (it reads sqlite stores too) and
      // --exclusive (it shares a store another process has open; the native
      // CLI never does).
      return r.stdout.replace(`usage: ${cli.name} `, '').replace(' [--backend=fs|sqlite] [--exclusive]', '');
    });
    expect(native).toEqual(node);
  }
});
