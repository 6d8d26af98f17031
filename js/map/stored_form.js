// The stored form of values: what the codec makes of a value and back. With
// the default codec a value is kept as JSON text (a string: plain JSON text,
// or a tagged value's mark and tagged text) or, for bytes, as a Uint8Array
// that the log tags (BYTES_TAG); with a custom codec it is always a
// Uint8Array.

import { BYTES_TAG, decodeTagged, isTagged, jsonCodec } from '../codec.js';
import { PersistentMapError, invalidType } from '../errors.js';
import { encoder } from '../utf8.js';
import { wellFormed } from './options.js';

export class StoredForm {
  constructor(name, codec) {
    this.name = name;
    this.codec = codec;
    /** The default codec: values are JSON text or tagged bytes. */
    this.asText = codec === jsonCodec;
  }

  /** The stored form of `value` (a copy: later changes to `value` do not show). */
  encode(value) {
    const encoded = this.codec.encode(value);
    // new Uint8Array(x) copies; a Buffer's slice() would only be a view.
    if (this.asText) return typeof encoded === 'string' ? encoded : new Uint8Array(encoded);
    if (typeof encoded === 'string') {
      if (!wellFormed(encoded)) throw invalidType('codec.encode returned a string with a lone surrogate');
      return encoder.encode(encoded);
    }
    if (!(encoded instanceof Uint8Array)) throw invalidType('codec.encode must return a Uint8Array or a string');
    return new Uint8Array(encoded);
  }

  /** A fresh value from the stored form of `key`. */
  decode(key, stored) {
    if (this.asText) return typeof stored === 'string' ? this.parse(key, stored) : stored.slice();
    return this.codec.decode(stored.slice());
  }

  /**
   * A stored text (JSON text, or a tagged value's) as a value. Text that is
   * neither (written by another program or codec into a log store; table
   * stores are checked on open) is CORRUPT, not a bare SyntaxError.
   */
  parse(key, text) {
    try {
      return isTagged(text) ? decodeTagged(text) : JSON.parse(text);
    } catch (err) {
      throw new PersistentMapError('CORRUPT', `${this.name}: the value of key ${JSON.stringify(key)} is not JSON text or a tagged value (${err.message}); it was written by another program or with a custom codec (open the store with that codec)`, { cause: err });
    }
  }

  /** The tag byte the log puts before a stored form's bytes, or -1 for none. */
  bytesPrefix(stored) {
    return this.asText && typeof stored !== 'string' ? BYTES_TAG : -1;
  }
}
