// The sqlite backend in real Chromium beyond the per-backend scenarios of
// browser.test.js: how an app gets it (a Vite build, a page without a
// bundler with and without an import map), and that a worker which cannot
// start fails the open promptly with a typed error and frees the lock.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { useBrowser } from './browser_fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const browser = useBrowser();

async function resultOf(url, global) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(url);
  await page.waitForFunction((g) => window[g] !== undefined, global, { timeout: 30000 });
  const result = await page.evaluate((g) => window[g], global);
  await page.close();
  return result;
}

test('an app built with Vite that imports the sqlite entry point gets a bundled worker with sqlite-wasm, and runs', async () => {
  const outDir = path.join(root, 'build', 'vite-sqlite-app');
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    root: path.join(root, 'tests', 'browser', 'vite-sqlite-app'),
    logLevel: 'silent',
    configFile: false,
    base: './',
    build: { outDir, target: 'esnext', emptyOutDir: true },
  });
  const assets = fs.readdirSync(path.join(outDir, 'assets'));
  expect(assets.some((f) => /^sqlite3-.*\.wasm$/.test(f))).toBe(true);
  const worker = assets.find((f) => /^sqlite_worker-.*\.js$/.test(f));
  expect(worker).toBeDefined();
  // The worker was bundled (sqlite-wasm inside it), not copied as a file
  // whose bare import cannot resolve.
  expect(fs.readFileSync(path.join(outDir, 'assets', worker), 'utf8')).not.toContain("from '@sqlite.org/sqlite-wasm'");
  expect(await resultOf(`${browser.server.url}/build/vite-sqlite-app/index.html`, 'viteResult'))
    .toEqual({ entries: [['greeting', 'hello from sqlite in vite']] });
}, 120000);

test('without a bundler, backend \'sqlite\' by name loads on first use and finds sqlite-wasm through the import map', async () => {
  const [first, second] = await resultOf(`${browser.server.url}/tests/browser/sqlite_lazy.html`, 'lazyResult');
  expect(first).toEqual({ ok: true, entries: [['k', { v: [1, 2] }]] });
  expect(second).toEqual({ ok: true, entries: [['k', { v: [1, 2] }]] });
}, 60000);

test('without a bundler or an import map, the open fails at once with an error that says what to do, and frees the lock', async () => {
  const [first, second] = await resultOf(`${browser.server.url}/tests/browser/sqlite_no_map.html`, 'lazyResult');
  for (const r of [first, second]) {
    expect(r).toMatchObject({ ok: false, code: 'IO' });
    expect(r.message).toMatch(/import map or pass \{ moduleUrl \}/);
    expect(r.ms).toBeLessThan(10000);
  }
}, 60000);
