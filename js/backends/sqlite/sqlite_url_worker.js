// The sqlite worker without a bundler: sqlite-wasm imported from the URL
// the page passes (an option, or where the page's import map sends the
// package name); see sqlite_worker_ops.js.
import { serve } from './sqlite_worker_ops.js';

serve(async (moduleUrl) => {
  try {
    return (await import(/* @vite-ignore */ moduleUrl)).default;
  } catch (err) {
    throw Object.assign(new Error(`cannot load @sqlite.org/sqlite-wasm from ${moduleUrl} (${err.message})`), { code: 'NOT_FOUND' });
  }
});
