// A writer that is killed mid-write by the crash scenario of harness.js.
import { PersistentMap } from '../../js/browser.js';

self.onmessage = async ({ data: { kind, name, moduleUrl, durability } }) => {
  try {
    const backend = kind === 'sqlite'
      ? new (await import('../../js/backends/sqlite/sqlite_browser.js')).SqliteBackend(name, { moduleUrl })
      : kind;
    const map = await PersistentMap.open(name, { backend, durability });
    for (let batch = 0; ; batch++) {
      const entries = [];
      for (let j = 0; j < 5; j++) entries.push([`b${batch}:${j}`, { batch, j, pad: 'p'.repeat(200) }]);
      await map.setMany(entries);
      self.postMessage({ batch });
    }
  } catch (e) {
    self.postMessage({ error: String(e && e.message) });
  }
};
