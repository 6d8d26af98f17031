// One error class for everything the store reports, with a machine-readable
// `code`. Bad input from the caller is a TypeError or RangeError (as the
// built-ins are) that also carries code 'INVALID'.

/** @typedef {'IO'|'QUOTA'|'LOCKED'|'CORRUPT'|'CLOSED'|'INVALID'|'NOT_FOUND'} ErrorCode */

export class PersistentMapError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message a sentence a person can act on
   * @param {{cause?: unknown, fatal?: boolean}} [options] `fatal`: after this
   *   failure nothing can be promised about what the backend holds (a failed
   *   fsync, a half-finished switch, a write lost after its acknowledgement):
   *   the store refuses writes until it is reopened
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'PersistentMapError';
    this.code = code;
    this.fatal = options?.fatal === true;
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
export function fromSystemError(err, what, { fatal = false } = {}) {
  if (err instanceof PersistentMapError) return fatal && !err.fatal ? new PersistentMapError(err.code, err.message, { cause: err, fatal }) : err;
  const quota = err && (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.name === 'QuotaExceededError');
  const code = quota ? 'QUOTA' : err && err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
  const detail = err && err.message ? err.message : String(err);
  return new PersistentMapError(code, `${what}: ${detail}`, { cause: err, fatal });
}

/** Rebuilds a PersistentMapError a worker sent as { code, message, fatal }. */
export function errorFromWorker(e) {
  return new PersistentMapError(e.code, e.message, { fatal: e.fatal === true });
}
