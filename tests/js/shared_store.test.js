// One store, many processes (README "Sharing a store"): real Node processes
// open one store; the first leads, the others follow over a Unix socket.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PersistentMap } from '../../js/index.js';
import { lockStore } from '../../js/backends/common/store_lock.js';
import { FrameReader, encodeFrame } from '../../js/share/protocol.js';
import { socketDir, socketPath } from '../../js/share/unix_socket.js';
import { makeTempDir, prng, removeTempDir } from './helpers.js';
import { killChildren, lineChild } from './line_child.js';

const CHILD = new URL('./shared_child.mjs', import.meta.url).pathname;
const NATIVE = new URL('../../build/persistent-map-native', import.meta.url).pathname;

/** A child process (shared_child.mjs) driven line by line. */
const child = () => lineChild(CHILD);

async function openChild(file, options = {}) {
  const c = child();
  const { open } = await c.ask(`open ${file} ${JSON.stringify(options)}`, (m) => m.open !== undefined);
  c.role = open;
  return c;
}

async function fresh(file, options = {}) {
  const map = await PersistentMap.open(file, { ...options, exclusive: true });
  const entries = JSON.parse(JSON.stringify([...map]));
  await map.close();
  return entries;
}

let dir;
beforeEach(() => {
  dir = makeTempDir('pmap-shared-');
});
afterEach(async () => {
  await killChildren();
  removeTempDir(dir);
});

describe('a second process', () => {
  test('joins the store by default, and its writes reach the first as remote change events', async () => {
    const file = path.join(dir, 's.pmap');
    const a = await openChild(file);
    const b = await openChild(file);
    expect([a.role, b.role]).toEqual(['leader', 'follower']);
    await a.ask('watch', (m) => m.watching);
    await b.ask('writes b 3', (m) => m.done === 3);
    const change = await a.next((m) => m.change?.key === 'b-2');
    expect(change.change).toEqual({ type: 'set', key: 'b-2', origin: 'remote' });
    const { entries } = await a.ask('dump', (m) => m.entries);
    expect(entries).toEqual([['b-0', 0], ['b-1', 1], ['b-2', 2]]);
    const { stats } = await a.ask('stats', (m) => m.stats);
    expect(stats).toMatchObject({ role: 'leader', clients: 1 });
    await b.close();
    await a.close();
    expect(await fresh(file)).toEqual(entries);
  });

  test('with { exclusive: true } is refused with LOCKED, as before', async () => {
    const file = path.join(dir, 'x.pmap');
    const a = await openChild(file);
    await expect(PersistentMap.open(file, { exclusive: true })).rejects.toMatchObject({ code: 'LOCKED' });
    await a.close();
  });

  test('joins a store opened with { exclusive: true } only by failing with LOCKED, which says why', async () => {
    const file = path.join(dir, 'x.pmap');
    const a = await openChild(file, { exclusive: true });
    await expect(PersistentMap.open(file)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/does not share it/) });
    await a.close();
  });
});

test('the native library does not join: its writer gets LOCKED naming the leader\'s process, its readers work', async () => {
  const file = path.join(dir, 'n.pmap');
  const a = await openChild(file);
  await a.ask('writes a 2', (m) => m.done === 2);
  const native = (...args) => spawnSync(NATIVE, args, { encoding: 'utf8' });
  const set = native('set', file, 'k', '1');
  expect(set.status).toBe(3);
  expect(set.stderr).toContain(`process ${a.proc.pid}`);
  expect(native('get', file, 'a-1')).toMatchObject({ status: 0, stdout: '1\n' });
  await a.close();
});

test('a follower\'s update whose function throws on a value it has not yet received runs it again on the latest one', async () => {
  const file = path.join(dir, 'u.pmap');
  const leader = await PersistentMap.open(file);
  const follower = await PersistentMap.open(file);
  try {
    expect(follower.stats().role).toBe('follower');
    const strict = (v) => {
      if (v === undefined) throw new TypeError('no value yet');
      return { n: v.n + 1 };
    };
    for (let i = 0; i < 20; i++) {
      await leader.set(`k${i}`, { n: 1 }); // in the log; on its way to the follower
      expect(await follower.update(`k${i}`, strict)).toEqual({ n: 2 });
    }
    await expect(follower.update('never-set', strict)).rejects.toThrow('no value yet');
    await leader.refresh();
    expect(leader.get('k19')).toEqual({ n: 2 });
    expect(leader.has('never-set')).toBe(false);
  } finally {
    await follower.close();
    await leader.close();
  }
});

test('a follower\'s write the leader refuses reverts its reads, and a change event says so', async () => {
  const file = path.join(dir, 'e.pmap');
  // The leader takes records of at most 1 KiB; the follower would take more.
  const leader = await PersistentMap.open(file, { maxRecordSize: 1024 });
  const follower = await PersistentMap.open(file);
  try {
    await follower.set('k', 'small');
    const events = [];
    follower.on('change', (e) => events.push([e.type, e.key, e.origin, follower.get(e.key)]));
    const version = follower.version;
    await expect(follower.set('k', 'x'.repeat(4096))).rejects.toMatchObject({ code: 'INVALID' });
    expect(follower.get('k')).toBe('small');
    expect(follower.version).not.toBe(version);
    expect(events).toEqual([['set', 'k', 'local', 'x'.repeat(4096)], ['set', 'k', 'remote', 'small']]);
    expect(leader.get('k')).toBe('small');
  } finally {
    await follower.close();
    await leader.close();
  }
});

describe('four processes', () => {
  test.each(['fs', 'sqlite'])('doing random writes converge on the log, equal to a fresh open (%s)', async (backend) => {
    const file = path.join(dir, `r.${backend}`);
    const procs = [];
    for (let i = 0; i < 4; i++) procs.push(await openChild(file, { backend }));
    await Promise.all(procs.map((p, i) => p.ask(`random ${100 + i} 300`, (m) => m.done !== undefined)));
    await Promise.all(procs.map((p) => p.ask('refresh', (m) => m.refreshed)));
    const dumps = await Promise.all(procs.map((p) => p.ask('dump', (m) => m.entries)));
    for (const d of dumps.slice(1)) expect(d.entries).toEqual(dumps[0].entries);
    for (const p of procs.reverse()) await p.close();
    expect(await fresh(file, { backend })).toEqual(dumps[0].entries);
  });

  test('each doing 500 updates of one counter end with 2000 in every process', async () => {
    const file = path.join(dir, 'n.pmap');
    const procs = [];
    for (let i = 0; i < 4; i++) procs.push(await openChild(file));
    await Promise.all(procs.map((p) => p.ask('count 500', (m) => m.done !== undefined)));
    await Promise.all(procs.map((p) => p.ask('refresh', (m) => m.refreshed)));
    const dumps = await Promise.all(procs.map((p) => p.ask('dump', (m) => m.entries)));
    for (const d of dumps) expect(d.entries).toEqual([['n', 2000]]);
    for (const p of procs) await p.close();
    expect(await fresh(file)).toEqual([['n', 2000]]);
  });
});

describe('failover', () => {
  test('the leader closing while followers write: they see no error and lose nothing', async () => {
    const file = path.join(dir, 'g.pmap');
    const a = await openChild(file);
    const b = await openChild(file);
    const c = await openChild(file);
    b.send('writes b 400');
    c.send('writes c 400');
    await b.next((m) => m.ok === 'b-50');
    await a.close();
    await b.next((m) => m.done === 400);
    await c.next((m) => m.done === 400);
    const roles = await Promise.all([b, c].map((p) => p.ask('stats', (m) => m.stats)));
    expect(roles.map((r) => r.stats.role).sort()).toEqual(['follower', 'leader']);
    await Promise.all([b, c].map((p) => p.ask('refresh', (m) => m.refreshed)));
    const [db, dc] = await Promise.all([b, c].map((p) => p.ask('dump', (m) => m.entries)));
    expect(dc.entries).toEqual(db.entries);
    expect(db.entries.length).toBe(800);
    await b.close();
    await c.close();
    expect((await fresh(file)).length).toBe(800);
  });

  test('SIGKILL of the leader (and of any process) at random moments, 200 times: every resolved write is there exactly once', async () => {
    const file = path.join(dir, 'f.pmap');
    const rand = prng(7);
    const live = []; // oldest first: the oldest still alive leads
    const okCount = new Map(); // prefix -> last n reported
    let next = 0;
    const start = () => {
      const p = child();
      p.prefix = `w${next++}`;
      p.opened = p.ask(`open ${file} ${JSON.stringify({ durability: 'strict' })}`, (m) => m.open !== undefined).then(() => {
        p.proc.stdout.on('data', () => {
          for (const m of p.lines.splice(0)) if (m.ok === p.prefix) okCount.set(p.prefix, m.n);
        });
        p.send(`loop ${p.prefix}`);
      });
      live.push(p);
    };
    for (let i = 0; i < 3; i++) start();
    for (let round = 0; round < 200; round++) {
      await Promise.all(live.map((p) => p.opened));
      await new Promise((r) => setTimeout(r, 5 + rand.int(40)));
      // Mostly the leader, now and then any process; a new one replaces it.
      const [p] = live.splice(rand.int(4) === 0 ? rand.int(live.length) : 0, 1);
      await p.kill();
      start();
    }
    await Promise.all(live.map((p) => p.opened));
    await new Promise((r) => setTimeout(r, 300)); // the survivors write on
    await Promise.all(live.map((p) => p.kill()));
    const state = new Map(await fresh(file));
    expect(okCount.size).toBeGreaterThan(150);
    for (const [prefix, n] of okCount) {
      for (let i = 1; i <= n; i++) expect(state.get(`${prefix}-${i}`)).toBe(i);
      // Each resolved update counted once; one more may have been in flight
      // when its process died.
      const counter = state.get(prefix);
      expect(counter === n || counter === n + 1).toBe(true);
    }
  }, 180000);
});

describe('bad peers and leftovers', () => {
  // A raw connection to the leader's socket: send(msg, bytes), frames().
  function rawPeer(file) {
    const socket = net.connect({ path: socketPath(file) });
    const reader = new FrameReader();
    const got = [];
    socket.on('data', (chunk) => got.push(...reader.push(new Uint8Array(chunk))));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    return { socket, got, closed };
  }

  test('garbage, another protocol version and a write before hello drop that connection only', async () => {
    const file = path.join(dir, 'p.pmap');
    const map = await PersistentMap.open(file);
    await map.set('a', 1);
    const garbage = rawPeer(file);
    garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await garbage.closed;
    const old = rawPeer(file);
    old.socket.write(encodeFrame({ t: 'hello', protocol: 'persistent-map-share/0', client: '0123456789abcdef' }));
    await old.closed;
    const rude = rawPeer(file);
    rude.socket.write(encodeFrame({ t: 'write', seq: 1 }, new Uint8Array([3])));
    await rude.closed;
    // The store is unharmed and a real follower still joins.
    const b = await openChild(file);
    await b.ask('writes b 1', (m) => m.done === 1);
    await map.refresh();
    expect([...map]).toEqual([['a', 1], ['b-0', 0]]);
    expect(map.stats().clients).toBe(1);
    await b.close();
    await map.close();
  });

  test('an open whose leader goes away before sending the state leads the store instead', async () => {
    const file = path.join(dir, 'j.pmap');
    await (await PersistentMap.open(file, { exclusive: true })).close();
    // A "leader" that holds the lock, takes the connection and then dies.
    const lock = await lockStore(file);
    const server = net.createServer((conn) => setTimeout(() => {
      conn.destroy();
      server.close();
      lock.release();
    }, 100)).listen(socketPath(file));
    const map = await PersistentMap.open(file);
    expect(map.stats().role).toBe('leader');
    await map.set('k', 1);
    await map.close();
    expect(await fresh(file)).toEqual([['k', 1]]);
  });

  test('a follower that connects and never reads is dropped, not waited for', async () => {
    const file = path.join(dir, 'r.pmap');
    const map = await PersistentMap.open(file);
    const idle = rawPeer(file);
    idle.socket.pause(); // reads nothing from here on
    idle.socket.write(encodeFrame({ t: 'hello', protocol: 'persistent-map-share/1', client: '0123456789abcdef' }));
    const big = 'x'.repeat(1 << 20);
    for (let i = 0; i < 100 && !idle.socket.destroyed; i++) await map.set(`k${i % 10}`, big);
    await new Promise((r) => setTimeout(r, 50));
    expect(map.stats().clients).toBe(0);
    await map.close();
    idle.socket.destroy();
  });

  test('a socket left by a leader that died is replaced; anything else at its path is refused with its name', async () => {
    const file = path.join(dir, 'l.pmap');
    const a = await openChild(file);
    await a.kill();
    expect(fs.lstatSync(socketPath(file)).isSocket()).toBe(true); // left behind
    const map = await PersistentMap.open(file);
    expect(map.stats().role).toBe('leader');
    await map.close();
    fs.writeFileSync(socketPath(file), 'not a socket');
    await expect(PersistentMap.open(file)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining(socketPath(file)) });
    fs.rmSync(socketPath(file));
  });

  test('only this user can reach the sockets: their directory is 0700 and a wider one is refused', async () => {
    const where = socketDir();
    const st = fs.statSync(where);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(process.getuid());
    fs.chmodSync(where, 0o755);
    try {
      await expect(PersistentMap.open(path.join(dir, 'm.pmap'))).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/mode 0700/) });
    } finally {
      fs.chmodSync(where, 0o700);
    }
  });
});
