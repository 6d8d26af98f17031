// The 'change' events of a follower's write group as the leader applies it:
// the keys its operation stream (src/op_stream.h, js/op_writer.js) writes,
// one event per operation as the writer's own map reported it. The core has
// checked the stream before this reads it.

import { textDecoder } from '../utf8.js';

const PUT = 1;
const DELETE = 2;
const CLEAR = 3;
const BATCH = 4;

/** The events of op stream `ops`: [{ type, key } | { type, keys }], in order. */
export function opEvents(ops) {
  const view = new DataView(ops.buffer, ops.byteOffset, ops.length);
  const events = [];
  let at = 0;
  const key = () => {
    const n = view.getUint32(at, true);
    const k = textDecoder.decode(ops.subarray(at + 4, at + 4 + n));
    at += 4 + n;
    return k;
  };
  const skipValue = () => {
    at += 4 + view.getUint32(at, true);
  };
  while (at < ops.length) {
    const type = ops[at++];
    if (type === PUT) {
      events.push({ type: 'set', key: key() });
      skipValue();
    } else if (type === DELETE) {
      events.push({ type: 'delete', key: key() });
    } else if (type === CLEAR) {
      events.push({ type: 'clear' });
    } else if (type === BATCH) {
      const count = view.getUint32(at, true);
      at += 4;
      const keys = [];
      let puts = false;
      for (let i = 0; i < count; i++) {
        puts = ops[at++] === PUT;
        keys.push(key());
        if (puts) skipValue();
      }
      events.push({ type: puts ? 'setMany' : 'deleteMany', keys });
    } else {
      throw new Error(`operation ${type} at byte ${at - 1} of a checked stream`);
    }
  }
  return events;
}
