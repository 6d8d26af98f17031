// The storage adapters ('persistent-map/adapters') with the real libraries
// from npm: zustand persist, redux + redux-persist, TanStack Query's
// persisters. Cross-process tests share one fs store between two maps of
// this process (a leader and a follower), as two tabs would.
import path from 'node:path';
import { createStore } from 'zustand/vanilla';
import { persist } from 'zustand/middleware';
import { legacy_createStore as createReduxStore } from 'redux';
import { persistReducer, persistStore } from 'redux-persist';
import { QueryClient } from '@tanstack/query-core';
import { experimental_createQueryPersister, persistQueryClientRestore, persistQueryClientSave } from '@tanstack/query-persist-client-core';
import { createAsyncStoragePersister } from '@tanstack/query-async-storage-persister';
import { PersistentMap } from '../../js/index.js';
import { queryPersisterStorage, reduxPersistStorage, rehydrateOnChange, zustandStorage } from '../../js/adapters.js';
import { makeTempDir, removeTempDir, uniqueName } from './helpers.js';

let dir;
beforeAll(() => {
  dir = makeTempDir('pmap-adapters-');
});
afterAll(() => removeTempDir(dir));

const memory = () => PersistentMap.open(uniqueName('adapters'), { backend: 'memory' });

const counter = (map, name = 'counter') => createStore()(persist((set) => ({
  count: 0,
  since: new Date(0),
  inc: () => set((s) => ({ count: s.count + 1, since: new Date(1000) })),
}), { name, storage: zustandStorage(map) }));

describe('zustand', () => {
  test('a store made over the map holds the persisted state as soon as create returns, Dates as Dates', async () => {
    const map = await memory();
    const first = counter(map);
    first.getState().inc();
    await map.flush();
    expect(map.get('counter')).toEqual({ state: { count: 1, since: new Date(1000) }, version: 0 });
    const second = counter(map);
    expect(second.persist.hasHydrated()).toBe(true);
    expect(second.getState().count).toBe(1);
    expect(second.getState().since).toEqual(new Date(1000));
    expect(typeof second.getState().inc).toBe('function');
    await map.close();
  });

  test('a state with a function below the top level is refused with a TypeError and the map keeps what it had', async () => {
    const map = await memory();
    const store = counter(map);
    store.getState().inc();
    await map.flush();
    const before = map.get('counter');
    await expect(store.setState({ nested: { f: () => 1 } })).rejects.toMatchObject({ name: 'TypeError', code: 'INVALID' });
    expect(map.get('counter')).toEqual(before);
    await map.close();
  });

  test('another process changing the store\'s key updates the store (rehydrateOnChange), other keys do not, and it writes nothing back', async () => {
    const file = path.join(dir, 'zustand.pmap');
    const a = await PersistentMap.open(file);
    const b = await PersistentMap.open(file);
    const storeA = counter(a);
    const storeB = counter(b);
    let rehydrations = 0;
    storeB.persist.onHydrate(() => rehydrations++);
    const stop = rehydrateOnChange(storeB, b);
    storeA.getState().inc();
    await a.flush();
    await b.refresh();
    expect(storeB.getState().count).toBe(1);
    expect(rehydrations).toBe(1);
    await a.set('other', 1);
    await b.refresh();
    expect(rehydrations).toBe(1);
    const version = a.version;
    await b.flush();
    await a.refresh();
    expect(a.version).toBe(version);
    stop();
    storeA.getState().inc();
    await a.flush();
    await b.refresh();
    expect(storeB.getState().count).toBe(1);
    await b.close();
    await a.close();
  });

  test('the adapters refuse what is not a map, and rehydrateOnChange a store without persist, with TypeErrors', async () => {
    const map = await memory();
    for (const make of [zustandStorage, reduxPersistStorage, queryPersisterStorage]) {
      expect(() => make({})).toThrow(expect.objectContaining({ name: 'TypeError', code: 'INVALID' }));
      expect(() => make(null)).toThrow(TypeError);
    }
    expect(() => rehydrateOnChange(createStore()(() => ({})), map)).toThrow(expect.objectContaining({ code: 'INVALID' }));
    await map.close();
  });
});

describe('redux-persist', () => {
  const reducer = (state = { todos: [] }, action) => (action.type === 'add' ? { todos: [...state.todos, action.text] } : state);
  const make = (map, serialize) => {
    const store = createReduxStore(persistReducer({ key: 'root', storage: reduxPersistStorage(map), ...(serialize ? {} : { serialize: false, deserialize: false }) }, reducer));
    const persistor = persistStore(store);
    return new Promise((resolve) => {
      const stop = persistor.subscribe(() => {
        if (persistor.getState().bootstrapped) {
          stop();
          resolve({ store, persistor });
        }
      });
    });
  };

  test.each([[false, 'as an object'], [true, 'as JSON text']])('a state persisted (serialize: %s) is stored %s and rehydrates a new store', async (serialize) => {
    const map = await memory();
    const { store, persistor } = await make(map, serialize);
    store.dispatch({ type: 'add', text: 'milk' });
    await persistor.flush();
    expect(await reduxPersistStorage(map).getAllKeys()).toEqual(['persist:root']);
    expect(typeof map.get('persist:root')).toBe(serialize ? 'string' : 'object');
    const again = await make(map, serialize);
    expect(again.store.getState().todos).toEqual(['milk']);
    await again.persistor.flush();
    again.persistor.pause();
    persistor.pause();
    await reduxPersistStorage(map).removeItem('persist:root');
    expect(map.has('persist:root')).toBe(false);
    await map.close();
  });
});

describe('TanStack Query', () => {
  test('experimental_createQueryPersister stores a query as an object and a new client restores it without fetching', async () => {
    const map = await memory();
    const persister = () => experimental_createQueryPersister({ storage: queryPersisterStorage(map), serialize: (q) => q, deserialize: (q) => q });
    let fetches = 0;
    const options = { queryKey: ['todo', 1], queryFn: async () => ({ id: 1, fetches: ++fetches }), staleTime: 60_000 };
    const first = new QueryClient();
    expect(await first.fetchQuery({ ...options, persister: persister().persisterFn })).toEqual({ id: 1, fetches: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the persister writes in TanStack's next batch
    await map.flush();
    const stored = [...map.keys()];
    expect(stored).toHaveLength(1);
    expect(map.get(stored[0]).state.data).toEqual({ id: 1, fetches: 1 });
    const second = new QueryClient();
    expect(await second.fetchQuery({ ...options, persister: persister().persisterFn })).toEqual({ id: 1, fetches: 1 });
    expect(fetches).toBe(1);
    await persister().persisterGc();
    expect(map.size).toBe(1);
    first.clear();
    second.clear();
    await map.close();
  });

  test('createAsyncStoragePersister saves a client to the map and restores it into a new one', async () => {
    const map = await memory();
    const persister = createAsyncStoragePersister({ storage: queryPersisterStorage(map), throttleTime: 0 });
    const first = new QueryClient();
    await first.fetchQuery({ queryKey: ['n'], queryFn: async () => 42 });
    await persistQueryClientSave({ queryClient: first, persister });
    await map.flush();
    expect(typeof map.get('REACT_QUERY_OFFLINE_CACHE')).toBe('string');
    const second = new QueryClient();
    await persistQueryClientRestore({ queryClient: second, persister });
    expect(second.getQueryData(['n'])).toBe(42);
    first.clear();
    second.clear();
    await map.close();
  });
});
