// Value codecs. The default codec stores JSON values as their JSON text and
// Uint8Array values as the byte 0x01 followed by the bytes (docs/FORMAT.md,
// "Value encoding"), so the native CLI reads what JavaScript writes.
// It refuses, with a TypeError naming the place, anything JSON would change
// or drop: undefined, functions, symbols, BigInt, NaN/Infinity, cycles,
// sparse arrays, objects that are not plain (Date, Map, class instances,
// typed arrays inside a value), and arrays and objects nested more than
// MAX_DEPTH deep (the native codec's kMaxValueDepth: no reader recurses
// deeper).

import { invalidType } from './errors.js';

const BYTES_TAG = 0x01;

function describe(v) {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor && v.constructor.name ? `a ${v.constructor.name}` : 'an object';
}

const MAX_DEPTH = 1000;

// Returns null if `value` is a plain JSON value, else the path and reason.
// `depth`: the arrays and objects around `value`.
function findUnserializable(value, path, seen, depth) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot hold`;
    case 'undefined':
    case 'function':
    case 'symbol':
    case 'bigint':
      return `${path} is ${typeof value === 'bigint' ? 'a BigInt' : typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, which JSON cannot hold`;
    default:
      break;
  }
  if (value === null) return null;
  if (seen.has(value)) return `${path} refers back to itself (a cycle)`;
  // Checked before going in, so the walk never recurses deeper either.
  if (depth >= MAX_DEPTH) return `value nests arrays and objects more than ${MAX_DEPTH} levels deep`;
  seen.add(value);
  let problem = null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !problem; i++) {
      if (!(i in value)) problem = `${path}[${i}] is a hole in a sparse array`;
      else problem = findUnserializable(value[i], `${path}[${i}]`, seen, depth + 1);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      problem = `${path} is ${describe(value)}, not a plain object; convert it to JSON values first`;
    } else {
      for (const k of Object.keys(value)) {
        problem = findUnserializable(value[k], `${path}.${k}`, seen, depth + 1);
        if (problem) break;
      }
      if (!problem && Object.getOwnPropertySymbols(value).length > 0) {
        problem = `${path} has symbol keys, which JSON cannot hold`;
      }
    }
  }
  seen.delete(value);
  return problem;
}

// Beyond this depth the quick check gives up and the full walk decides
// (it also keeps a cycle from recursing until the stack overflows).
const QUICK_DEPTH = 64;

// True if `value` is a plain JSON value (the common case), checked without
// building paths or a set of ancestors. False means "not sure": the full
// walk, findUnserializable, then finds the problem and names it.
function quickPlainJson(value, depth) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth > QUICK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !quickPlainJson(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  // for-in sees the own enumerable keys that Object.keys would (and any
  // inherited ones, which can only send a value to the full walk).
  for (const k in value) {
    if (!quickPlainJson(value[k], depth + 1)) return false;
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}

/**
 * The default codec. encode() returns a string (JSON text) or a Uint8Array
 * (stored as 0x01 + bytes); decode() takes what encode() returned.
 */
export const jsonCodec = Object.freeze({
  name: 'json',
  encode(value) {
    if (value instanceof Uint8Array) return value;
    if (!quickPlainJson(value, 0)) {
      const problem = findUnserializable(value, 'value', new Set(), 0);
      if (problem) throw invalidType(`cannot store this value: ${problem}`);
    }
    return JSON.stringify(value);
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
