// persistent-map for browsers: PersistentMap with the opfs, indexeddb and
// memory backends. 'auto' picks opfs where a sync access handle can be had
// (a dedicated worker with OPFS), else indexeddb.
import { registerBackend, setAutoBackend } from './persistent_map.js';
import { IndexedDbBackend } from './backends/indexeddb.js';
import { OpfsBackend } from './backends/opfs.js';

registerBackend('indexeddb', (name, options) => new IndexedDbBackend(name, options));
registerBackend('opfs', (name, options) => new OpfsBackend(name, options));

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
export { MemoryBackend } from './backends/memory.js';
export { IndexedDbBackend, OpfsBackend };
