// A NATS store when things fail (README "Sharing a store → servers"):
// nats-server nodes killed with SIGKILL during writes and restarted with
// their data, and server processes killed at random moments.

import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { prng } from './helpers.js';
import { child, fresh, killChildren, openChild, startCluster } from './nats_process.js';

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves once cond() holds; throws after `ms`.
async function until(cond, ms) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${cond}`);
    await sleep(50);
  }
}

// Starts `loop <prefix>` in process p; p.okN is the last n it reported done.
function startLoop(p, prefix) {
  p.prefix = prefix;
  p.okN ??= 0;
  p.failed ??= [];
  p.proc.stdout.on('data', () => {
    for (const m of p.lines.splice(0)) {
      if (m.ok === prefix) p.okN = m.n;
      if (m.failed) p.failed.push(m.failed);
    }
  });
  p.send(`loop ${prefix}`);
}

// Every write a loop reported done is in `state`, once: its keys, and its
// counter, which one more update may have reached while it was not told.
function expectLoopsIn(state, loops) {
  for (const { prefix, okN } of loops) {
    for (let i = 1; i <= okN; i++) expect([prefix, i, state.get(`${prefix}-${i}`)]).toEqual([prefix, i, i]);
    const counter = state.get(prefix) ?? 0;
    expect([prefix, counter === okN || counter === okN + 1]).toEqual([prefix, true]);
  }
}

describe('NATS nodes failing', () => {
  let cluster;
  let settings;
  beforeEach(async () => {
    cluster = await startCluster();
    settings = { servers: cluster.servers, timeout: 15000 };
  }, 30000);
  afterEach(async () => {
    await killChildren();
    await cluster.stop();
  });

  test('SIGKILL of one node during writes: no acknowledged write is lost and the servers carry on', async () => {
    const procs = await Promise.all([0, 1, 2].map(() => openChild('kill1', settings)));
    procs.forEach((p, i) => startLoop(p, `p${i}`));
    await sleep(800);
    await cluster.kill(0);
    const atKill = procs.map((p) => p.okN);
    await until(() => procs.every((p, i) => p.okN > atKill[i] + 20), 30000); // carried on
    cluster.restart(0);
    await sleep(1000);
    await killChildren();
    const state = new Map(await fresh('kill1', settings));
    expectLoopsIn(state, procs);
    expect(procs.flatMap((p) => p.failed)).toEqual([]);
  }, 60000);

  test('with two nodes gone writes fail with UNAVAILABLE and reads go on; writes resume when one is back; a restarted node catches up', async () => {
    const quick = { ...settings, timeout: 1500 };
    const map = await PersistentMap.open('kill2', { backend: natsBackend(quick) });
    await map.set('before', 1);
    await cluster.kill(1);
    await cluster.kill(2);
    await expect(map.set('during', 2)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('quorum') });
    expect(map.get('before')).toBe(1);
    expect(map.has('during')).toBe(false);
    cluster.restart(1);
    for (let i = 0; ; i++) {
      try {
        await map.set('after', 3);
        break;
      } catch (err) {
        expect(err.code).toBe('UNAVAILABLE');
        if (i === 20) throw err;
      }
    }
    for (let i = 0; i < 20; i++) await map.set(`k${i}`, i);
    cluster.restart(2);
    await sleep(3000); // node 2 catches up from the others
    await map.close();
    // Without the node that never went down, the two restarted ones hold every write.
    await cluster.kill(0);
    const state = new Map(await fresh('kill2', { ...settings, servers: `${cluster.url(1)},${cluster.url(2)}` }));
    expect(state.get('before')).toBe(1);
    expect(state.get('after')).toBe(3);
    for (let i = 0; i < 20; i++) expect(state.get(`k${i}`)).toBe(i);
  }, 90000);
});

describe('server processes failing', () => {
  let cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 30000);
  afterAll(async () => {
    await killChildren();
    await cluster?.stop();
  });

  test('SIGKILL of server processes at random moments during writes, 100 times: every resolved write is there exactly once', async () => {
    const settings = { servers: cluster.servers, timeout: 10000 };
    const rand = prng(11);
    const live = [];
    const all = [];
    let next = 0;
    const start = () => {
      const p = child();
      p.okN = 0;
      p.failed = [];
      p.opened = p.ask(`open sigkill ${JSON.stringify(settings)}`, (m) => m.open !== undefined).then(() => startLoop(p, `w${next++}`));
      p.opened.catch(() => {}); // killed while opening
      live.push(p);
      all.push(p);
    };
    for (let i = 0; i < 3; i++) start();
    for (let round = 0; round < 100; round++) {
      // Now and then one still opening, mostly one that writes.
      await Promise.race(live.map((p) => p.opened));
      await sleep(5 + rand.int(60));
      const writing = live.filter((p) => p.prefix !== undefined);
      const pool = writing.length > 0 && rand.int(5) > 0 ? writing : live;
      const p = pool[rand.int(pool.length)];
      live.splice(live.indexOf(p), 1);
      await p.kill();
      start();
    }
    await Promise.all(live.map((p) => p.opened));
    await sleep(300);
    await Promise.all(live.map((p) => p.kill()));
    const loops = all.filter((p) => p.prefix !== undefined);
    const state = new Map(await fresh('sigkill', settings));
    expect(loops.filter((p) => p.okN > 0).length).toBeGreaterThan(30);
    expectLoopsIn(state, loops);
    expect(loops.flatMap((p) => p.failed)).toEqual([]);
  }, 150000);
});
