#!/usr/bin/env node
// Serves the repository for the browser demo until Ctrl-C, and prints its URL.
// PMAP_DEMO_PORT picks the port (default 8080, then any free one if taken; 0: any).
import { serve } from '../tests/browser/server.js';

const wanted = process.env.PMAP_DEMO_PORT;
let server;
try {
  server = await serve(undefined, { port: Number(wanted ?? 8080) });
} catch (err) {
  if (err.code !== 'EADDRINUSE' || wanted !== undefined) throw err;
  server = await serve(undefined, { port: 0 });
}
console.log(`demo: open ${server.url}/demo/ in a browser (Ctrl-C stops the server)`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
