// Byte helpers shared by the backends.

/** Concatenates Uint8Arrays (or ArrayBuffers) into one new Uint8Array. */
export function concatBytes(chunks) {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c instanceof Uint8Array ? c : new Uint8Array(c), pos);
    pos += c.byteLength;
  }
  return out;
}
