// A dedicated worker sharing a store with pages (tests/js/browser_share.test.js).
import { ops } from './share_ops.js';

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    self.postMessage({ id, result: await ops[op](...args) });
  } catch (err) {
    self.postMessage({ id, error: `${err.code}: ${err.message}` });
  }
};
