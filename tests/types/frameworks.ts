// Compiled (not run) by tests/js/types.test.js: the adapters' and hooks'
// declarations fit the libraries' own types (zustand, TanStack Query;
// redux-persist's Storage type is all `any`), and reject misuse.
import { create } from 'zustand';
import { persist, type PersistStorage } from 'zustand/middleware';
import { experimental_createQueryPersister, type AsyncStorage } from '@tanstack/query-persist-client-core';
import { PersistentMap } from 'persistent-map';
import { queryPersisterStorage, reduxPersistStorage, rehydrateOnChange, zustandStorage } from 'persistent-map/adapters';
import { usePersistentMap, usePersistentValue } from 'persistent-map/react';

async function adapters(): Promise<void> {
  const map = await PersistentMap.open('app', { backend: 'memory' });
  type Counter = { count: number; inc: () => void };
  const store = create<Counter>()(persist((set) => ({ count: 0, inc: () => set((s) => ({ count: s.count + 1 })) }), {
    name: 'counter',
    storage: zustandStorage(map),
  }));
  const storage: PersistStorage<Counter> = zustandStorage(map);
  const stop: () => void = rehydrateOnChange(store, map);
  const redux = reduxPersistStorage(map);
  const keys: Promise<string[]> = redux.getAllKeys();
  const query: AsyncStorage<unknown> = queryPersisterStorage(map);
  experimental_createQueryPersister({ storage: queryPersisterStorage(map), serialize: (q: unknown) => q, deserialize: (q: unknown) => q as any });
  // @ts-expect-error not a map
  zustandStorage({});
  // @ts-expect-error not a zustand persist store
  rehydrateOnChange({}, map);
  void [storage, stop, keys, query];
}

async function hooks(): Promise<void> {
  const map = await PersistentMap.open<{ n: number }>('app', { backend: 'memory' });
  const value: { n: number } | undefined = usePersistentValue(map, 'k', { serverValue: { n: 0 } });
  const same: PersistentMap<{ n: number }> | null = usePersistentMap(map);
  const none: unknown = usePersistentValue(null, 'k');
  // @ts-expect-error the key is a string
  usePersistentValue(map, 1);
  // @ts-expect-error the server value has the map's value type
  usePersistentValue(map, 'k', { serverValue: 'x' });
  void [value, same, none];
}

void adapters;
void hooks;
