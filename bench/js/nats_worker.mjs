// A server process of bench/js/nats_bench.mjs's contended updates: opens
// the store 'counter' (argv: natsBackend settings JSON, updates), says so,
// waits for 'go', makes its updates of "n" one after another, and replies
// with how many times its update functions ran.
import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';

const [settings, updates] = process.argv.slice(2);
const map = await PersistentMap.open('counter', { backend: natsBackend(JSON.parse(settings)) });
process.send({ open: true });
process.once('message', async () => {
  let calls = 0;
  for (let i = 0; i < Number(updates); i++) {
    await map.update('n', (v) => {
      calls++;
      return (v ?? 0) + 1;
    });
  }
  await map.close();
  process.send({ calls });
  process.disconnect();
});
