// persistent-map for browsers and other non-Node runtimes. Browser storage
// backends (OPFS, IndexedDB) are not in this version yet: 'auto' refuses
// rather than silently keeping data in memory only.
export { PersistentMap, registerBackend } from './persistent_map.js';
export { PersistentMapError } from './errors.js';
export { jsonCodec } from './codec.js';
export { MemoryBackend } from './backends/memory.js';
