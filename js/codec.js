// Value codecs. The default codec keeps every value structured clone keeps
// that has a meaning outside this process (docs/FORMAT.md, "Value
// encoding"), so the native CLI reads what JavaScript writes:
//   * a value JSON text keeps exactly as its JSON text, as it always was;
//   * a Uint8Array as the byte 0x01 followed by the bytes;
//   * anything richer (undefined, NaN, ±Infinity, -0, BigInt, Date, RegExp,
//     Map, Set, ArrayBuffer, typed arrays, DataView, Error, sparse arrays,
//     shared and cyclic references) as the byte 0x02 followed by its tagged
//     JSON text (tagged.js).
// It refuses, with a TypeError (code 'INVALID') naming the place, what
// cannot be kept: functions, symbols, class instances, WeakMaps, Blobs,
// SharedArrayBuffers, nesting deeper than MAX_DEPTH, and a value whose
// reading throws (a getter, a Proxy trap, a revoked Proxy). Like JSON and
// structured clone, it leaves out symbol-keyed and non-enumerable
// properties: they are not part of the data.
//
// A first walk writes the JSON text of a plain JSON value, reading each
// property once; at the first thing JSON cannot hold it gives up, and the
// tagged walk (tagged.js) starts again from the root and writes the tagged
// text, reading each property once. toJSON is not called (a toJSON method
// is a function, refused).

import { MAX_DEPTH, readTagged, writeTagged } from './tagged.js';
import { refusedError } from './refusal.js';
import { invalidType } from './errors.js';

const BYTES_TAG = 0x01;
/** The first character of the stored form of a tagged value (0x02 in the log). */
const TAGGED_MARK = '\u0002';

export { MAX_DEPTH };

// The containers of a value the plain walk keeps in a list before a Set.
const SEEN_LIST_MAX = 16;

// Thrown by the plain walk at the first thing JSON text cannot keep.
const NOT_PLAIN = Symbol('not plain');

// The JSON text of a string: most need no escaping, and checking that in
// a loop costs less than a call of JSON.stringify.
function stringText(s) {
  if (s.length > 32) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

// '"key":' for object keys, which repeat from value to value: short ones
// are kept, up to KEY_TEXTS_MAX of them.
const keyTexts = new Map(); // key -> '"key":'
const nextKeyTexts = new Map(); // key -> ',"key":'
const KEY_TEXTS_MAX = 4096;
function keyText(key, cache, prefix) {
  if (key.length > 32) return prefix + JSON.stringify(key) + ':';
  let text = cache.get(key);
  if (text === undefined) {
    text = prefix + stringText(key) + ':';
    if (cache.size >= KEY_TEXTS_MAX) cache.clear();
    cache.set(key, text);
  }
  return text;
}

// The JSON text of `value`, which sits `depth` arrays or objects deep in
// the plain JSON value `walk.root`; walk.seen holds the containers met so
// far (a list, then a Set) once a second one is met (a container met twice
// is a shared or cyclic reference, which JSON text cannot keep).
function encodeValue(value, depth, walk) {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      // 1 / -0 is -Infinity; every other finite number passes the first test.
      if (Number.isFinite(value) && (value !== 0 || 1 / value > 0)) return '' + value;
      throw NOT_PLAIN;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : encodeContainer(value, depth, walk);
    default:
      throw NOT_PLAIN;
  }
}

function encodeContainer(value, depth, walk) {
  if (depth >= MAX_DEPTH) throw NOT_PLAIN;
  if (depth > 0) {
    // Most values hold a few containers: a short array is searched faster
    // than a Set is made; past SEEN_LIST_MAX they move to a Set.
    const seen = walk.seen;
    if (seen === null) {
      walk.seen = [walk.root, value];
    } else if (Array.isArray(seen)) {
      if (seen.includes(value)) throw NOT_PLAIN;
      seen.push(value);
      if (seen.length > SEEN_LIST_MAX) walk.seen = new Set(seen);
    } else {
      if (seen.has(value)) throw NOT_PLAIN;
      seen.add(value);
    }
  }
  if (Array.isArray(value)) {
    const n = value.length;
    let out = '[';
    for (let i = 0; i < n; i++) {
      const item = value[i];
      if (item === undefined) throw NOT_PLAIN; // undefined, or a hole
      if (i > 0) out += ',';
      out += encodeValue(item, depth + 1, walk);
    }
    // Own enumerable keys are the indices, in order, then any others.
    if (Object.keys(value).length !== n) throw NOT_PLAIN;
    return out + ']';
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const keys = Object.keys(value);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    out += (i === 0 ? keyText(key, keyTexts, '') : keyText(key, nextKeyTexts, ',')) + encodeValue(value[key], depth + 1, walk);
  }
  return out + '}';
}

/** Whether stored text (a string stored form) is a tagged value's. */
export function isTagged(stored) {
  return stored.charCodeAt(0) === 2;
}

/**
 * The value of a tagged stored form (TAGGED_MARK + tagged JSON text).
 * Throws a TaggedFormError or a SyntaxError if it is not one.
 */
export function decodeTagged(stored) {
  return readTagged(JSON.parse(stored.slice(1)));
}

/**
 * The default codec. encode() returns a string (JSON text, or for a tagged
 * value TAGGED_MARK + tagged JSON text) or a Uint8Array (stored as 0x01 +
 * bytes); decode() takes what encode() returned.
 */
export const jsonCodec = Object.freeze({
  name: 'json',
  encode(value) {
    try {
      if (value instanceof Uint8Array) return value;
      return encodeValue(value, 0, { root: value, seen: null });
    } catch {
      // Not plain JSON, or reading it threw (a getter, a Proxy trap): the
      // tagged walk reads it again and names the path of what it refuses.
    }
    try {
      return TAGGED_MARK + writeTagged(value);
    } catch (err) {
      throw refusedError(err);
    }
  },
  decode(stored) {
    if (typeof stored !== 'string') return stored.slice();
    return isTagged(stored) ? decodeTagged(stored) : JSON.parse(stored);
  },
});

/** Checks a user codec's shape. */
export function checkCodec(codec) {
  if (codec === undefined || codec === 'json') return jsonCodec;
  if (!codec || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw invalidType('codec must be an object with encode(value) and decode(bytes) functions');
  }
  return codec;
}

export { BYTES_TAG };
