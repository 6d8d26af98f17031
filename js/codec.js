// Value codecs. The default codec stores JSON values as their JSON text and
// Uint8Array values as the byte 0x01 followed by the bytes (docs/FORMAT.md,
// "Value encoding"), so the native CLI reads what JavaScript writes.
// It refuses, with a TypeError (code 'INVALID') naming the place, anything
// JSON would change or drop: undefined, functions, symbols, BigInt,
// NaN/Infinity, -0, cycles, sparse arrays, arrays with other properties,
// objects that are not plain (Date, Map, class instances, typed arrays
// inside a value), nesting deeper than MAX_DEPTH, and a value whose reading
// throws (a getter, a Proxy trap, a revoked Proxy). Like JSON and structured
// clone, it leaves out symbol-keyed and non-enumerable properties: they are
// not part of the data.
//
// One walk checks the value and writes its JSON text, reading each property
// once: a getter that answers differently the second time cannot slip past
// the check. toJSON is not called (a toJSON method is a function, refused).

import { invalidType } from './errors.js';

const BYTES_TAG = 0x01;

/**
 * How deeply arrays and objects may nest in a value: `[[1]]` nests 2 deep.
 * Deeper values are refused before a walk could overflow the stack here or
 * in the readers of the log (docs/FORMAT.md, "Value encoding").
 */
export const MAX_DEPTH = 1000;

// Below this depth a cycle is not looked for: it shows as a value nested
// this deep, and only then are the ancestors searched.
const CYCLE_CHECK_DEPTH = 64;

// Why a value cannot be stored. Thrown up the walk, which adds the path.
class Refusal {
  /**
   * @param {string} reason what is wrong, after the path ("is undefined, ...")
   * @param {number} depth the depth of the value to blame; frames above it add their key to the path
   * @param {unknown} [cause] what reading the value threw
   */
  constructor(reason, depth, cause) {
    this.reason = reason;
    this.depth = depth;
    this.cause = cause;
    this.path = []; // keys from the root, filled in on the way up
  }
}

// What reading a value (a getter, a Proxy trap) threw, as a Refusal.
function readFailure(err, depth) {
  let text;
  try {
    text = err instanceof Error ? err.message : String(err);
  } catch {
    text = 'an exception that cannot be shown';
  }
  return new Refusal(`could not be read: ${text}`, depth, err);
}

function describe(value, proto) {
  const name = proto && typeof proto.constructor === 'function' ? proto.constructor.name : '';
  return name ? `a ${name}` : 'an object';
}

function primitiveRefusal(value, depth) {
  const t = typeof value;
  if (t === 'number') {
    return new Refusal(Object.is(value, -0) ? 'is -0, which JSON text cannot keep (it reads back as 0)'
      : `is ${value}, which JSON cannot hold`, depth);
  }
  const what = t === 'bigint' ? 'a BigInt' : t === 'undefined' ? 'undefined' : `a ${t}`;
  return new Refusal(`is ${what}, which JSON cannot hold`, depth);
}

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

// The JSON text of `value`, which sits `depth` arrays or objects deep;
// `ancestors[d]` holds the container at depth d on the way down.
function encodeValue(value, depth, ancestors) {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      // 1 / -0 is -Infinity; every other finite number passes the first test.
      if (Number.isFinite(value) && (value !== 0 || 1 / value > 0)) return '' + value;
      throw primitiveRefusal(value, depth);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : encodeContainer(value, depth, ancestors);
    default:
      throw primitiveRefusal(value, depth);
  }
}

function encodeContainer(value, depth, ancestors) {
  let key; // the member being read, for the path of what reading it throws
  try {
    if (depth >= CYCLE_CHECK_DEPTH) checkCycle(value, depth, ancestors);
    if (depth >= MAX_DEPTH) throw new Refusal(`nests arrays and objects more than ${MAX_DEPTH} levels deep`, depth);
    ancestors[depth] = value;
    let out;
    let keys;
    if (Array.isArray(value)) {
      const n = value.length;
      out = '[';
      for (let i = 0; i < n; i++) {
        key = i;
        const item = value[i];
        if (item === undefined && !(i in value)) throw new Refusal('is a hole in a sparse array', depth + 1);
        if (i > 0) out += ',';
        out += encodeValue(item, depth + 1, ancestors);
      }
      key = undefined;
      // Own enumerable keys are the indices, in order, then any others.
      keys = Object.keys(value);
      if (keys.length !== n) {
        throw new Refusal(`is an array with other properties (${JSON.stringify(keys[n])}), which JSON would drop`, depth);
      }
      out += ']';
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new Refusal(`is ${describe(value, proto)}, not a plain object; convert it to JSON values first`, depth);
      }
      keys = Object.keys(value);
      out = '{';
      for (let i = 0; i < keys.length; i++) {
        key = keys[i];
        out += (i === 0 ? keyText(key, keyTexts, '') : keyText(key, nextKeyTexts, ',')) + encodeValue(value[key], depth + 1, ancestors);
      }
      key = undefined;
      out += '}';
    }
    return out;
  } catch (err) {
    const refusal = err instanceof Refusal ? err : readFailure(err, key === undefined ? depth : depth + 1);
    if (key !== undefined && depth < refusal.depth) refusal.path.push(key);
    throw refusal;
  }
}

// Throws if `value` is one of its own ancestors. The value to blame is the
// first on the way down that repeats an ancestor (a cycle shorter than
// CYCLE_CHECK_DEPTH has gone round a few times by now).
function checkCycle(value, depth, ancestors) {
  if (ancestors.lastIndexOf(value, depth - 1) < 0) return;
  let first = depth;
  for (let d = 1; d < depth && first === depth; d++) {
    if (ancestors.lastIndexOf(ancestors[d], d - 1) >= 0) first = d;
  }
  throw new Refusal('refers back to itself (a cycle)', first);
}

// value[0].a["b c"]; the keys are collected leaf first. A long path shows
// its first and last PATH_ENDS keys.
const PATH_ENDS = 8;
function pathText(keys) {
  const step = (k) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
  const fromRoot = keys.slice().reverse();
  if (fromRoot.length <= 2 * PATH_ENDS + 1) return `value${fromRoot.map(step).join('')}`;
  const head = fromRoot.slice(0, PATH_ENDS).map(step).join('');
  const tail = fromRoot.slice(-PATH_ENDS).map(step).join('');
  return `value${head}…(${fromRoot.length - 2 * PATH_ENDS} more)…${tail}`;
}

// The TypeError for what the walk threw: a Refusal, or an error reading
// the value itself (its prototype, for a Proxy).
function refusedError(err) {
  const refusal = err instanceof Refusal ? err : readFailure(err, 0);
  const error = invalidType(`cannot store this value: ${pathText(refusal.path)} ${refusal.reason}`);
  if (refusal.cause !== undefined) error.cause = refusal.cause;
  return error;
}

/**
 * The default codec. encode() returns a string (JSON text) or a Uint8Array
 * (stored as 0x01 + bytes); decode() takes what encode() returned.
 */
export const jsonCodec = Object.freeze({
  name: 'json',
  encode(value) {
    try {
      if (value instanceof Uint8Array) return value;
      return encodeValue(value, 0, []);
    } catch (err) {
      throw refusedError(err);
    }
  },
  decode(stored) {
    return typeof stored === 'string' ? JSON.parse(stored) : stored.slice();
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
