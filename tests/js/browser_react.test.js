// 'persistent-map/react' and the zustand adapter in a real React app, in
// Chromium. React's npm package is CommonJS, which a browser cannot import,
// so the app (tests/browser/react-app) is built by Vite, as a user's app
// would be, with 'persistent-map' resolved through the package's "exports"
// (a node_modules link to this repository). Two pages of the app are two
// tabs sharing one store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { serve } from '../browser/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = path.join(ROOT, 'tests', 'browser', 'react-app');
const LINKED = ['react', 'react-dom', 'zustand'];

let dir;
let dist;
let server;
let profile;
let context;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-react-app-'));
  for (const f of fs.readdirSync(APP)) fs.copyFileSync(path.join(APP, f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'persistent-map'));
  for (const name of LINKED) fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name));
  dist = path.join(dir, 'dist');
  await build({
    root: dir,
    logLevel: 'silent',
    configFile: false,
    define: { 'process.env.NODE_ENV': '"production"' }, // Jest sets NODE_ENV=test: React's production build, as an app ships
    build: { outDir: dist, target: 'esnext', minify: false },
  });
  server = await serve(dist);
  profile = newProfileDir();
  context = await launchProfile(profile);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function openTab() {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.app !== undefined);
  return page;
}

const renders = (page) => page.evaluate(() => structuredClone(window.renders));
const text = (page, id) => page.evaluate((i) => document.getElementById(i).textContent, id);

test('the built app holds React and persistent-map, and no sqlite or NATS code', () => {
  const files = fs.readdirSync(dist, { recursive: true }).map(String);
  expect(files.some((f) => f.endsWith('.wasm'))).toBe(true);
  const code = files.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(dist, f), 'utf8')).join('\n');
  expect(code).toContain('useSyncExternalStore');
  expect(code).toContain('PersistentMap');
  expect(files.filter((f) => /sqlite|nats/i.test(f))).toEqual([]);
  // The core's messages name the sqlite backend; its code (and sqlite-wasm's) is not there.
  expect(code).not.toMatch(/sqliteStoreDirectory|TableBackend|sqlite3InitModule|opfs-sahpool|@nats-io|NatsBackend/);
});

test('a component re-renders when another tab changes its key, and not when another key changes', async () => {
  const a = await openTab();
  const b = await openTab();
  try {
    expect(await renders(a)).toEqual({ a: [null], b: [null], theme: ['light'] });
    await b.evaluate(() => window.app.map.set('a', { text: 'from tab B' }));
    await a.waitForFunction(() => document.getElementById('a').textContent === 'from tab B');
    await b.evaluate(() => window.app.map.set('b', { text: 'b' }));
    await a.waitForFunction(() => document.getElementById('b').textContent === 'b');
    await b.evaluate(() => window.app.map.setMany([['unrelated', { text: 'x' }], ['other', 1]]));
    await a.evaluate(() => window.app.map.refresh());
    expect(await renders(a)).toEqual({ a: [null, 'from tab B'], b: [null, 'b'], theme: ['light'] });
  } finally {
    await b.close();
    await a.close();
  }
});

test('a zustand store persisted in the map follows another tab, and after a reload its first render already shows the stored state', async () => {
  const a = await openTab();
  const b = await openTab();
  try {
    await a.evaluate(async () => {
      window.app.settings.getState().setTheme('dark');
      await window.app.map.flush();
    });
    await b.waitForFunction(() => document.getElementById('theme').textContent === 'dark');
    await b.reload();
    await b.waitForFunction(() => window.app !== undefined && document.getElementById('theme') !== null);
    expect(await text(b, 'theme')).toBe('dark');
    expect((await renders(b)).theme).toEqual(['dark']);
  } finally {
    await b.close();
    await a.close();
  }
});
