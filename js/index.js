// persistent-map for Node.js: PersistentMap with the fs (default), memory
// and custom backends.
import { FsBackend } from './backends/fs.js';
import { registerBackend } from './persistent_map.js';

registerBackend('fs', (file) => new FsBackend(file), { auto: true });

export { PersistentMap, registerBackend } from './persistent_map.js';
export { PersistentMapError } from './errors.js';
export { jsonCodec } from './codec.js';
export { MemoryBackend } from './backends/memory.js';
export { FsBackend };
