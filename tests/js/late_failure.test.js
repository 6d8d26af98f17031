// The map's side of a backend failure found after relaxed writes were
// acknowledged (docs/BACKENDS.md, `onfailure`): the opfs and indexeddb
// backends report one this way, tested for real in Chromium
// (browser.test.js); here a memory backend stands in and reports it by hand.
import { PersistentMap, MemoryBackend, PersistentMapError } from '../../js/index.js';
import { uniqueName } from './helpers.js';

/** A memory backend that opts in to onfailure and whose close() rejects once it has failed. */
class LateFailingBackend extends MemoryBackend {
  onfailure = null;
  failure = null;

  failLater(code) {
    this.failure = Object.assign(new PersistentMapError(code, 'the write acknowledged a moment ago failed'), { fatal: true });
    this.onfailure?.(this.failure);
  }

  async close() {
    await super.close();
    if (this.failure) throw this.failure;
  }
}

describe('a backend failure found after writes were acknowledged', () => {
  test('fails the store at once: an error event, writes and flush refused, close rejects with it', async () => {
    const backend = new LateFailingBackend(uniqueName('late'));
    const map = await PersistentMap.open('late', { backend });
    const events = [];
    map.on('error', (e) => events.push(e));
    await map.set('a', 1);
    const pending = map.set('b', 2); // not yet handed over when the failure comes
    backend.failLater('QUOTA');

    expect(events).toEqual([backend.failure]); // synchronously, once
    expect(map.stats().state).toBe('failed');
    await expect(pending).rejects.toBe(backend.failure);
    await expect(map.set('c', 3)).rejects.toMatchObject({ code: 'CLOSED', cause: backend.failure });
    await expect(map.flush()).rejects.toMatchObject({ code: 'CLOSED', cause: backend.failure });
    expect(map.get('a')).toBe(1); // reads go on from memory
    await expect(map.close()).rejects.toBe(backend.failure);
    expect(map.stats().state).toBe('closed');
    backend.failLater('IO'); // after close: ignored
    expect(events).toHaveLength(1);
  });

  test('a backend without onfailure is left alone', async () => {
    const backend = new MemoryBackend(uniqueName('plain'));
    const map = await PersistentMap.open('plain', { backend });
    expect('onfailure' in backend).toBe(false);
    await map.set('a', 1);
    await map.close();
  });
});
