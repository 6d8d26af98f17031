// Loaded before the real OPFS worker in the fault tests (browser.test.js
// serves it in place of js/backends/opfs/opfs_worker.js): an append whose bytes
// contain "CRASH" is not written; the worker throws instead, uncaught, as a
// worker that crashes does.
self.addEventListener('message', (event) => {
  const { op, bytes } = event.data;
  if (op === 'append' && new TextDecoder().decode(bytes).includes('CRASH')) {
    event.stopImmediatePropagation();
    throw new Error('injected crash');
  }
});
