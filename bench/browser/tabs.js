// One page of the tabs benchmark (bench/browser/tabs.mjs): a shared
// persistent-map store, idb-keyval and Dexie, driven from Node. Times are
// performance.timeOrigin + performance.now(): one clock for every page of
// the browser, so that a time taken here can be subtracted from one taken
// in another page.
import { PersistentMap } from '../../js/browser.js';
import * as kv from './node_modules/idb-keyval/dist/index.js';
import Dexie, { liveQuery } from './node_modules/dexie/dist/dexie.mjs';

const now = () => performance.timeOrigin + performance.now();
const value = (i) => ({ id: i, name: `user-${i}`, tags: ['red', 'green'], score: i / 7, active: true });

let map = null;
let db = null;
let watched = null; // { key, resolve }
let seen = null; // the promise of the watched key's arrival time

window.tabs = {
  async open(kind, name) {
    map = await PersistentMap.open(name, { backend: kind });
    map.on('change', (e) => {
      if (watched !== null && e.origin === 'remote' && e.key === watched.key) {
        const w = watched;
        watched = null;
        w.resolve(now());
      }
    });
    return map.stats().role;
  },

  role: () => map.stats().role,

  // Milliseconds for n awaited relaxed sets of this page's keys.
  async sets(tag, n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await map.set(`${tag}:${i}`, value(i));
    return performance.now() - t0;
  },

  async idbKeyvalSets(tag, n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await kv.set(`${tag}:${i}`, value(i));
    return performance.now() - t0;
  },

  // Ours: resolves (later, through seen()) with the time the 'change' event
  // for `key` arrived from another page.
  watch(key) {
    seen = new Promise((resolve) => {
      watched = { key, resolve };
    });
  },

  seen: () => seen,

  // Sets `key`; returns the time just before the set was issued.
  async poke(key) {
    const t = now();
    await map.set(key, value(0));
    return t;
  },

  // Writes keys 1..n (short string values) with setMany, 10,000 at a time.
  async fill(n) {
    for (let i = 1; i <= n; i += 10_000) {
      const entries = [];
      for (let j = i; j < Math.min(n + 1, i + 10_000); j++) entries.push([`key:${j}`, `v${j}`]);
      await map.setMany(entries);
    }
  },

  // Opens the store and iterates it: milliseconds until this page holds
  // every entry, the count, and the role.
  async join(kind, name) {
    const t0 = performance.now();
    await this.open(kind, name);
    const count = [...map].length;
    return { ms: performance.now() - t0, count, role: map.stats().role };
  },

  // The floor under any design in which a follower's awaited write waits
  // for the leader (the contract): milliseconds for n round trips
  // of a small message over a BroadcastChannel to a page that echoes it.
  echo(name) {
    const c = new BroadcastChannel(name);
    c.onmessage = (e) => c.postMessage(e.data);
    window.echoChannel = c;
  },

  async pingPong(name, n) {
    const c = new BroadcastChannel(name);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await new Promise((resolve) => {
        c.onmessage = resolve;
        c.postMessage({ k: 'write', seq: i, key: `key:${i}`, value: value(i) });
      });
    }
    const ms = performance.now() - t0;
    c.close();
    return ms;
  },

  // The floor of propagation through a leader: L re-posts what A posts
  // (relay), and B watches for it (watchRelay): two hops on a channel, with
  // no store.
  relay(name) {
    const c = new BroadcastChannel(name);
    c.onmessage = (e) => {
      if (!e.data.relayed) c.postMessage({ ...e.data, relayed: true });
    };
    window.relayChannel = c;
  },

  watchRelay(name, key) {
    const c = new BroadcastChannel(name);
    seen = new Promise((resolve) => {
      c.onmessage = (e) => {
        if (e.data.relayed && e.data.key === key) {
          resolve(now());
          c.close();
        }
      };
    });
  },

  pokeRelay(name, key) {
    window.relayPoke ??= new BroadcastChannel(name);
    const t = now();
    window.relayPoke.postMessage({ key, value: value(0) });
    return t;
  },

  async openDexie(name) {
    db = new Dexie(name);
    db.version(1).stores({ kv: '' });
    await db.open();
  },

  // A liveQuery of `key` (as an app's UI would hold); resolves seen() with
  // the time it first emits the value.
  watchDexie(key) {
    seen = new Promise((resolve) => {
      const sub = liveQuery(() => db.kv.get(key)).subscribe((v) => {
        if (v === undefined) return;
        const t = now();
        queueMicrotask(() => sub.unsubscribe());
        resolve(t);
      });
    });
  },

  async pokeDexie(key) {
    const t = now();
    await db.kv.put(value(0), key);
    return t;
  },

  async close() {
    await map?.close();
    map = null;
    db?.close();
    db = null;
  },
};
window.tabsReady = true;
