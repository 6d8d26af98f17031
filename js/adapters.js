// Storage adapters for state libraries ('persistent-map/adapters'): each is
// a few lines over a PersistentMap, in the shape its library asks for.
// Values are stored as they are (no JSON round trip), and reads are
// synchronous where the library allows it, so zustand hydrates before
// create() returns. README "Web apps" has an example for each.

import { invalidType } from './errors.js';
import { touches } from './map/events.js';

function checkMap(map, name) {
  if (map === null || typeof map !== 'object' || typeof map.get !== 'function' || typeof map.subscribe !== 'function') {
    throw invalidType(`${name}(map) needs a PersistentMap`);
  }
}

// A zustand state's top-level functions (its actions) are code, not data:
// the store's create() makes them again.
function withoutFunctions(state) {
  const data = {};
  for (const [k, v] of Object.entries(state)) if (typeof v !== 'function') data[k] = v;
  return data;
}

/**
 * zustand persist's `storage` (its PersistStorage): getItem is synchronous,
 * so the store holds the persisted state as soon as create() returns. The
 * state's top-level functions are left out; anything else that cannot be
 * stored makes setItem reject with a TypeError (use `partialize`).
 */
export function zustandStorage(map) {
  checkMap(map, 'zustandStorage');
  return {
    getItem: (name) => map.get(name) ?? null,
    setItem: (name, value) => map.set(name, { ...value, state: withoutFunctions(value.state) }),
    removeItem: (name) => map.delete(name),
  };
}

/**
 * Keeps a zustand `store` made with persist over `map` in step with other
 * tabs and processes: when one of them changes the store's key (or the map
 * is reloaded), the store rehydrates from the map. Returns the function that
 * stops it.
 */
export function rehydrateOnChange(store, map) {
  checkMap(map, 'rehydrateOnChange');
  if (typeof store?.persist?.rehydrate !== 'function') throw invalidType('rehydrateOnChange(store, map) needs a store made with zustand persist');
  const listener = (event) => {
    const name = store.persist.getOptions().name;
    if (event.type === 'reload' || (event.origin === 'remote' && touches(event, name))) store.persist.rehydrate();
  };
  map.on('change', listener);
  return () => map.off('change', listener);
}

/**
 * redux-persist's `storage`: getItem, setItem, removeItem and getAllKeys,
 * each a Promise. With `serialize: false, deserialize: false` in the
 * persist config, the state is stored as an object, not as JSON text.
 */
export function reduxPersistStorage(map) {
  checkMap(map, 'reduxPersistStorage');
  return {
    getItem: async (key) => map.get(key) ?? null,
    setItem: (key, value) => map.set(key, value),
    removeItem: async (key) => {
      await map.delete(key);
    },
    getAllKeys: async () => [...map.keys()],
  };
}

/**
 * TanStack Query's persister storage: for experimental_createPersister
 * (getItem, setItem, removeItem, entries; with `serialize` and `deserialize`
 * the identity, queries are stored as objects) and for
 * createAsyncStoragePersister (which stores JSON text).
 */
export function queryPersisterStorage(map) {
  checkMap(map, 'queryPersisterStorage');
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => map.set(key, value),
    removeItem: async (key) => {
      await map.delete(key);
    },
    entries: async () => [...map.entries()],
  };
}
