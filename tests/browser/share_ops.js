// What a page or a dedicated worker does with a shared store in the tab
// tests (tests/js/browser_share.test.js): each function works on the one
// map of this context and returns plain data.
import { PersistentMap } from '../../js/browser.js';

let map = null;
let remote = []; // keys of 'change' events with origin 'remote'
let loop = null;

const plain = (v) => (v instanceof Uint8Array ? { u8: [...v] } : v);

function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

export const ops = {
  async open(kind, name, options = {}) {
    map = await PersistentMap.open(name, { backend: kind, ...options });
    remote = [];
    map.on('change', (e) => {
      if (e.origin === 'remote') remote.push(e.key ?? e.type);
    });
    return map.stats().role;
  },

  stats: () => map.stats(),
  contents: () => [...map].map(([k, v]) => [k, plain(v)]),
  get: (key) => plain(map.get(key)),
  remoteKeys: () => remote,
  set: (key, value) => map.set(key, value).then(() => {}),

  async refresh() {
    await map.refresh();
  },

  // n random writes over 40 keys, some awaited one by one, some issued
  // together; resolves once all have resolved.
  async randomOps(seed, n, tag) {
    const r = rng(seed);
    const inFlight = [];
    for (let i = 0; i < n; i++) {
      const key = `k${r(40)}`;
      const pick = r(100);
      let p;
      if (pick < 50) p = map.set(key, { tag, i });
      else if (pick < 65) p = map.delete(key);
      else if (pick < 80) p = map.setMany([[key, { tag, i, many: 1 }], [`k${r(40)}`, [tag, i]]]);
      else if (pick < 90) p = map.deleteMany([key, `k${r(40)}`]);
      else if (pick < 98) p = map.update(key, (v) => ({ tag, i, was: v ?? null }));
      else p = map.clear();
      if (r(3) === 0) await p;
      else inFlight.push(p);
    }
    await Promise.all(inFlight);
  },

  // Keys key:1..n with short string values, by setMany of 10,000.
  async fill(n) {
    for (let i = 1; i <= n; i += 10_000) {
      const entries = [];
      for (let j = i; j < Math.min(n + 1, i + 10_000); j++) entries.push([`key:${j}`, `v${j}`]);
      await map.setMany(entries);
    }
  },

  // How many entries iteration gives, and the first and last.
  summary() {
    const all = [...map];
    return { count: all.length, first: all[0], last: all[all.length - 1] };
  },

  async counter(n) {
    for (let i = 0; i < n; i++) await map.update('n', (v) => (v ?? 0) + 1);
  },

  // Sets prefix0, prefix1, ... one after another until stopLoop(); each
  // resolved write is reported.
  startLoop(prefix) {
    loop = { resolved: [], error: null, stop: false };
    const l = loop;
    (async () => {
      for (let i = 0; !l.stop; i++) {
        try {
          await map.set(`${prefix}${i}`, i);
          l.resolved.push(`${prefix}${i}`);
          await new Promise((resolve) => setTimeout(resolve, 0)); // as an app would, between writes
        } catch (err) {
          l.error = `${err.code}: ${err.message}`;
          return;
        }
      }
    })();
  },

  resolvedSoFar: () => loop.resolved.length,

  stopLoop() {
    loop.stop = true;
    return { resolved: loop.resolved, error: loop.error };
  },

  async close() {
    await map.close();
    map = null;
  },
};
