// Why a value cannot be stored, and the TypeError that says so with the
// path of the part to blame (value.a[2].b). Shared by the walks of the
// default codec (codec.js, tagged.js).

import { invalidType } from './errors.js';

// Thrown up a walk, which adds the path.
export class Refusal {
  /**
   * @param {string} reason what is wrong, after the path ("is a function, ...")
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

/** What reading a value (a getter, a Proxy trap) threw, as a Refusal. */
export function readFailure(err, depth) {
  let text;
  try {
    text = err instanceof Error ? err.message : String(err);
  } catch {
    text = 'an exception that cannot be shown';
  }
  return new Refusal(`could not be read: ${text}`, depth, err);
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

/**
 * The TypeError (code 'INVALID') for what a walk threw: a Refusal, or an
 * error reading the value itself (its prototype, for a Proxy).
 */
export function refusedError(err) {
  const refusal = err instanceof Refusal ? err : readFailure(err, 0);
  const error = invalidType(`cannot store this value: ${pathText(refusal.path)} ${refusal.reason}`);
  if (refusal.cause !== undefined) error.cause = refusal.cause;
  return error;
}
