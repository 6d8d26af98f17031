// One error class for everything the store reports, with a machine-readable
// `code`. Bad input from the caller is a TypeError or RangeError (as the
// built-ins are) that also carries code 'INVALID'.

/** @typedef {'IO'|'QUOTA'|'LOCKED'|'CORRUPT'|'CLOSED'|'INVALID'|'NOT_FOUND'|'UNAVAILABLE'} ErrorCode */

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

const CODES = new Set(['IO', 'QUOTA', 'LOCKED', 'CORRUPT', 'CLOSED', 'INVALID', 'NOT_FOUND', 'UNAVAILABLE']);

/**
 * The code of any error the platform or a library throws: out of space
 * (ENOSPC, EDQUOT, QuotaExceededError) is QUOTA, a missing file NOT_FOUND,
 * an error that already carries one of our codes keeps it, the rest is IO.
 * The one mapper for Node calls, browser storage and the workers.
 */
export function errorCode(err) {
  if (!err) return 'IO';
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.name === 'QuotaExceededError') return 'QUOTA';
  if (err.code === 'ENOENT') return 'NOT_FOUND';
  return CODES.has(err.code) ? err.code : 'IO';
}

/** Maps a system or library error to a PersistentMapError with a useful code. */
export function fromSystemError(err, what, { fatal = false } = {}) {
  if (err instanceof PersistentMapError) return fatal && !err.fatal ? new PersistentMapError(err.code, err.message, { cause: err, fatal }) : err;
  const detail = err && err.message ? err.message : String(err);
  return new PersistentMapError(errorCode(err), `${what}: ${detail}`, { cause: err, fatal });
}

/**
 * The failure of a relaxed write found after the write was acknowledged: it
 * can no longer reject, so the store refuses writes until reopened.
 */
export function lateFailure(cause) {
  return new PersistentMapError(errorCode(cause), `${cause?.message ?? cause}; the write had been acknowledged (durability 'relaxed'), so the store refuses writes until it is reopened, and reopens without it and the writes after it`, { cause, fatal: true });
}

/** An error as a worker posts it: { code, message, fatal }. */
export function describeForPosting(err, what) {
  const ours = err instanceof Error && err.name === 'PersistentMapError';
  const message = ours ? err.message : `${what}: ${err && err.message ? err.message : err}`;
  return { code: errorCode(err), message, fatal: err?.fatal === true };
}

/** Rebuilds a PersistentMapError a worker sent as { code, message, fatal }. */
export function errorFromWorker(e) {
  return new PersistentMapError(e.code, e.message, { fatal: e.fatal === true });
}
