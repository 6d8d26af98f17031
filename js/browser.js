// persistent-map for browsers: PersistentMap with the opfs, indexeddb,
// sqlite and memory backends. 'auto' picks opfs where a sync access handle
// can be had (a dedicated worker with OPFS), else indexeddb.
import { registerBackend, setAutoBackend } from './persistent_map.js';
import { registerTransport } from './map/registry.js';
import { broadcastChannelTransport, canShare } from './share/broadcast_channel.js';
import { PersistentMapError } from './errors.js';
import { IndexedDbBackend } from './backends/indexeddb/indexeddb.js';
import { OpfsBackend } from './backends/opfs/opfs.js';

registerBackend('indexeddb', (name, options) => new IndexedDbBackend(name, options));
registerBackend('opfs', (name, options) => new OpfsBackend(name, options));
// The sqlite backend is its own entry point, 'persistent-map/sqlite', so
// that bundlers meet @sqlite.org/sqlite-wasm only in apps that import it
// (importing it registers the real factory). Without a bundler this loads
// it from beside this file on first use.
registerBackend('sqlite', async (name, options) => {
  const entry = './backends/sqlite/sqlite_browser.js';
  let module;
  try {
    module = await import(/* @vite-ignore */ entry);
  } catch (err) {
    throw new PersistentMapError('NOT_FOUND', `the sqlite backend is not in this bundle: import 'persistent-map/sqlite' once (it needs @sqlite.org/sqlite-wasm) (${err.message})`, { cause: err });
  }
  return new module.SqliteBackend(name, options);
});

// A store opened by several tabs or workers of the origin is shared
// (js/share/): one leads and owns the backend, the others follow it over a
// BroadcastChannel.
if (canShare()) {
  for (const kind of ['opfs', 'indexeddb', 'sqlite']) registerTransport(kind, (name) => broadcastChannelTransport(`${kind}:${name}`));
}

// Decided once per page: the first 'auto' open asks a worker.
let choice = null;
setAutoBackend(() => {
  choice ??= OpfsBackend.available().then((opfs) => {
    if (opfs) return 'opfs';
    return typeof indexedDB === 'undefined' ? null : 'indexeddb';
  });
  return choice;
});

export { PersistentMap, registerBackend } from './persistent_map.js';
export { PersistentMapError } from './errors.js';
export { jsonCodec } from './codec.js';
export { MemoryBackend } from './backends/memory/memory.js';
export { IndexedDbBackend, OpfsBackend };
