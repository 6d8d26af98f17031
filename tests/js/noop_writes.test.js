// Writes that change nothing (a delete of an absent key, an empty setMany,
// ...) still answer for the writes issued before them: each resolves only
// once those are as durable as its own would be, and rejects if they fail.
// A memory backend whose append can be held open stands for a slow disk;
// the real-process version of the first case is in crash.test.js.
import { PersistentMap, MemoryBackend, PersistentMapError } from '../../js/index.js';
import { uniqueName } from './helpers.js';

/** A memory backend whose next append, after hold(), waits for release() or fail(). */
class HeldBackend extends MemoryBackend {
  #held = null; // the gate the next append waits at
  #gate = null; // the gate last made by hold()
  holding = false;

  hold() {
    let release;
    let fail;
    const gate = new Promise((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
    this.#held = { gate, release, fail };
    this.#gate = this.#held;
  }

  release() {
    this.#gate.release();
  }

  fail() {
    this.#gate.fail(new PersistentMapError('IO', 'the held append failed'));
  }

  async append(bytes, options) {
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      this.holding = true;
      try {
        await held.gate;
      } finally {
        this.holding = false;
      }
    }
    return super.append(bytes, options);
  }
}

/** Lets every queued microtask and I/O callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

// [what, the earlier write (not awaited), the write that then changes nothing, what it resolves to]
const cases = [
  ['a delete of a key a pending delete removed', (m) => m.delete('a'), (m) => m.delete('a'), false],
  ['a delete of a key that was never there', (m) => m.set('c', 3), (m) => m.delete('nowhere'), false],
  ['a deleteMany of keys a pending deleteMany removed', (m) => m.deleteMany(['a', 'b']), (m) => m.deleteMany(['a', 'b']), 0],
  ['an empty deleteMany', (m) => m.set('c', 3), (m) => m.deleteMany([]), 0],
  ['an empty setMany', (m) => m.set('c', 3), (m) => m.setMany([]), undefined],
  ['an importCSV of no rows', (m) => m.set('c', 3), (m) => m.importCSV('key,value\r\n'), 0],
  ['a clear of a map a pending clear emptied', (m) => m.clear(), (m) => m.clear(), undefined],
  ['an update that sets the value it had', (m) => m.set('a', 7), (m) => m.update('a', (v) => v), 7],
];

describe.each(['relaxed', 'strict'])('with durability %s, a write that changes nothing', (durability) => {
  async function openHeld() {
    const backend = new HeldBackend(uniqueName('noop'));
    const map = await PersistentMap.open('noop', { backend, durability });
    await map.setMany([['a', 1], ['b', 2]]);
    return { backend, map };
  }

  test.each(cases)('%s resolves only after the earlier write is stored', async (_what, earlier, noop, result) => {
    const { backend, map } = await openHeld();
    backend.hold();
    const first = earlier(map);
    await settle();
    expect(backend.holding).toBe(true); // the earlier write is at the backend, not yet stored
    let done = false;
    const second = noop(map).then((value) => {
      done = true;
      return value;
    });
    await settle();
    await settle();
    expect(done).toBe(false);
    backend.release();
    await first;
    expect(await second).toBe(result);
    await map.close();
  });

  test.each(cases)('%s rejects when the earlier write it waited for fails', async (_what, earlier, noop) => {
    const { backend, map } = await openHeld();
    backend.hold();
    const first = earlier(map);
    await settle();
    const second = noop(map);
    backend.fail();
    await expect(first).rejects.toMatchObject({ code: 'IO' });
    await expect(second).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/rolled back/) });
    // The failed write was rolled back: the keys are there again.
    expect([map.get('a'), map.get('b')]).toEqual([1, 2]);
    await map.close();
  });
});
