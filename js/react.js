// React hooks over a PersistentMap ('persistent-map/react'), built on
// useSyncExternalStore and the map's store contract (version, subscribe):
// reads are synchronous, so the first render already shows the stored
// value, with no loading state. React is an optional peer dependency.

import { useMemo, useSyncExternalStore } from 'react';
import { invalidType } from './errors.js';
import { touches } from './map/events.js';

function checkMap(map, hook) {
  if (map !== null && map !== undefined && (typeof map.get !== 'function' || typeof map.subscribe !== 'function')) {
    throw invalidType(`${hook}(map) needs a PersistentMap, or null where there is none (server rendering)`);
  }
}

// One key of a map as an external store. Its snapshot is the value read
// after the key last changed: the same object until then, as
// useSyncExternalStore needs, even though map.get returns a fresh copy
// each time. `at`: the map's version when the snapshot was known current.
function keyStore(map, key) {
  let value;
  let at = -1;
  let stale = true;
  let listening = 0;
  return {
    subscribe(notify) {
      const listener = (event) => {
        if (touches(event, key)) {
          stale = true;
          notify();
        } else if (!stale) {
          at = map.version; // another key changed: the snapshot is still current
        }
      };
      map.on('change', listener);
      listening++;
      if (map.version !== at) stale = true; // something changed between the render and now
      return () => {
        listening--;
        map.off('change', listener);
      };
    },
    getSnapshot() {
      if (stale || (listening === 0 && map.version !== at)) {
        value = map.get(key);
        at = map.version;
        stale = false;
      }
      return value;
    },
  };
}

const noStore = { subscribe: () => () => {}, getSnapshot: () => undefined };

/**
 * The value of `key` in `map`; the component renders again when that key
 * changes, through this map or in another tab or process, and not for
 * other keys. `map` may be null (on a server, where no store is open): the
 * hook then gives `options.serverValue`. With `serverValue` given, server
 * rendering and hydration show it too, and the stored value follows at once.
 */
export function usePersistentValue(map, key, options = {}) {
  checkMap(map, 'usePersistentValue');
  if (typeof key !== 'string') throw invalidType(`usePersistentValue(map, key) needs a string key, got ${typeof key}`);
  const store = useMemo(() => (map ? keyStore(map, key) : noStore), [map, key]);
  const server = 'serverValue' in options ? () => options.serverValue : store.getSnapshot;
  const value = useSyncExternalStore(store.subscribe, store.getSnapshot, server);
  return map ? value : options.serverValue;
}

const noVersion = () => 0;

/**
 * The whole map: the component renders again after every change of it, and
 * reads it directly. Returns `map` (null where there is none).
 */
export function usePersistentMap(map) {
  checkMap(map, 'usePersistentMap');
  const store = useMemo(() => (map
    ? { subscribe: (notify) => map.subscribe(notify), getSnapshot: () => map.version }
    : { subscribe: noStore.subscribe, getSnapshot: noVersion }), [map]);
  useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return map ?? null;
}
