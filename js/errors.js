// One error class for everything the store reports, with a machine-readable
// `code`. Bad input from the caller is a TypeError or RangeError (as the
// built-ins are) that also carries code 'INVALID'.

/** @typedef {'IO'|'QUOTA'|'LOCKED'|'CORRUPT'|'CLOSED'|'INVALID'|'NOT_FOUND'} ErrorCode */

export class PersistentMapError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message a sentence a person can act on
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'PersistentMapError';
    this.code = code;
  }
}

/** A TypeError for bad input, tagged with code 'INVALID'. */
export function invalidType(message) {
  const e = new TypeError(message);
  e.code = 'INVALID';
  return e;
}

/** A RangeError for out-of-range input, tagged with code 'INVALID'. */
export function invalidRange(message) {
  const e = new RangeError(message);
  e.code = 'INVALID';
  return e;
}

/** Converts a core status ({ok, code, message}) into an error, or null. */
export function statusError(status, context) {
  if (status.ok) return null;
  const code = status.code === 'INVALID' ? 'INVALID' : status.code;
  return new PersistentMapError(code, context ? `${context}: ${status.message}` : status.message);
}

/** Maps a Node.js system error to a PersistentMapError with a useful code. */
export function fromSystemError(err, what) {
  if (err instanceof PersistentMapError) return err;
  const quota = err && (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.name === 'QuotaExceededError');
  const code = quota ? 'QUOTA' : err && err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
  const detail = err && err.message ? err.message : String(err);
  return new PersistentMapError(code, `${what}: ${detail}`, { cause: err });
}

/** Rebuilds a PersistentMapError a worker sent as { code, message, fatal }. */
export function errorFromWorker(e) {
  const err = new PersistentMapError(e.code, e.message);
  if (e.fatal) err.fatal = true;
  return err;
}
