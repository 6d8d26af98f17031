// The CSV glue between the map and js/csv.js: entries out as CSV text, CSV
// rows in as checked [key, stored form] pairs, and the operations of an
// import too big for one record.

import { csvChunks, csvError, exportOptions, readCsvEntries, storedToText, textToStored } from '../csv.js';
import { OpWriter } from '../op_writer.js';
import { checkKey } from './options.js';

/** The message for a put whose record the core refused as too large. */
export function recordTooLarge(bytes, size, max) {
  return `key and value take ${bytes} bytes, more than maxRecordSize (${max}) allows: their record would take ${size} bytes`;
}

/**
 * The [key, stored] entries as CSV text chunks (an async iterable). The
 * entries are taken now: later writes do not show.
 */
export function exportEntries(storedEntries, form, options) {
  const opts = exportOptions(options);
  const keys = [];
  const values = [];
  for (const [key, stored] of storedEntries) {
    keys.push(key);
    values.push(stored);
  }
  return csvChunks(keys, values, (stored) => storedToText(stored, form.asText), opts);
}

/**
 * Reads every row of a CSV `source`, checking keys and values: resolves to
 * { list: [key, stored][], lines: the line of each row, units: UTF-16 units
 * of keys and stored values }. A bad row rejects with its line and column.
 */
export async function readImport(source, form) {
  const list = [];
  const lines = [];
  let units = 0;
  await readCsvEntries(source, (key, text, starts) => {
    const at = (field, err) => csvError(starts[field][0], starts[field][1], err.message);
    try {
      checkKey(key);
    } catch (err) {
      throw at(0, err);
    }
    let stored;
    try {
      stored = textToStored(text, form.asText, (value) => form.encode(value));
    } catch (err) {
      throw at(1, err);
    }
    list.push([key, stored]);
    lines.push(starts[0][0]);
    units += key.length + (typeof stored === 'string' ? stored.length : stored.byteLength);
  });
  return { list, lines, units };
}

/**
 * The operations of an import too big for one record, each a record of its
 * own (LogDriver.commitViaSnapshot writes them as a snapshot); a row too big
 * for any record rejects naming its line.
 */
export function importOps(list, lines, form, core, maxRecordSize) {
  const ops = new OpWriter();
  for (let i = 0; i < list.length; i++) {
    const [key, stored] = list[i];
    const mark = ops.mark();
    const bytes = ops.put(key, stored, form.bytesPrefix(stored));
    const size = core.oversize(ops, mark);
    if (size > 0) throw csvError(lines[i], 0, recordTooLarge(bytes, size, maxRecordSize));
  }
  return ops.take();
}
