// The sqlite worker for bundled apps: sqlite-wasm imported by its package
// name, which the bundler resolves and bundles with this worker (see
// sqlite_worker_ops.js).
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { serve } from './sqlite_worker_ops.js';

serve(async () => sqlite3InitModule);
