// A shared worker sharing a store with pages (tests/js/browser_share.test.js):
// each connecting page drives it like share_worker.js.
import { ops } from './share_ops.js';

self.onconnect = ({ ports: [port] }) => {
  port.onmessage = async ({ data: { id, op, args } }) => {
    try {
      port.postMessage({ id, result: await ops[op](...args) });
    } catch (err) {
      port.postMessage({ id, error: `${err.code}: ${err.message}` });
    }
  };
};
