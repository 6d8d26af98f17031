// What a user gets from `npm install persistent-map`: the packed tarball
// (npm pack) installed into a fresh project, a five-line script that keeps
// state across runs, and the CLI through `npx persistent-map`. This checks
// the `files`, `exports` and `bin` fields and that the .wasm ships.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir;
let app;

beforeAll(() => {
  dir = makeTempDir('pmap-pack-');
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim();
  app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // --offline: the package has no dependencies to fetch.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, tarball)], { cwd: app, stdio: 'pipe' });
}, 120_000);
afterAll(() => removeTempDir(dir));

test('the tarball holds the code, the .wasm and the types, and no tests', () => {
  const pkg = path.join(app, 'node_modules', 'persistent-map');
  for (const f of ['js/index.js', 'js/browser.js', 'js/index.d.ts', 'js/react.js', 'js/react.d.ts', 'js/adapters.js', 'js/adapters.d.ts', 'js/wasm/pmap_core.wasm', 'js/wasm/pmap_core.mjs', 'js/cli/main.js', 'README.md']) {
    expect([f, fs.existsSync(path.join(pkg, f))]).toEqual([f, true]);
  }
  expect(fs.existsSync(path.join(pkg, 'tests'))).toBe(false);
});

test('five lines keep state across runs', () => {
  fs.writeFileSync(path.join(app, 'main.js'), [
    "import { PersistentMap } from 'persistent-map';",
    "const map = await PersistentMap.open('state.pmap');",
    "await map.set('visits', (map.get('visits') ?? 0) + 1);",
    "console.log('visits:', map.get('visits'));",
    'await map.close();',
  ].join('\n'));
  const run = () => execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' });
  expect(run()).toBe('visits: 1\n');
  expect(run()).toBe('visits: 2\n');
});

test('a CommonJS project (what npm init makes) uses the package through require() and through import()', () => {
  const cjs = path.join(dir, 'cjs-app');
  fs.mkdirSync(cjs);
  fs.writeFileSync(path.join(cjs, 'package.json'), JSON.stringify({ name: 'cjs-app', private: true, type: 'commonjs' }));
  fs.symlinkSync(path.join(app, 'node_modules'), path.join(cjs, 'node_modules'));
  // The README's two CommonJS forms, verbatim in spirit.
  const body = [
    "  const map = await PersistentMap.open('state.pmap');",
    "  await map.set('visits', (map.get('visits') ?? 0) + 1);",
    "  console.log('visits:', map.get('visits'));",
    '  await map.close();',
    '}',
    'main();',
  ];
  fs.writeFileSync(path.join(cjs, 'with-require.js'), ["const { PersistentMap } = require('persistent-map');", 'async function main() {', ...body].join('\n'));
  fs.writeFileSync(path.join(cjs, 'with-import.js'), ['async function main() {', "  const { PersistentMap } = await import('persistent-map');", ...body].join('\n'));
  const run = (file) => spawnSync(process.execPath, [file], { cwd: cjs, encoding: 'utf8' });
  expect(run('with-import.js')).toMatchObject({ status: 0, stdout: 'visits: 1\n' });
  // require() of an ES module: Node 20.19+ and 22.12+ (process.features.require_module).
  if (process.features.require_module) {
    expect(run('with-require.js')).toMatchObject({ status: 0, stdout: 'visits: 2\n' });
  } else {
    expect(run('with-require.js').stderr).toMatch(/ERR_REQUIRE_ESM/);
  }
});

test('persistent-map/adapters works with no framework installed, and persistent-map/react asks for React, its optional peer', () => {
  const run = (code) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: app, encoding: 'utf8' });
  expect(run("const m = await import('persistent-map/adapters'); console.log(Object.keys(m).sort().join())")).toMatchObject({
    status: 0, stdout: 'queryPersisterStorage,reduxPersistStorage,rehydrateOnChange,zustandStorage\n',
  });
  const react = run("await import('persistent-map/react')");
  expect(react.status).not.toBe(0);
  expect(react.stderr).toMatch(/Cannot find package 'react'/);
});

test('the tarball carries a LICENSE and no benchmark write-up', () => {
  const pkg = path.join(app, 'node_modules', 'persistent-map');
  expect(fs.readFileSync(path.join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  expect(fs.existsSync(path.join(pkg, 'docs', 'BENCHMARKS.md'))).toBe(false);
});

test('npx persistent-map runs the CLI', () => {
  const npx = (...args) => spawnSync('npx', ['--offline', 'persistent-map', ...args], { cwd: app, encoding: 'utf8' });
  expect(npx('set', 'cli.pmap', 'k', '[1,2]').status).toBe(0);
  expect(npx('get', 'cli.pmap', 'k').stdout).toBe('[1,2]\n');
  expect(npx('--help').stdout).toMatch(/^usage: persistent-map <command>/);
});
