// A page that uses only js/browser.js and asks for backend 'sqlite' by name,
// as a page without a bundler does (tests/js/browser_sqlite.test.js): the
// backend is loaded on first use. window.lazyResult gets what happened,
// for two attempts (the second shows that a failure released the lock).
import { PersistentMap } from '../../js/browser.js';

async function attempt() {
  const started = performance.now();
  try {
    const map = await PersistentMap.open('lazy-sqlite', { backend: 'sqlite' });
    await map.set('k', { v: [1, 2] });
    const entries = [...map];
    await map.close();
    return { ok: true, entries };
  } catch (e) {
    return { ok: false, code: e.code, message: e.message, ms: performance.now() - started };
  }
}

window.lazyResult = [await attempt(), await attempt()];
