// A follower's overlay (js/share/overlay.js): which keys read differently
// when one of its pending write groups leaves it. The cache under it is a
// plain Map of stored forms, standing for the core.
import { Overlay } from '../../js/share/overlay.js';

const bytes = (s) => new TextEncoder().encode(s);

function overlayOver(entries = []) {
  const core = new Map(entries.map(([k, v]) => [k, bytes(v)]));
  const cache = {
    stored: (k) => core.get(k),
    has: (k) => core.has(k),
  };
  return { core, overlay: new Overlay(cache) };
}

test('an acknowledged write whose value the log kept changes nothing a read sees', () => {
  const { core, overlay } = overlayOver();
  overlay.put('k', bytes('mine'), 1);
  core.set('k', bytes('mine')); // its record came back
  expect(overlay.settle(1)).toEqual({ keys: [], clear: false });
});

test('a key another client wrote after a pending write reads differently once that write leaves', () => {
  const { core, overlay } = overlayOver([['k', 'old']]);
  overlay.put('k', bytes('mine'), 1);
  core.set('k', bytes('mine'));
  core.set('k', bytes('theirs')); // sequenced after it, hidden meanwhile
  overlay.shadow('k');
  expect(overlay.stored('k')).toEqual(bytes('mine'));
  expect(overlay.settle(1)).toEqual({ keys: ['k'], clear: false });
  expect(overlay.stored('k')).toEqual(bytes('theirs'));
});

test('a key still hidden by a later pending write is reported when that one leaves', () => {
  const { core, overlay } = overlayOver();
  overlay.put('k', bytes('first'), 1);
  overlay.put('k', bytes('second'), 2);
  core.set('k', bytes('first'));
  core.set('k', bytes('theirs'));
  overlay.shadow('k');
  expect(overlay.settle(1)).toEqual({ keys: [], clear: false });
  core.set('k', bytes('second'));
  expect(overlay.settle(2)).toEqual({ keys: [], clear: false }); // the log ends with this group's value
  overlay.put('k', bytes('third'), 3);
  core.set('k', bytes('theirs again'));
  overlay.shadow('k');
  expect(overlay.settle(3)).toEqual({ keys: ['k'], clear: false }); // refused: the log's value shows
});

test('a refused write reverts its keys; a refused clear may have changed any', () => {
  const { overlay } = overlayOver([['a', '1'], ['b', '2']]);
  overlay.put('a', bytes('x'), 1);
  overlay.delete('b', 1);
  expect(overlay.settle(1)).toEqual({ keys: ['a', 'b'], clear: false });
  overlay.clear(2);
  expect(overlay.settle(2)).toEqual({ keys: [], clear: true });
});
