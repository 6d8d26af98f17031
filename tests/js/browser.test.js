// PersistentMap in real Chromium (Debian's, driven by playwright-core):
// OPFS and IndexedDB backends, persistence across reloads and browser
// restarts, a writer killed mid-write, one writer across tabs, quota errors.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { useBrowser } from './browser_fixture.js';

const KINDS = ['opfs', 'indexeddb', 'sqlite'];
const root = fileURLToPath(new URL('../..', import.meta.url));
const browser = useBrowser();

async function openHarness(ctx = browser.context) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${browser.server.url}/tests/browser/harness.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return page;
}

function run(page, scenario, ...args) {
  return page.evaluate(([s, a]) => window.scenarios[s](...a), [scenario, args]);
}

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

  test.each(['strict', 'relaxed'])('a writer worker terminated mid-write (%s) leaves a prefix of whole batches', async (durability) => {
    const page = await openHarness();
    for (const acks of [1, 7, 23]) {
      const name = `crash-${durability}-${acks}`;
      await run(page, 'destroy', kind, name);
      const { acknowledged, keys } = await run(page, 'killWriter', kind, name, acks, durability);
      expect(keys.length % 5).toBe(0); // whole batches only
      const batches = keys.length / 5;
      // strict: every acknowledged batch; relaxed may lose the last ones,
      // handed over but not yet written when the writer died.
      if (durability === 'strict') expect(batches).toBeGreaterThanOrEqual(acknowledged + 1);
      const expected = [];
      for (let b = 0; b < batches; b++) for (let j = 0; j < 5; j++) expected.push(`b${b}:${j}`);
      expect(keys).toEqual(expected);
    }
    await page.close();
  }, 60000);

  test('relaxed sets, then flush(), survive a reload without close()', async () => {
    const page = await openHarness();
    await run(page, 'destroy', kind, 'flushed');
    expect(await run(page, 'setsThenFlush', kind, 'flushed', 300)).toBe(300);
    await page.reload();
    await page.waitForFunction(() => window.harnessReady === true);
    const { entries } = await run(page, 'read', kind, 'flushed');
    expect(entries).toEqual(Array.from({ length: 300 }, (_, i) => [`k${i}`, { i }]));
    await page.close();
  });

  test('a second tab opening with exclusive gets LOCKED at once, or with wait proceeds when the first closes (or gives up when its signal aborts)', async () => {
    const first = await openHarness();
    const second = await openHarness();
    await run(first, 'destroy', kind, 'shared');
    await run(first, 'hold', kind, 'shared');
    const refused = await run(second, 'tryOpen', kind, 'shared', false, undefined, true);
    expect(refused).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(refused.message).toMatch(/open in another tab or worker.*wait: true/);
    // A wait can be given up: its signal's reason rejects the open.
    const abandoned = await run(second, 'tryOpen', kind, 'shared', true, 150);
    expect(abandoned).toMatchObject({ ok: false, name: 'TimeoutError', lockHeld: true });
    const waiting = run(second, 'tryOpen', kind, 'shared', true);
    await new Promise((r) => setTimeout(r, 200));
    await run(first, 'release', 'shared');
    await expect(waiting).resolves.toMatchObject({ ok: true });
    await first.close();
    await second.close();
  });

  test.each(['strict', 'relaxed'])('running out of quota (%s) is a QUOTA error and leaves a consistent store', async (durability) => {
    // A fresh profile whose quota is cut before any storage is touched
    // (Chromium caches an origin's available space once storage is used).
    const dir = newProfileDir();
    const ctx = await launchProfile(dir);
    try {
      const page = await ctx.newPage();
      const cdp = await ctx.newCDPSession(page);
      // sqlite's pool holds two access handles, and Chromium grants each
      // quota in steps of at least 1 MiB: it needs more room to open at all.
      const quotaSize = kind === 'sqlite' ? 8 << 20 : 2 << 20;
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: browser.server.url, quotaSize });
      await page.goto(`${browser.server.url}/tests/browser/harness.html`);
      await page.waitForFunction(() => window.harnessReady === true);
      const writes = kind === 'sqlite' ? 24 : 8;
      const r = await run(page, 'quota', kind, 'quota', durability, writes);
      const { flushed } = r;
      expect(flushed.length).toBeLessThan(writes + 1); // some write ran out of space
      const failed = `big${flushed.length - 1}`;
      if (kind === 'sqlite') {
        // Acknowledged only once committed: the write rejects. Rolled back
        // by SQLite's journal, or (if the roll-back cannot be trusted) the
        // store refuses writes; either way a reopen finds what was flushed.
        expect(r.write).toMatchObject({ settled: true, ok: false, code: 'QUOTA' });
        if (r.after.state === 'open') {
          expect(r.after.keys).toEqual(flushed);
          expect(r.later).toMatchObject({ settled: true, ok: true });
          expect(r.reopened).toEqual({ ok: true, keys: [...flushed, 'later'] });
        } else {
          expect(r.after.state).toBe('failed');
          expect(r.reopened).toEqual({ ok: true, keys: flushed });
        }
      } else if (durability === 'strict') {
        // The write rejects and is rolled back: memory holds what the log holds.
        expect(r.write).toMatchObject({ settled: true, ok: false, code: 'QUOTA' });
        expect(r.after).toEqual({ state: 'open', keys: flushed });
        expect(r.later).toMatchObject({ settled: true, ok: true });
        expect(r.close).toMatchObject({ settled: true, ok: true });
        expect(r.reopened).toEqual({ ok: true, keys: [...flushed, 'later'] });
      } else {
        // Acknowledged when handed over; the failure comes after: the flush
        // rejects with it, an 'error' event reports it, the store refuses
        // writes, close() reports the lost write, a reopen finds the rest.
        const quotaFatal = { settled: true, ok: false, code: 'QUOTA', fatal: true };
        expect(r.write).toMatchObject({ settled: true, ok: true });
        expect(r.flush).toMatchObject(quotaFatal);
        expect(r.event).toMatchObject(quotaFatal);
        expect(r.after).toEqual({ state: 'failed', keys: [...flushed, failed] });
        expect(r.later).toMatchObject({ settled: true, ok: false, code: 'CLOSED' });
        expect(r.close).toMatchObject(quotaFatal);
        expect(r.reopened).toEqual({ ok: true, keys: flushed });
      }
    } finally {
      await ctx.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an OPFS worker that fails', () => {
  const WORKER = '/js/backends/opfs/opfs_worker.js';
  afterEach(() => browser.server.override(WORKER, null));

  test.each([
    ['is not found', { status: 404 }],
    ['throws as it starts', { body: "throw new Error('broken worker');" }],
  ])('and %s: open rejects at once with a fatal IO error and frees the lock', async (_, reply) => {
    const page = await openHarness();
    browser.server.override(WORKER, reply);
    const { open, ms, lockHeld } = await run(page, 'workerFailsToStart', 'dead-worker');
    expect(open).toMatchObject({ settled: true, ok: false, code: 'IO', fatal: true });
    expect(open.message).toMatch(/OPFS worker of store 'dead-worker'/);
    expect(ms).toBeLessThan(3000);
    expect(lockHeld).toBe(false);
    browser.server.override(WORKER, null);
    expect(await run(page, 'tryOpen', 'opfs', 'dead-worker')).toMatchObject({ ok: true, entries: [] });
    await page.close();
  });

  test.each(['strict', 'relaxed'])('under an open map (%s): the store fails at once with a fatal IO error, close settles and frees the lock', async (durability) => {
    const page = await openHarness();
    browser.server.override(WORKER, { body: `import '/tests/browser/crash_on_marker.js'; import '${WORKER}?real';` });
    const r = await run(page, 'workerCrashes', 'crashing-worker', durability);
    const fatalIo = { settled: true, ok: false, code: 'IO', fatal: true };
    if (durability === 'strict') {
      expect(r.crash).toMatchObject(fatalIo);
      expect(r.close).toMatchObject({ settled: true, ok: true });
    } else {
      // The crashed write was acknowledged; close() reports that it was lost.
      expect(r.crash).toMatchObject({ settled: true, ok: true });
      expect(r.close).toMatchObject(fatalIo);
      expect(r.close.message).toMatch(/acknowledged .* may be lost/);
    }
    expect(r.event).toMatchObject(fatalIo);
    expect(r.after).toMatchObject({ settled: true, ok: false, code: 'CLOSED' });
    expect(r.flush).toMatchObject({ settled: true, ok: false, code: 'CLOSED' });
    expect(r.state).toBe('failed');
    expect(r.lockHeld).toBe(false);
    browser.server.override(WORKER, null);
    expect(await run(page, 'tryOpen', 'opfs', 'crashing-worker')).toMatchObject({ ok: true, entries: [['a', 1]] });
    await page.close();
  });
});

test('IndexedDB commits relaxed writes waiting behind a transaction when the page is hidden', async () => {
  const page = await openHarness();
  const { seenInDb, keys } = await run(page, 'idbCommitOnHide', 'hide');
  expect(seenInDb).toEqual([0, 1, 100, 199]);
  expect(keys).toEqual(Array.from({ length: 200 }, (_, i) => `t${i}`));
  await page.close();
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
  const page = await browser.context.newPage();
  await page.goto(`${browser.server.url}/build/vite-app/index.html`);
  await page.waitForFunction(() => window.viteResult !== undefined, null, { timeout: 20000 });
  expect(await page.evaluate(() => window.viteResult)).toEqual({ backend: 'opfs', entries: [['greeting', 'hello from vite']] });
  await page.close();
});

test('on a plain-http origin other than localhost every backend refuses to open, saying to serve the page over https or from localhost', async () => {
  // insecure.test resolves to the test server, but http://insecure.test is
  // not a secure context: no Web Locks, no OPFS (as for `vite --host` on a phone).
  const dir = newProfileDir();
  const ctx = await launchProfile(dir, { args: ['--host-resolver-rules=MAP insecure.test 127.0.0.1'] });
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${browser.server.url.replace('127.0.0.1', 'insecure.test')}/tests/browser/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    const out = await run(page, 'openOutcomes', 'insecure', ['auto', 'indexeddb', 'opfs', 'sqlite', 'memory']);
    expect(out).toMatchObject({ secure: false, locks: false, memory: { settled: true, ok: true, value: 'opened' } });
    for (const kind of ['auto', 'indexeddb', 'opfs', 'sqlite']) {
      expect(out[kind]).toMatchObject({ settled: true, ok: false, code: 'INVALID' });
      expect(out[kind].message).toMatch(/^no store can be opened on http:\/\/insecure\.test:\d+: it is not a secure context.*Serve the page over https or from localhost/);
    }
    await page.close();
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('auto picks OPFS where a sync access handle can be had', async () => {
  const page = await openHarness();
  expect(await run(page, 'autoKind', 'auto-store')).toEqual({ opfs: true, chose: 'opfs' });
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
