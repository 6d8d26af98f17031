// One store, many servers (README "Sharing a store → servers"): Node
// processes share a store through a JetStream stream on a real
// three-node nats-server cluster (loopback ports, temporary directories).

import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { fresh, killChildren, manager, openChild, startCluster } from './nats_process.js';

let cluster;
let settings;
let names = 0;
const storeName = () => `t${names++}`;

beforeAll(async () => {
  cluster = await startCluster();
  settings = { servers: cluster.servers, timeout: 4000 };
}, 30000);
afterAll(async () => {
  await killChildren();
  await cluster?.stop();
});
afterEach(killChildren);

describe('servers sharing a store', () => {
  test('three processes doing random operations, then refresh(): identical maps, equal to a fresh open', async () => {
    const name = storeName();
    const procs = await Promise.all([1, 2, 3].map(() => openChild(name, settings)));
    await Promise.all(procs.map((p, i) => p.ask(`random ${i + 11} 150`, (m) => m.done !== undefined)));
    await Promise.all(procs.map((p) => p.ask('refresh', (m) => m.refreshed)));
    const dumps = await Promise.all(procs.map((p) => p.ask('dump', (m) => m.entries)));
    const expected = await fresh(name, settings);
    expect(expected.length).toBeGreaterThan(5);
    for (const d of dumps) expect(d.entries).toEqual(expected);
    await Promise.all(procs.map((p) => p.close()));
  }, 60000);

  test('the counter: three processes each doing 300 updates end with 900', async () => {
    const name = storeName();
    const procs = await Promise.all([1, 2, 3].map(() => openChild(name, settings)));
    await Promise.all(procs.map((p) => p.ask('count 300', (m) => m.done !== undefined)));
    await Promise.all(procs.map((p) => p.ask('refresh', (m) => m.refreshed)));
    for (const p of procs) expect(new Map((await p.ask('dump', (m) => m.entries)).entries).get('n')).toBe(900);
    expect(new Map(await fresh(name, settings)).get('n')).toBe(900);
    await Promise.all(procs.map((p) => p.close()));
  }, 90000);

  test("a write is in the writer's map when it resolves, and reaches the others as a remote change event", async () => {
    const name = storeName();
    const a = await PersistentMap.open(name, { backend: natsBackend(settings) });
    const b = await PersistentMap.open(name, { backend: natsBackend(settings) });
    const seen = [];
    b.on('change', (e) => seen.push(e));
    const pending = a.set('k', { v: 1 });
    expect(a.get('k')).toEqual({ v: 1 }); // at once, before the stream has it
    await pending;
    await b.refresh();
    expect(b.get('k')).toEqual({ v: 1 });
    expect(seen).toEqual([{ type: 'set', key: 'k', origin: 'remote' }]);
    expect(b.stats()).toMatchObject({ backend: 'nats', role: 'nats', size: 1 });
    await a.setMany([['x', 1], ['y', 2]]);
    expect(await a.deleteMany(['x', 'nope'])).toBe(1);
    await b.refresh();
    expect([...b]).toEqual([...a]);
    await Promise.all([a.close(), b.close()]);
  }, 30000);

  test('compaction: a snapshot replaces the log it covers, and a server that joins later reads it and the tail', async () => {
    const name = storeName();
    const a = await PersistentMap.open(name, { backend: natsBackend(settings) });
    for (let i = 0; i < 50; i++) await a.set(`k${i % 10}`, i);
    await a.compact();
    await a.set('tail', true);
    const m = await manager(cluster.servers);
    const info = await m.jsm.streams.info(`PMAP_${name}`);
    await m.close();
    expect(info.state.first_seq).toBeGreaterThan(50); // the history is gone
    const b = await PersistentMap.open(name, { backend: natsBackend(settings) });
    expect([...b]).toEqual([...a]);
    expect(b.get('tail')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  }, 30000);

  test('a server stopped while another writes and compacts past it reloads the snapshot when it runs again, and converges', async () => {
    const name = storeName();
    const a = await PersistentMap.open(name, { backend: natsBackend(settings) });
    await a.set('before', 0);
    const c = await openChild(name, settings);
    c.proc.kill('SIGSTOP'); // it reads nothing from here on
    try {
      // More messages than its consumer asks for at a time (1,000), so that
      // most never reach it before the compaction purges them.
      for (let i = 0; i < 2500; i++) await a.set(`k${i % 50}`, i); // a message each
      await a.compact(); // purges every message it stopped before
      await a.set('after', true);
      const m = await manager(cluster.servers);
      const info = await m.jsm.streams.info(`PMAP_${name}`);
      await m.close();
      expect(info.state.first_seq).toBeGreaterThan(1000);
    } finally {
      c.proc.kill('SIGCONT');
    }
    await c.ask('refresh', (msg) => msg.refreshed);
    expect((await c.ask('reloads', (msg) => msg.reloads !== undefined)).reloads).toBeGreaterThan(0); // the gap was seen
    const { entries } = await c.ask('dump', (msg) => msg.entries);
    expect(entries).toEqual(JSON.parse(JSON.stringify([...a])));
    expect(entries.length).toBe(52);
    await c.close();
    await a.close();
  }, 60000);

  test('two servers compacting again and again while both write lose no write', async () => {
    const name = storeName();
    const a = await PersistentMap.open(name, { backend: natsBackend(settings) });
    const b = await PersistentMap.open(name, { backend: natsBackend(settings) });
    const work = async (map, prefix) => {
      for (let i = 0; i < 60; i++) {
        await map.set(`${prefix}${i}`, i);
        if (i % 10 === 5) await map.compact();
      }
    };
    await Promise.all([work(a, 'a'), work(b, 'b')]);
    await Promise.all([a.refresh(), b.refresh()]);
    const state = new Map(await fresh(name, settings));
    expect(state.size).toBe(120);
    for (let i = 0; i < 60; i++) expect([state.get(`a${i}`), state.get(`b${i}`)]).toEqual([i, i]);
    expect([...a]).toEqual([...b]);
    await Promise.all([a.close(), b.close()]);
  }, 60000);
});

describe('what a NATS store refuses', () => {
  test('a write larger than the stream allows is refused with INVALID and changes nothing', async () => {
    const name = storeName();
    const map = await PersistentMap.open(name, { backend: natsBackend(settings), maxRecordSize: 4096 });
    await map.set('small', 'x');
    await expect(map.set('big', 'y'.repeat(5000))).rejects.toMatchObject({ code: 'INVALID', name: 'RangeError' });
    expect(map.has('big')).toBe(false);
    await map.set('after', 1);
    const m = await manager(cluster.servers);
    expect((await m.jsm.streams.info(`PMAP_${name}`)).config.max_msg_size).toBeLessThan(4096 + 1024);
    await m.close();
    expect(await fresh(name, settings)).toEqual([['small', 'x'], ['after', 1]]);
    await map.close();
  }, 30000);

  test("a stream someone else created with settings that would lose records is refused with INVALID naming the setting", async () => {
    const name = storeName();
    const m = await manager(cluster.servers);
    await m.jsm.streams.add({ name: `PMAP_${name}`, subjects: [`pmap.${name}.log`, `pmap.${name}.chunk`, `pmap.${name}.snap`], max_age: 60e9, num_replicas: 1 });
    await expect(PersistentMap.open(name, { backend: natsBackend(settings) })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('max_age') });
    const other = storeName();
    await m.jsm.streams.add({ name: `PMAP_${other}`, subjects: ['somewhere.else'], num_replicas: 1 });
    await expect(PersistentMap.open(other, { backend: natsBackend(settings) })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining(`pmap.${other}.log`) });
    expect((await m.jsm.streams.info(`PMAP_${other}`)).config.subjects).toEqual(['somewhere.else']); // untouched
    await m.close();
  }, 30000);

  test('garbage in the log: an open fails with CORRUPT naming the message, a running map fails its writes and keeps its reads', async () => {
    const name = storeName();
    const map = await PersistentMap.open(name, { backend: natsBackend(settings) });
    const errors = [];
    map.on('error', (e) => errors.push(e));
    await map.set('a', 1);
    const m = await manager(cluster.servers);
    const ack = await m.js.publish(`pmap.${name}.log`, new TextEncoder().encode('not a record'));
    await m.close();
    await expect(map.refresh()).rejects.toMatchObject({ code: 'CORRUPT' });
    expect(errors[0]).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`message ${ack.seq} `) });
    expect(map.get('a')).toBe(1);
    await expect(map.set('b', 2)).rejects.toMatchObject({ code: 'CLOSED', cause: { code: 'CORRUPT' } });
    await expect(PersistentMap.open(name, { backend: natsBackend(settings) })).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(`nats stream rmm PMAP_${name} ${ack.seq}`) });
    await map.close().catch(() => {});
  }, 30000);

  test('log messages removed by something else, with no snapshot covering them: an open fails with CORRUPT naming them', async () => {
    const name = storeName();
    const map = await PersistentMap.open(name, { backend: natsBackend(settings) });
    for (let i = 0; i < 5; i++) await map.set(`k${i}`, i);
    await map.close();
    const m = await manager(cluster.servers);
    await m.jsm.streams.purge(`PMAP_${name}`, { seq: 3 });
    await m.close();
    await expect(PersistentMap.open(name, { backend: natsBackend(settings) })).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('messages 1 to 2 ') });
  }, 30000);

  test('bad settings and names NATS cannot carry are refused before anything connects', async () => {
    expect(() => natsBackend({})).toThrow(expect.objectContaining({ code: 'INVALID', message: expect.stringContaining('servers') }));
    expect(() => natsBackend({ servers: 'nats://x:4222', replicas: 9 })).toThrow(RangeError);
    expect(() => natsBackend({ servers: 'nats://x:4222', storage: 'disk' })).toThrow(TypeError);
    expect(() => natsBackend({ servers: 'nats://x:4222', colour: 1 })).toThrow(/unknown natsBackend setting 'colour'/);
    await expect(PersistentMap.open('a.b', { backend: natsBackend(settings) })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining("letters, digits, '_' or '-'") });
    await expect(PersistentMap.open('ok', { backend: natsBackend(settings), exclusive: true })).rejects.toMatchObject({ code: 'INVALID' });
    await expect(PersistentMap.open('x', { backend: { sequencer: true } })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('join()') });
  });

  test('no server to connect to: the open fails with UNAVAILABLE', async () => {
    await expect(PersistentMap.open('nobody', { backend: natsBackend({ servers: 'nats://127.0.0.1:1', timeout: 500 }) })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
