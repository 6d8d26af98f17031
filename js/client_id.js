// Client ids of tagged writes (docs/FORMAT.md, TAGGED): a u64 in the log,
// 16 lowercase hex digits in JavaScript, two u32 halves on the way between.

import { invalidType } from './errors.js';

const CLIENT_ID = /^[0-9a-f]{16}$/;

/**
 * The halves [low, high] of a client id given as 16 lowercase hex digits;
 * throws a TypeError (code 'INVALID') for anything else.
 */
export function clientIdHalves(hex) {
  if (typeof hex !== 'string' || !CLIENT_ID.test(hex)) {
    throw invalidType(`a client id is 16 lowercase hex digits, not ${typeof hex === 'string' ? `'${hex}'` : typeof hex}`);
  }
  return [parseInt(hex.slice(8), 16), parseInt(hex.slice(0, 8), 16)];
}

/** The 16 hex digits of the client id whose halves are `lo` and `hi`. */
export function clientIdHex(lo, hi) {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
