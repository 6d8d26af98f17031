// A service worker that follows a shared store (tests/js/browser_share.test.js):
// driven by messages from a page, as share_worker.js is.
import { ops } from './share_ops.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  const { id, op, args } = event.data;
  const reply = (m) => event.source.postMessage({ id, ...m });
  event.waitUntil((async () => {
    try {
      reply({ result: await ops[op](...args) });
    } catch (err) {
      reply({ error: `${err.code}: ${err.message}` });
    }
  })());
});
