// Types of 'persistent-map/adapters': storage for zustand persist,
// redux-persist and TanStack Query, each over a PersistentMap.
import type { PersistentMap } from './index.js';

/** zustand persist's PersistStorage: getItem is synchronous (the store hydrates inside create()). */
export interface ZustandStorage {
  getItem(name: string): { state: any; version?: number } | null;
  /** Stores the value as it is, without the state's top-level functions; rejects with a TypeError for anything else that cannot be stored. */
  setItem(name: string, value: { state: any; version?: number }): Promise<void>;
  removeItem(name: string): Promise<boolean>;
}
export function zustandStorage(map: PersistentMap<any>): ZustandStorage;

/** A store made with zustand persist (only what rehydrateOnChange uses). */
export interface PersistedStore {
  persist: { rehydrate(): Promise<void> | void; getOptions(): { name?: string } };
}
/** Rehydrates `store` when another tab or process changes its key (or the map reloads); returns the function that stops it. */
export function rehydrateOnChange(store: PersistedStore, map: PersistentMap<any>): () => void;

/** redux-persist's Storage. With serialize: false and deserialize: false, states are stored as objects. */
export interface ReduxPersistStorage {
  getItem(key: string): Promise<any>;
  setItem(key: string, value: any): Promise<void>;
  removeItem(key: string): Promise<void>;
  getAllKeys(): Promise<string[]>;
}
export function reduxPersistStorage(map: PersistentMap<any>): ReduxPersistStorage;

/** TanStack Query's persister storage (experimental_createPersister, createAsyncStoragePersister). */
export interface QueryPersisterStorage {
  getItem(key: string): any;
  setItem(key: string, value: any): Promise<void>;
  removeItem(key: string): Promise<void>;
  entries(): Promise<Array<[string, any]>>;
}
export function queryPersisterStorage(map: PersistentMap<any>): QueryPersisterStorage;
