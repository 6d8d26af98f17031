// scripts/demo.sh and the Node demo: the state is kept in the file across
// runs, the native CLI reads the same file, and the server serves the
// browser demo and the files its import map names until Ctrl-C.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PersistentMap } from '../../js/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
let dir;

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'build/persistent-map-native'))) throw new Error('build/persistent-map-native is missing: run scripts/setup.sh');
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-demo-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const env = (extra) => ({ ...process.env, PMAP_DEMO_NO_SETUP: '1', ...extra });

test('demo.sh runs the Node demo twice on one file, and a third run goes on counting', async () => {
  const store = path.join(dir, 'node_demo.pmap');
  const { stdout } = await run('bash', ['scripts/demo.sh'], {
    cwd: root,
    env: env({ PMAP_DEMO_NO_SERVE: '1', PMAP_DEMO_STORE: store }),
  });
  expect(stdout).toMatch(/run #1; the store opened in [\d.]+ ms \(replayed 0 log records\)/);
  expect(stdout).toMatch(/run #2; the store opened in [\d.]+ ms \(replayed 2 log records\)/);
  expect(stdout).toMatch(/live records: 3\ntotal records: 4\n/); // persistent-map-native stat: runs, run:1, run:2

  const third = await run(process.execPath, ['demo/node_demo.mjs', store], { cwd: root });
  expect(third.stdout).toContain('run #3;');
  expect(third.stdout.match(/^ {2}run:\d+ /gm)).toEqual(['  run:1 ', '  run:2 ', '  run:3 ']);

  const map = await PersistentMap.open(store);
  expect(map.get('runs')).toBe(3);
  expect([...map.keys()]).toEqual(['runs', 'run:1', 'run:2', 'run:3']);
  expect(map.get('run:3')).toMatchObject({ node: process.version });
  await map.close();
});

test('demo.sh serves the demo page and its imports, and stops on Ctrl-C', async () => {
  const child = spawn('bash', ['scripts/demo.sh'], {
    cwd: root,
    env: env({ PMAP_DEMO_PORT: '0', PMAP_DEMO_STORE: path.join(dir, 'node_demo.pmap') }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/demo: open (http:\/\/127\.0\.0\.1:\d+\/demo\/) in a browser/);
        if (m) resolve(m[1]);
      });
      exited.then(() => reject(new Error(`demo.sh exited before printing the URL:\n${out}`)));
    });
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toBe('text/html');
    const html = await page.text();
    const { imports } = JSON.parse(html.match(/<script type="importmap">([\s\S]*?)<\/script>/)[1]);
    expect(Object.keys(imports).sort()).toEqual(['@sqlite.org/sqlite-wasm', 'idb-keyval', 'persistent-map']);
    for (const file of [...Object.values(imports), '/demo/app.js', '/js/wasm/pmap_core.wasm']) {
      const response = await fetch(new URL(file, url));
      expect([file, response.status]).toEqual([file, 200]);
    }
    expect((await fetch(new URL('/demo', url), { redirect: 'manual' })).headers.get('location')).toBe('/demo/');
    expect((await fetch(new URL('/demo/nothing-here.js', url))).status).toBe(404);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toEqual({ code: 0, signal: null });
});
