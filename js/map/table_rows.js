// The open-time check of a table-shaped store (sqlite). Rows carry no
// checksum, and any program may edit them: with the default codec every
// value must be one it writes, or reads of it would fail later, so such a
// store is refused at open, naming the rows. The log of a table store has
// one PUT per row (and CLIENTS records for a shared store's client table),
// so a replay that ends with fewer keys than PUTs means two rows hold the
// same key bytes.

import { PersistentMapError } from '../errors.js';

const MAX_NAMED = 5;

/** Throws CORRUPT if a row holds a value the default codec cannot read, or two rows one key. */
export function checkRows(name, core, report) {
  const rows = report.records - report.clientRecords;
  const foreign = core.foreignValues(MAX_NAMED);
  if (foreign.count > 0) {
    const named = foreign.positions.map((i) => `key ${JSON.stringify(core.entryAt(i, true)[0])} (row ${i + 1} of ${rows} in pos order)`);
    const more = foreign.count > named.length ? `, and ${foreign.count - named.length} more` : '';
    throw new PersistentMapError('CORRUPT', `${name}: ${foreign.count} row(s) hold a value that is neither JSON text nor tagged bytes, so the default codec cannot read it: ${named.join(', ')}${more}. Another program changed these rows (correct or delete them, e.g. with the sqlite3 tool), or the store was written with a custom codec (open it with that codec)`);
  }
  if (rows !== core.size()) {
    throw new PersistentMapError('CORRUPT', `${name}: ${rows - core.size()} row(s) repeat the key bytes of another row (in SQLite, one stored as TEXT and one as BLOB); keep one row per key`);
  }
}
