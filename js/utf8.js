// UTF-8 between strings and memory, with Node's faster (undocumented)
// Buffer methods where they exist and behave, else TextEncoder/TextDecoder.

// get() if it is a function that passes check(), else null: the Node-only
// fast paths below are used only where they behave as expected.
function works(get, check) {
  try {
    const f = get();
    return typeof f === 'function' && check(f) ? f : null;
  } catch {
    return null;
  }
}

export const encoder = new TextEncoder();
// ignoreBOM: a key or value may begin with U+FEFF, which must survive.
export const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

// Node's Buffer decodes a range of memory without a view per call, which
// makes a read served by the core about twice as fast as TextDecoder; it
// is not a documented method, so it is used only where it exists.
const utf8Slice = works(() => globalThis.Buffer.prototype.utf8Slice,
  (f) => f.call(new Uint8Array([0x61, 0xc3, 0xa9]), 0, 3) === 'a\u00e9');

/** The text of heap[start, end), which must be valid UTF-8. */
export function decodeText(heap, start, end) {
  return utf8Slice !== null ? utf8Slice.call(heap, start, end) : textDecoder.decode(heap.subarray(start, end));
}

// Node's Buffer writes UTF-8 into memory without the view and the result
// object that each TextEncoder.encodeInto call allocates; its utf8Write
// (not documented, so used only where it exists) also skips the argument
// handling of write(), a third of the cost for a 100-byte string.
export const NodeBuffer = typeof globalThis.Buffer?.from === 'function' ? globalThis.Buffer : null;
const writesUtf8 = (f) => {
  const b = NodeBuffer.alloc(4);
  return f.call(b, 'a\u00e9', 1) === 3 && b[1] === 0x61 && b[3] === 0xa9;
};
export const utf8Write = works(() => NodeBuffer.prototype.utf8Write, writesUtf8) ??
  works(() => NodeBuffer.prototype.write, writesUtf8);
