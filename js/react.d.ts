// Types of 'persistent-map/react': hooks over a PersistentMap on React's useSyncExternalStore.
import type { PersistentMap, StorableMembers, StoredValue } from './index.js';

export interface PersistentValueOptions<T> {
  /** What server rendering and hydration show (and what the hook gives where map is null). */
  serverValue?: T;
}

/**
 * The value of `key`; the component renders again when that key changes (also in another tab
 * or process), not for other keys. `map` null (on a server): `options.serverValue`.
 */
export function usePersistentValue<V extends StorableMembers<V> = StoredValue>(
  map: PersistentMap<V> | null | undefined,
  key: string,
  options?: PersistentValueOptions<V>,
): V | undefined;

/** The map itself; the component renders again after every change of it. */
export function usePersistentMap<M extends PersistentMap<any>>(map: M | null | undefined): M | null;
