// Compiled (not run) by tests/js/types.test.js: the declarations in
// js/index.d.ts must accept the documented usage and reject misuse.
import {
  PersistentMap,
  PersistentMapError,
  MemoryBackend,
  SqliteBackend,
  type LogBackend,
  type Codec,
  type ChangeEvent,
} from 'persistent-map';
import { SqliteBackend as SqliteFromEntry } from 'persistent-map/sqlite';
import { natsBackend } from 'persistent-map/nats';

async function documentedUsage(): Promise<void> {
  const map = await PersistentMap.open('app.pmap', { durability: 'strict', recovery: 'salvage' });
  await map.set('user:1', { name: 'Ada', tags: ['x'], n: 1, ok: true, none: null });
  await map.set('bytes', new Uint8Array([1]));
  const v = map.get('user:1');
  const size: number = map.size;
  const first: [string, unknown] | undefined = map.at(0);
  await map.set('rich', { due: undefined, at: new Date(), tags: new Set(['a']), n: 10n, m: new Map([[1, NaN]]), f: new Float32Array(2), e: new Error('x') });
  interface Task { title: string; at: Date; due?: Date; seen: Map<string, Set<number>>; raw: ArrayBuffer }
  const tasks = await PersistentMap.open<Task>('tasks.pmap');
  await tasks.set('t1', { title: 'x', at: new Date(), seen: new Map(), raw: new ArrayBuffer(1) });
  const at: Date | undefined = tasks.get('t1')?.at;
  const dated: PersistentMap<{ at: Date }> = await PersistentMap.open('dated.pmap');
  const existed: boolean = await map.delete('x');
  const deleted: number = await map.deleteMany(['a', 'b']);
  await map.setMany([['a', 1], ['b', 'two']]);
  const chunks: AsyncIterable<string> = map.exportCSV({ neutralizeFormulas: true });
  const imported: number = await map.importCSV(new Blob(['key,value\r\n']));
  await map.importCSV(chunks);
  await map.update('n', (cur) => (typeof cur === 'number' ? cur + 1 : 0));
  for (const [key, value] of map) void [key, value];
  map.on('change', (e: ChangeEvent) => void e.type);
  const stats = map.stats();
  const ratio: number = stats.deadRatio;
  const damaged = map.recovery.damaged.map((d) => d.begin + d.end);
  await map.flush();
  await map.compact();
  await map.close();
  void [v, size, first, existed, deleted, ratio, damaged];
}

async function customCodecAndBackend(backend: LogBackend): Promise<void> {
  const codec: Codec<Date> = {
    encode: (d) => d.toISOString(),
    decode: (b) => new Date(new TextDecoder().decode(b)),
  };
  const map = await PersistentMap.open<Date>('dates', { backend, codec });
  await map.set('now', new Date());
  const d: Date | undefined = map.get('now');
  void d;
  await PersistentMap.open('mem', { backend: new MemoryBackend('mem') });
  const shared = await PersistentMap.open('app.pmap', { freeze: true });
  void shared.get('user:1');
}

async function sqlite(): Promise<void> {
  const map = await PersistentMap.open('app.sqlite', { backend: 'sqlite', durability: 'strict' });
  await map.close();
  const backend: LogBackend = new SqliteBackend('app.sqlite');
  await PersistentMap.open('app.sqlite', { backend });
  await PersistentMap.open('app', { backend: new SqliteFromEntry('app', { moduleUrl: new URL('https://x/sqlite/index.mjs'), wait: true }) });
  await SqliteBackend.destroy('app.sqlite');
  // @ts-expect-error moduleUrl is a string or URL
  new SqliteBackend('app', { moduleUrl: 42 });
}

function errors(e: unknown): string {
  if (e instanceof PersistentMapError) return e.code;
  return '';
}

async function misuse(): Promise<void> {
  const map = await PersistentMap.open('app.pmap');
  // @ts-expect-error not an export option
  map.exportCSV({ neutralize: true });
  // @ts-expect-error a number is not a CSV source
  await map.importCSV(42);
  // @ts-expect-error keys are strings
  await map.set(1, 'v');
  // @ts-expect-error not a durability
  await PersistentMap.open('x', { durability: 'fast' });
  // @ts-expect-error freeze is a boolean
  await PersistentMap.open('x', { freeze: 'yes' });
  // @ts-expect-error a function is not a storable value
  await map.set('k', () => 1);
  // @ts-expect-error a symbol is not a storable value
  await map.set('k', { s: Symbol('s') });
  // @ts-expect-error a value type holding a function does not compile
  type NotStorable = PersistentMap<{ f: () => void }>;
  // @ts-expect-error nor one holding a Map of Promises
  type NotStorableEither = PersistentMap<{ m: Map<string, Promise<number>> }>;
  // @ts-expect-error the constructor is private: use open()
  new PersistentMap();
}


async function nats(): Promise<void> {
  const orders = await PersistentMap.open('orders', { backend: natsBackend({ servers: 'nats://a:4222,nats://b:4222', timeout: 5000 }) });
  const role: 'leader' | 'follower' | 'nats' | 'exclusive' = orders.stats().role;
  await PersistentMap.open('orders', { backend: natsBackend({ servers: ['nats://a:4222'], replicas: 3, storage: 'file', user: 'u', pass: 'p' }) });
  // @ts-expect-error servers is required
  natsBackend({});
  // @ts-expect-error storage is 'file' or 'memory'
  natsBackend({ servers: 'nats://a:4222', storage: 'disk' });
  void role;
}

void [documentedUsage, customCodecAndBackend, sqlite, errors, misuse, nats];
