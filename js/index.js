// persistent-map for Node.js: PersistentMap with the fs (default), sqlite,
// memory and custom backends.
import { FsBackend } from './backends/fs/fs.js';
import { SqliteBackend } from './backends/sqlite/sqlite_node.js';
import { registerBackend } from './persistent_map.js';
import { registerTransport } from './map/registry.js';
import { unixSocketTransport } from './share/unix_socket.js';

registerBackend('fs', (file, { wait, signal }) => new FsBackend(file, { wait, signal }), { auto: true });
// @sqlite.org/sqlite-wasm is imported only when a sqlite store is opened.
registerBackend('sqlite', (file, { wasm, wait, signal }) => new SqliteBackend(file, { wasm, wait, signal }));
// A second process that opens a store joins it (README, "Sharing a store").
registerTransport('fs', unixSocketTransport);
registerTransport('sqlite', unixSocketTransport);

export { PersistentMap, registerBackend } from './persistent_map.js';
export { PersistentMapError } from './errors.js';
export { jsonCodec } from './codec.js';
export { MemoryBackend } from './backends/memory/memory.js';
export { FsBackend, SqliteBackend };
