// PersistentMap in real Chromium (Debian's, driven by playwright-core):
// OPFS and IndexedDB backends, persistence across reloads and browser
// restarts, a writer killed mid-write, one writer across tabs, quota errors.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { serve } from '../browser/server.js';

const KINDS = ['opfs', 'indexeddb'];
const root = fileURLToPath(new URL('../..', import.meta.url));
let server;
let profile;
let context;

async function openHarness(ctx = context) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/tests/browser/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return page;
}

function run(page, scenario, ...args) {
  return page.evaluate(([s, a]) => window.scenarios[s](...a), [scenario, args]);
}

beforeAll(async () => {
  server = await serve();
  profile = newProfileDir();
  context = await launchProfile(profile);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

describe.each(KINDS)('the %s backend', (kind) => {
  test('passes the backend conformance suite and the model-based API sequence', async () => {
    const page = await openHarness();
    expect(await run(page, 'conformance', kind, 7)).toEqual([]);
    await page.close();
  }, 120000);

  test('keeps its data across a page reload', async () => {
    const page = await openHarness();
    await run(page, 'destroy', kind, 'reload');
    await run(page, 'write', kind, 'reload', [['a', 1], ['b', { c: 'ü' }]]);
    await page.reload();
    await page.waitForFunction(() => window.harnessReady === true);
    const { entries, damaged } = await run(page, 'read', kind, 'reload');
    expect(entries).toEqual([['a', 1], ['b', { c: 'ü' }], ['bytes', { u8: [1, 2, 3] }]]);
    expect(damaged).toEqual([]);
    await page.close();
  });

  test('a writer worker terminated mid-write leaves a prefix of whole batches', async () => {
    const page = await openHarness();
    for (const acks of [1, 7, 23]) {
      const name = `crash-${acks}`;
      await run(page, 'destroy', kind, name);
      const { acknowledged, keys } = await run(page, 'killWriter', kind, name, acks);
      expect(keys.length % 5).toBe(0); // whole batches only
      const batches = keys.length / 5;
      expect(batches).toBeGreaterThanOrEqual(acknowledged + 1); // every acknowledged batch
      const expected = [];
      for (let b = 0; b < batches; b++) for (let j = 0; j < 5; j++) expected.push(`b${b}:${j}`);
      expect(keys).toEqual(expected);
    }
    await page.close();
  }, 60000);

  test('a second tab gets LOCKED at once, or with wait proceeds when the first closes', async () => {
    const first = await openHarness();
    const second = await openHarness();
    await run(first, 'destroy', kind, 'shared');
    await run(first, 'hold', kind, 'shared');
    const refused = await run(second, 'tryOpen', kind, 'shared');
    expect(refused).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(refused.message).toMatch(/open in another tab or worker.*wait: true/);
    const waiting = run(second, 'tryOpen', kind, 'shared', true);
    await new Promise((r) => setTimeout(r, 200));
    await run(first, 'release', 'shared');
    await expect(waiting).resolves.toMatchObject({ ok: true });
    await first.close();
    await second.close();
  });

  test('running out of quota is a QUOTA error and leaves the map consistent', async () => {
    // A fresh profile whose quota is cut before any storage is touched
    // (Chromium caches an origin's available space once storage is used).
    const dir = newProfileDir();
    const ctx = await launchProfile(dir);
    try {
      const page = await ctx.newPage();
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 2 << 20 });
      await page.goto(`${server.url}/tests/browser/harness.html`);
      await page.waitForFunction(() => window.harnessReady === true);
      const { error, after, later, reopened } = await run(page, 'quota', kind, 'quota');
      expect(error).toMatchObject({ code: 'QUOTA' });
      if (after.state === 'open') {
        // rolled back: memory holds exactly what the log holds
        expect(after.keys).toEqual(['small']);
        expect(later).toBe('ok');
        expect(reopened).toEqual({ ok: true, keys: ['small', 'later'] });
      } else {
        expect(after.state).toBe('failed');
        expect(reopened).toEqual({ ok: true, keys: ['small'] });
      }
    } finally {
      await ctx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an OPFS worker that fails', () => {
  const WORKER = '/js/backends/opfs_worker.js';
  afterEach(() => server.override(WORKER, null));

  test.each([
    ['is not found', { status: 404 }],
    ['throws as it starts', { body: "throw new Error('broken worker');" }],
  ])('and %s: open rejects at once with a fatal IO error and frees the lock', async (_, reply) => {
    const page = await openHarness();
    server.override(WORKER, reply);
    const { open, ms, lockHeld } = await run(page, 'workerFailsToStart', 'dead-worker');
    expect(open).toMatchObject({ settled: true, ok: false, code: 'IO', fatal: true });
    expect(open.message).toMatch(/OPFS worker of store 'dead-worker'/);
    expect(ms).toBeLessThan(3000);
    expect(lockHeld).toBe(false);
    server.override(WORKER, null);
    expect(await run(page, 'tryOpen', 'opfs', 'dead-worker')).toMatchObject({ ok: true, entries: [] });
    await page.close();
  });

  test('under an open map: writes fail with a fatal IO error, close settles and the lock is freed', async () => {
    const page = await openHarness();
    server.override(WORKER, { body: `import '/tests/browser/crash_on_marker.js'; import '${WORKER}?real';` });
    const r = await run(page, 'workerCrashes', 'crashing-worker');
    expect(r.crash).toMatchObject({ settled: true, ok: false, code: 'IO', fatal: true });
    expect(r.after).toMatchObject({ settled: true, ok: false, code: 'CLOSED' });
    expect(r.state).toBe('failed');
    expect(r.close).toMatchObject({ settled: true });
    expect(r.lockHeld).toBe(false);
    server.override(WORKER, null);
    expect(await run(page, 'tryOpen', 'opfs', 'crashing-worker')).toMatchObject({ ok: true, entries: [['a', 1]] });
    await page.close();
  });
});

test('IndexedDB reconnects once when the browser closes the connection under it', async () => {
  const page = await openHarness();
  const { entries } = await run(page, 'reconnect', 'reconnect');
  expect(entries).toEqual([['before', 1], ['after', 2]]);
  await page.close();
});

test('an app built with Vite loads the library and its .wasm in the browser', async () => {
  const outDir = path.join(root, 'build', 'vite-app');
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    root: path.join(root, 'tests', 'browser', 'vite-app'),
    logLevel: 'silent',
    configFile: false,
    base: './',
    build: { outDir, target: 'esnext', emptyOutDir: true },
  });
  expect(fs.readdirSync(path.join(outDir, 'assets')).some((f) => f.endsWith('.wasm'))).toBe(true);
  const page = await context.newPage();
  await page.goto(`${server.url}/build/vite-app/index.html`);
  await page.waitForFunction(() => window.viteResult !== undefined, null, { timeout: 20000 });
  expect(await page.evaluate(() => window.viteResult)).toEqual({ backend: 'opfs', entries: [['greeting', 'hello from vite']] });
  await page.close();
});

test('auto picks OPFS where a sync access handle can be had', async () => {
  const page = await openHarness();
  expect(await run(page, 'autoKind', 'auto-store')).toEqual({ opfs: true });
  await page.close();
});

test('data survives a browser restart with the same profile', async () => {
  const dir = newProfileDir();
  try {
    let ctx = await launchProfile(dir);
    let page = await openHarness(ctx);
    for (const kind of KINDS) await run(page, 'write', kind, 'restart', [['x', [1, 2]]]);
    await ctx.close();
    ctx = await launchProfile(dir);
    page = await openHarness(ctx);
    for (const kind of KINDS) {
      expect((await run(page, 'read', kind, 'restart')).entries).toEqual([['x', [1, 2]], ['bytes', { u8: [1, 2, 3] }]]);
    }
    await ctx.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);
