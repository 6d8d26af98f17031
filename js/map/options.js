// Open options and key checks: the defaults, what each option may be, and
// what a key must be. Everything here throws INVALID before anything opens.

import { checkCodec, jsonCodec } from '../codec.js';
import { invalidRange, invalidType } from '../errors.js';
import { RECOVERY_MODES, recoveryModeList } from '../core.js';

const MiB = 1 << 20;

const DEFAULTS = Object.freeze({
  backend: 'auto',
  durability: 'relaxed',
  recovery: RECOVERY_MODES[0],
  maxRecordSize: 64 * MiB,
  compaction: Object.freeze({ auto: true, ratio: 2, minBytes: MiB }),
});
const OPTION_KEYS = new Set(['backend', 'durability', 'recovery', 'maxRecordSize', 'compaction', 'codec', 'wasm', 'wait', 'signal', 'freeze', 'exclusive']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` has no lone UTF-16 surrogate (so that UTF-8 can hold it). */
export function wellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !LONE_SURROGATE.test(s);
}

/** Throws INVALID unless `key` is a well-formed string. */
export function checkKey(key) {
  if (typeof key !== 'string') {
    throw invalidType(`keys must be strings, got ${key === null ? 'null' : typeof key}`);
  }
  if (!wellFormed(key)) {
    throw invalidType('key contains a lone UTF-16 surrogate, which UTF-8 cannot store; fix the string (String.prototype.toWellFormed)');
  }
}

/** The options of PersistentMap.open, checked and completed with the defaults (a new object). */
export function checkOptions(name, options) {
  if (typeof name !== 'string' || name === '') {
    throw invalidType('PersistentMap.open needs a store name or file path (a non-empty string)');
  }
  if (options === null || typeof options !== 'object') throw invalidType('options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw invalidType(`unknown option '${k}'; known options: ${[...OPTION_KEYS].join(', ')}`);
  }
  const o = { ...DEFAULTS, ...options, compaction: { ...DEFAULTS.compaction, ...(options.compaction ?? {}) } };
  if (o.durability !== 'relaxed' && o.durability !== 'strict') {
    throw invalidType(`durability must be 'relaxed' or 'strict', got ${JSON.stringify(o.durability)}`);
  }
  if (!RECOVERY_MODES.includes(o.recovery)) {
    throw invalidType(`recovery must be ${recoveryModeList()}, got ${JSON.stringify(o.recovery)}`);
  }
  if (!Number.isInteger(o.maxRecordSize) || o.maxRecordSize < 64 || o.maxRecordSize > 1024 * MiB) {
    throw invalidRange('maxRecordSize must be an integer from 64 bytes to 1 GiB');
  }
  const c = o.compaction;
  if (typeof c.auto !== 'boolean' || !(c.ratio >= 1) || !(Number.isFinite(c.minBytes) && c.minBytes >= 0)) {
    throw invalidType('compaction must be { auto: boolean, ratio: number >= 1, minBytes: number >= 0 }');
  }
  if (o.wait !== undefined && typeof o.wait !== 'boolean') throw invalidType('wait must be true or false');
  if (o.exclusive !== undefined && typeof o.exclusive !== 'boolean') throw invalidType('exclusive must be true or false');
  if (o.signal !== undefined && !(typeof o.signal?.aborted === 'boolean' && typeof o.signal.addEventListener === 'function')) {
    throw invalidType('signal must be an AbortSignal');
  }
  o.codec = checkCodec(o.codec);
  if (o.freeze !== undefined && typeof o.freeze !== 'boolean') throw invalidType('freeze must be true or false');
  if (o.freeze === true && o.codec !== jsonCodec) {
    throw invalidType('freeze works with the default codec only (a custom codec may decode to objects that freezing would break)');
  }
  return o;
}
