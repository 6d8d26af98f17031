// One store shared by the tabs and workers of an origin (issue 13), in real
// Chromium: pages and a dedicated worker open the same store, write at
// once, and converge; the leader page closes or crashes mid-write and the
// others go on, losing no resolved write.
import fs from 'node:fs';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { useBrowser } from './browser_fixture.js';

const KINDS = ['opfs', 'indexeddb', 'sqlite'];
const browser = useBrowser();

async function openPage() {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${browser.server.url}/tests/browser/share.html`);
  await page.waitForFunction(() => window.shareReady === true);
  return page;
}

// Runs ops[op](...args) in the page (or, with worker: true, in its worker).
function call(page, op, ...args) {
  return page.evaluate(([o, a]) => window.ops[o](...a), [op, args]);
}
function callWorker(page, op, ...args) {
  return page.evaluate(([o, a]) => window.worker(o, ...a), [op, args]);
}

let storeCount = 0;
const freshName = (tag) => `${tag}-${Date.now()}-${++storeCount}`;

async function openAll(pages, kind, name) {
  const roles = [await call(pages[0], 'open', kind, name)];
  roles.push(...(await Promise.all(pages.slice(1).map((p) => call(p, 'open', kind, name)))));
  return roles;
}

// Runs fn(pages) with n fresh pages, and closes those still open after.
async function withPages(n, fn) {
  const pages = await Promise.all(Array.from({ length: n }, () => openPage()));
  try {
    await fn(pages);
  } finally {
    for (const p of pages) if (!p.isClosed()) await p.close();
  }
}

describe.each(KINDS)('a store of the %s backend shared by pages', (kind) => {
  test('four pages and a worker writing at once converge, in log order, to what a fresh open reads', async () => {
    const name = freshName('converge');
    await withPages(4, async (pages) => {
      const roles = await openAll(pages, kind, name);
      expect(roles).toEqual(['leader', 'follower', 'follower', 'follower']);
      const withWorker = kind !== 'sqlite'; // a worker has no import map for sqlite-wasm
      if (withWorker) expect(await callWorker(pages[1], 'open', kind, name)).toBe('follower');
      const runs = pages.map((p, i) => call(p, 'randomOps', 100 + i, 150, `p${i}`));
      if (withWorker) runs.push(callWorker(pages[1], 'randomOps', 99, 150, 'w'));
      await Promise.all(runs);
      for (const p of pages) await call(p, 'refresh');
      if (withWorker) await callWorker(pages[1], 'refresh');
      const all = await Promise.all(pages.map((p) => call(p, 'contents')));
      if (withWorker) all.push(await callWorker(pages[1], 'contents'));
      for (const c of all.slice(1)) expect(c).toEqual(all[0]);
      expect(all[0].length).toBeGreaterThan(0);
      expect((await call(pages[0], 'stats')).clients).toBe(withWorker ? 4 : 3);
      if (withWorker) await callWorker(pages[1], 'close');
      for (const p of pages) await call(p, 'close');
      const fresh = await openPage();
      await call(fresh, 'open', kind, name);
      expect(await call(fresh, 'contents')).toEqual(all[0]);
      await fresh.close();
    });
  }, 120000);

  test('four pages doing 300 updates each of one counter end with 1200 in every page', async () => {
    const name = freshName('counter');
    await withPages(4, async (pages) => {
      await openAll(pages, kind, name);
      await Promise.all(pages.map((p) => call(p, 'counter', 300)));
      for (const p of pages) {
        await call(p, 'refresh');
        expect(await call(p, 'get', 'n')).toBe(1200);
      }
    });
  }, 120000);
});

test('a write in one page reaches a change listener in another, with origin remote', async () => {
  const name = freshName('events');
  await withPages(3, async (pages) => {
    await openAll(pages, 'indexeddb', name);
    await call(pages[1], 'set', 'from-follower', 1);
    await call(pages[0], 'set', 'from-leader', 2);
    await pages[2].waitForFunction(() => window.ops.remoteKeys().length >= 2);
    expect(await call(pages[2], 'remoteKeys')).toEqual(['from-follower', 'from-leader']);
    expect(await call(pages[1], 'remoteKeys')).toEqual(['from-leader']);
  });
}, 60000);

describe.each(KINDS)('the leader page of a %s store going away', (kind) => {
  test.each(['closed', 'crashed'])('while followers write (%s): they go on, and every resolved write is there exactly once', async (how) => {
    const name = freshName(`leader-${how}`);
    await withPages(3, async (pages) => {
      const [leader, ...followers] = pages;
      await openAll(pages, kind, name);
      followers.forEach((p, i) => call(p, 'startLoop', `f${i}:`));
      await followers[0].waitForFunction(() => window.ops.resolvedSoFar() > 20);
      if (how === 'crashed') {
        // Kills the page's renderer process. (CDP's Page.crash takes the
        // whole browser down with it in this Chromium.)
        await leader.goto('chrome://crash').catch(() => {});
      } else {
        await leader.close();
      }
      // Writes resolve again after the failover.
      const before = await call(followers[0], 'resolvedSoFar');
      await followers[0].waitForFunction((n) => window.ops.resolvedSoFar() > n + 20, before, { timeout: 20000 });
      const loops = await Promise.all(followers.map((p) => call(p, 'stopLoop')));
      for (const l of loops) expect(l.error).toBeNull();
      const roles = await Promise.all(followers.map((p) => call(p, 'stats').then((s) => s.role)));
      expect(roles.sort()).toEqual(['follower', 'leader']);
      for (const p of followers) await call(p, 'refresh');
      const states = await Promise.all(followers.map((p) => call(p, 'contents')));
      expect(states[1]).toEqual(states[0]);
      const keys = new Set(states[0].map(([k]) => k)); // keys of a map: each once
      const lost = loops.flatMap((l) => l.resolved).filter((k) => !keys.has(k));
      expect(lost).toEqual([]);
    });
  }, 60000);
});

test('a follower that reloads rejoins and sees what was written meanwhile', async () => {
  const name = freshName('reload');
  await withPages(2, async (pages) => {
    await openAll(pages, 'opfs', name);
    await call(pages[1], 'counter', 5);
    await pages[1].reload();
    await pages[1].waitForFunction(() => window.shareReady === true);
    await call(pages[0], 'counter', 5);
    expect(await call(pages[1], 'open', 'opfs', name)).toBe('follower');
    expect(await call(pages[1], 'get', 'n')).toBe(10);
  });
}, 60000);

test('a fifth page joins a store of 100,000 entries that four pages share, and holds them all', async () => {
  const name = freshName('join');
  await withPages(4, async (pages) => {
    await openAll(pages, 'indexeddb', name);
    await call(pages[0], 'fill', 100_000);
    await call(pages[3], 'set', 'last', 'from a follower');
    const fifth = await openPage();
    pages.push(fifth);
    expect(await call(fifth, 'open', 'indexeddb', name)).toBe('follower');
    expect(await call(fifth, 'summary')).toEqual({ count: 100_001, first: ['key:1', 'v1'], last: ['last', 'from a follower'] });
    expect((await call(pages[0], 'stats')).clients).toBe(4);
  });
}, 60000);

describe.each(['opfs', 'indexeddb'])('a %s store whose leader page hangs', (kind) => {
  test('the followers take it over after a while and go on; the old leader, once it runs again, writes nothing', async () => {
    const name = freshName('hung');
    await withPages(3, async (pages) => {
      const [leader, ...followers] = pages;
      await openAll(pages, kind, name);
      followers.forEach((p, i) => call(p, 'startLoop', `f${i}:`));
      await followers[0].waitForFunction(() => window.ops.resolvedSoFar() > 20);
      // The leader's page runs a script for 8 s: it answers nothing. A write
      // it issued just before is still queued when the others take over.
      const hang = leader.evaluate(() => {
        window.queued = window.ops.set('queued-before-the-hang', 1).then(() => 'resolved', (e) => e.code);
        const end = Date.now() + 8000;
        while (Date.now() < end);
      });
      const before = await call(followers[0], 'resolvedSoFar');
      await followers[0].waitForFunction((n) => window.ops.resolvedSoFar() > n + 20, before, { timeout: 20000 });
      await hang;
      // Deposed: its map failed, and a write there is refused.
      await leader.waitForFunction(() => window.ops.stats().state === 'failed');
      const refused = await leader.evaluate(() => window.ops.set('from-the-old-leader', 1).then(() => 'written', (e) => e.code));
      expect(refused).toBe('CLOSED');
      const loops = await Promise.all(followers.map((p) => call(p, 'stopLoop')));
      for (const l of loops) expect(l.error).toBeNull();
      for (const p of followers) await call(p, 'refresh');
      const states = await Promise.all(followers.map((p) => call(p, 'contents')));
      expect(states[1]).toEqual(states[0]);
      const keys = new Set(states[0].map(([k]) => k));
      expect(keys.has('from-the-old-leader')).toBe(false);
      // Fenced: the queued write never reached the storage the others use
      // (a relaxed write, it may have resolved when it was handed over, as
      // a write of a tab that crashes may).
      expect(keys.has('queued-before-the-hang')).toBe(false);
      expect(['resolved', 'LOCKED', 'CLOSED']).toContain(await leader.evaluate(() => window.queued));
      expect(loops.flatMap((l) => l.resolved).filter((k) => !keys.has(k))).toEqual([]);
      // And the store, opened afresh, is that state.
      for (const p of pages) await p.close();
      const fresh = await openPage();
      pages.push(fresh);
      await call(fresh, 'open', kind, name);
      expect(await call(fresh, 'contents')).toEqual(states[0]);
    });
  }, 90000);
});

test.each(['opfs', 'indexeddb'])('the %s leader running out of quota: a follower\'s write rejects with QUOTA, and the store refuses writes until reopened', async (kind) => {
  // A fresh profile whose quota is cut before any storage is touched.
  const dir = newProfileDir();
  const ctx = await launchProfile(dir);
  try {
    const open = async (page) => {
      await page.goto(`${browser.server.url}/tests/browser/share.html`);
      await page.waitForFunction(() => window.shareReady === true);
      return page;
    };
    const first = await ctx.newPage();
    const cdp = await ctx.newCDPSession(first);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: browser.server.url, quotaSize: 2 << 20 });
    const leader = await open(first);
    const follower = await open(await ctx.newPage());
    const name = freshName('quota');
    expect(await call(leader, 'open', kind, name)).toBe('leader');
    expect(await call(follower, 'open', kind, name)).toBe('follower');
    const outcome = await follower.evaluate(async () => {
      const big = new Uint8Array(900 << 10);
      for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
      for (let i = 0; i < 8; i++) {
        try {
          await window.ops.set(`big${i}`, big);
        } catch (err) {
          return { i, code: err.code, name: err.name };
        }
      }
      return null;
    });
    expect(outcome).toMatchObject({ code: 'QUOTA', name: 'PersistentMapError' });
    const after = (page) => page.evaluate(() => window.ops.set('later', 1).then(() => 'written', (e) => e.code));
    // The leader refuses writes until reopened, as a single map would
    // (CLOSED, caused by the failure); a follower's writes get the failure.
    expect(await after(leader)).toBe('CLOSED');
    expect(await after(follower)).toBe('QUOTA');
    expect((await call(leader, 'stats')).state).toBe('failed');
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

test.each([['shared worker', 'shared'], ['service worker', 'sw']])('a %s follows a store that pages share: its writes reach the pages, theirs reach it', async (_, driver) => {
  const name = freshName(driver);
  await withPages(2, async (pages) => {
    await openAll(pages, 'indexeddb', name);
    const worker = (op, ...args) => pages[1].evaluate(([d, o, a]) => window[d](o, ...a), [driver, op, args]);
    expect(await worker('open', 'indexeddb', name)).toBe('follower');
    await worker('set', 'from-the-worker', 1);
    await call(pages[0], 'set', 'from-a-page', 2);
    await call(pages[0], 'refresh');
    await worker('refresh');
    expect(await call(pages[0], 'get', 'from-the-worker')).toBe(1);
    expect(await worker('get', 'from-a-page')).toBe(2);
    await worker('counter', 50);
    await call(pages[1], 'refresh');
    expect(await call(pages[1], 'get', 'n')).toBe(50);
    await worker('close');
  });
}, 60000);
