// Log bytes the way PersistentMap hands them to a backend, made by the
// WebAssembly core: the header of a new store, then one run of records per
// group commit; and a log read back as its entries. For backend tests that
// need real records rather than arbitrary bytes (table-shaped backends).
import { Core, loadCore } from '../../js/core.js';
import { OpWriter } from '../../js/op_writer.js';

const OPTIONS = { maxRecordSize: 1 << 20, recovery: 'strict', compaction: { ratio: 2, minBytes: 0, auto: false } };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A writer of runs: header() first, then commit(ops) per group commit. */
export async function logWriter() {
  const core = new Core(await loadCore(), OPTIONS);
  core.recover(new Uint8Array(0));
  core.commit(new Uint8Array(0), 'copy');
  const header = core.pending;
  return {
    header: () => header,
    /**
     * One run for `ops`: ['set', key, text] | ['delete', key] | ['clear'] |
     * ['batch', [[key, text], ...]], applied in order.
     */
    commit(ops) {
      const w = new OpWriter();
      for (const [kind, a, b] of ops) {
        if (kind === 'set') w.put(a, encoder.encode(b));
        else if (kind === 'delete') w.delete(a);
        else if (kind === 'clear') w.clear();
        else {
          w.batch(a.length);
          for (const [k, v] of a) w.put(k, encoder.encode(v));
        }
      }
      const refused = core.commit(w.take(), 'copy');
      if (refused !== null) throw new Error(refused.message);
      return core.pending;
    },
    /** The whole state as a log (header with generation + 1, one PUT each). */
    snapshot() {
      const bytes = core.encodeSnapshot();
      core.snapshotInstalled();
      return bytes;
    },
    close: () => core.delete(),
  };
}

/** The entries a log replays to, [[key, value text], ...] in order, and its generation. */
export async function replay(bytes) {
  const core = new Core(await loadCore(), OPTIONS);
  try {
    const report = core.recover(bytes);
    if (!report.ok) throw new Error(report.message);
    const entries = [];
    const cursor = core.addCursor();
    let read = 0;
    do {
      const before = entries.length;
      core.cursorChunk(cursor, read, 1 << 20, false, (key, kind, value) => entries.push([key, decoder.decode(value)]));
      read = entries.length - before;
    } while (read > 0);
    return { entries, generation: report.generation, validBytes: report.validBytes };
  } finally {
    core.delete();
  }
}
