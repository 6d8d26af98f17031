// Roll-back's restore step: after a failed write, the backend's log is cut
// back to what it held before, and the core rebuilt from it, so that memory
// never claims what the log does not hold.

import { PersistentMapError, statusError } from '../errors.js';

/**
 * Cuts the log to `length` bytes and rebuilds `core` from it; resolves to
 * the log's length. Rejects (CORRUPT) if the log read back does not end
 * where the last good write did. A table backend's read() is a snapshot of
 * its rows, shorter than the log it stands for (`readIsLog` false,
 * docs/BACKENDS.md).
 */
export async function restoreLog(backend, core, length, readIsLog) {
  await backend.truncate(length);
  const bytes = await backend.read();
  const report = core.recover(bytes);
  if (!report.ok) throw statusError(report);
  if (report.validBytes !== bytes.length || (readIsLog && bytes.length !== length)) {
    throw new PersistentMapError('CORRUPT', 'the log does not end where the last good write did');
  }
  return bytes.length;
}
