// The core's side of shared stores (docs/FORMAT.md, version 2): a follower
// applies the leader's log bytes with Core.follow, tagged writes carry a
// client id and sequence number (OpWriter.tagged) into the client table
// (Core.clientSeq), and a version 1 log takes none of them
// (Core.formatVersion).
import { Core, loadCore } from '../../js/core.js';
import { OpWriter } from '../../js/op_writer.js';

const OPTIONS = { maxRecordSize: 1 << 20, recovery: 'tolerate-torn-tail', compaction: { ratio: 2, minBytes: 0, auto: false } };
const ALICE = '0123456789abcdef';
const BOB = 'fedcba9876543210';

let module;
beforeAll(async () => {
  module = await loadCore();
});

function newCore(options = OPTIONS) {
  const core = new Core(module, options);
  expect(core.recover(new Uint8Array(0)).ok).toBe(true);
  return core;
}

/** A leader and a follower of one new log; the header is taken. */
function pair(options = OPTIONS) {
  const leader = newCore(options);
  expect(leader.commit(new Uint8Array(0), 'copy')).toBeNull();
  const header = leader.pending;
  const follower = new Core(module, options);
  expect(follower.recover(header).ok).toBe(true);
  return { leader, follower, header };
}

/** Commits the writer's operations on `core`; returns the log bytes. */
function commit(core, writer) {
  const status = core.commit(writer.take(), 'copy');
  if (status !== null) throw new Error(status.message);
  return core.pending;
}

function follow(core, bytes) {
  const seen = [];
  core.follow(bytes, (kind, key, client) => seen.push([kind, key, client]));
  return seen;
}

function entries(core) {
  const out = [];
  for (let i = 0; i < core.size(); i++) out.push(core.entryAt(i, true));
  return out;
}

/** A stream of `fill(writer)`'s operations, for a tagged write. */
function ops(fill) {
  const w = new OpWriter();
  fill(w);
  return w.take().slice();
}

describe('Core.follow', () => {
  test('a follower applies the leader\'s records and reports every operation in order', () => {
    const { leader, follower } = pair();
    const w = new OpWriter();
    w.put('a', '1');
    w.put('ключ', '"x"');
    w.batch(2);
    w.put('b', '2');
    w.delete('a');
    w.clear();
    w.put('c', '3');
    const seen = follow(follower, commit(leader, w));
    expect(seen).toEqual([
      ['set', 'a', null], ['set', 'ключ', null], ['set', 'b', null], ['delete', 'a', null],
      ['clear', undefined, null], ['set', 'c', null],
    ]);
    expect(entries(follower)).toEqual([['c', '3']]);
    expect(follower.stats()).toEqual(leader.stats());
    leader.delete();
    follower.delete();
  });

  test('operations of a tagged write name their client in hex', () => {
    const { leader, follower } = pair();
    const w = new OpWriter();
    w.tagged(ALICE, 1, ops((o) => { o.put('x', '1'); o.delete('y'); }));
    w.put('plain', '0');
    w.tagged(BOB, 9, ops((o) => o.clear()));
    w.tagged(ALICE, 2, ops((o) => o.put('z', '2')));
    expect(follow(follower, commit(leader, w))).toEqual([
      ['set', 'x', ALICE], ['delete', 'y', ALICE], ['set', 'plain', null], ['clear', undefined, BOB], ['set', 'z', ALICE],
    ]);
    expect(follower.clientSeq(ALICE)).toBe(2);
    expect(follower.clientSeq(BOB)).toBe(9);
    leader.delete();
    follower.delete();
  });

  test('a damaged run throws CORRUPT naming the record\'s offset, and applies none of it', () => {
    const { leader, follower } = pair();
    const w = new OpWriter();
    w.put('a', '1');
    w.put('b', '2');
    const run = commit(leader, w).slice();
    const second = 12; // the first record: 9 + 1 + 1 + 1 bytes
    run[second + 10] ^= 1;
    const calls = [];
    expect(() => follower.follow(run, (...op) => calls.push(op))).toThrow(expect.objectContaining({
      name: 'PersistentMapError', code: 'CORRUPT', message: expect.stringMatching(/byte 12 is damaged \(bad checksum\)/),
    }));
    expect(calls).toEqual([]);
    expect(follower.size()).toBe(0);
    expect(follower.stats().logBytes).toBe(32);
    leader.delete();
    follower.delete();
  });

  test('a run cut short throws CORRUPT and applies none of it', () => {
    const { leader, follower } = pair();
    const w = new OpWriter();
    w.put('a', '1');
    w.put('b', '2');
    const run = commit(leader, w);
    expect(() => follower.follow(run.subarray(0, run.length - 1), () => {})).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
    expect(follower.size()).toBe(0);
    leader.delete();
    follower.delete();
  });

  test('an intact record over maxRecordSize throws INVALID and applies nothing', () => {
    const { leader } = pair();
    const small = pair({ ...OPTIONS, maxRecordSize: 64 }).follower;
    const w = new OpWriter();
    w.put('a', '1');
    w.put('big', 'v'.repeat(100));
    expect(() => small.follow(commit(leader, w), () => {})).toThrow(expect.objectContaining({
      name: 'PersistentMapError', code: 'INVALID', message: expect.stringMatching(/maximum record size/),
    }));
    expect(small.size()).toBe(0);
    leader.delete();
    small.delete();
  });

  test('a key that is not UTF-8 is decoded with replacement characters, as export does', () => {
    const { leader, follower } = pair();
    const w = new OpWriter();
    w.put('ok', '1');
    w.put(new Uint8Array([0x66, 0xff]), '2'); // a key of raw bytes
    w.put('ok2', '3');
    expect(follow(follower, commit(leader, w)).map(([, key]) => key)).toEqual(['ok', 'f\ufffd', 'ok2']);
    leader.delete();
    follower.delete();
  });
});

describe('tagged writes', () => {
  test('OpWriter.tagged writes the documented header and the inner bytes', () => {
    const inner = ops((o) => o.put('k', 'v'));
    const w = new OpWriter();
    w.tagged(ALICE, 2 ** 40 + 5, inner);
    const bytes = w.take();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(bytes[0]).toBe(5);
    expect(view.getUint32(1, true)).toBe(0x89abcdef);
    expect(view.getUint32(5, true)).toBe(0x01234567);
    expect(view.getUint32(9, true)).toBe(5);
    expect(view.getUint32(13, true)).toBe(256);
    expect(view.getUint32(17, true)).toBe(inner.length);
    expect(bytes.subarray(21)).toEqual(inner);
  });

  test('OpWriter.tagged refuses a bad client id, sequence number or body, writing nothing', () => {
    const w = new OpWriter();
    const inner = ops((o) => o.clear());
    for (const id of ['0123456789ABCDEF', '0123', 12, null]) {
      expect(() => w.tagged(id, 1, inner)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'INVALID' }));
    }
    for (const seq of [-1, 1.5, 2 ** 53, '1']) {
      expect(() => w.tagged(ALICE, seq, inner)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'INVALID' }));
    }
    expect(() => w.tagged(ALICE, 1, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'INVALID' }));
    expect(w.empty).toBe(true);
  });

  test('clientSeq is the highest sequence number logged, 0 for a client never seen, and survives a reopen', () => {
    const core = newCore();
    const w = new OpWriter();
    w.tagged(ALICE, 5, ops((o) => o.put('a', '1')));
    w.tagged(ALICE, 3, ops((o) => o.put('a', '2')));
    w.tagged(BOB, 2 ** 53 - 1, ops((o) => o.delete('a')));
    expect(core.commit(w.take(), 'copy')).toBeNull();
    const log = core.pending;
    expect(core.clientSeq(ALICE)).toBe(5);
    expect(core.clientSeq(BOB)).toBe(2 ** 53 - 1);
    expect(core.clientSeq('0000000000000000')).toBe(0);
    expect(() => core.clientSeq('nope')).toThrow(expect.objectContaining({ code: 'INVALID' }));
    const reopened = new Core(module, OPTIONS);
    expect(reopened.recover(log).ok).toBe(true);
    expect(reopened.clientSeq(ALICE)).toBe(5);
    expect(reopened.clientSeq(BOB)).toBe(2 ** 53 - 1);
    core.delete();
    reopened.delete();
  });

  test('a malformed tagged write is refused at commit and changes nothing', () => {
    const core = newCore();
    const w = new OpWriter();
    w.put('before', '1'); // 16 bytes, then the tagged write's 21-byte header
    w.tagged(ALICE, 1, new Uint8Array([9]));
    expect(core.commit(w.take(), 'copy')).toMatchObject({ ok: false, code: 'INVALID', message: expect.stringMatching(/byte 37: unknown operation code/) });
    expect(core.size()).toBe(0);
    expect(core.clientSeq(ALICE)).toBe(0);
    core.delete();
  });

  test('a tagged write is checked against maxRecordSize by oversize, which does not take the short cut for it', () => {
    const core = newCore({ ...OPTIONS, maxRecordSize: 64 });
    const w = new OpWriter();
    // 40 CLEARs: 40 bytes of stream, 80 bytes of record.
    const inner = ops((o) => { for (let i = 0; i < 40; i++) o.clear(); });
    const mark = w.mark();
    w.tagged(ALICE, 1, inner);
    expect(w.hasTaggedSince(mark)).toBe(true);
    expect(core.oversize(w, mark)).toBe(8 + 1 + 80);
    w.rewind(mark);
    expect(w.hasTaggedSince(mark)).toBe(false);
    core.delete();
  });
});

describe('format versions', () => {
  test('a new log is version 2', () => {
    const core = newCore();
    expect(core.formatVersion()).toBe(2);
    expect(core.commit(new Uint8Array(0), 'copy')).toBeNull();
    expect(new DataView(core.pending.buffer).getUint32(8, true)).toBe(2);
    core.delete();
  });

  test('a version 1 log refuses a tagged write (FAILED_PRECONDITION, nothing changed) until a snapshot replaces it', () => {
    const v2 = newCore();
    const w = new OpWriter();
    w.put('a', '1');
    expect(v2.commit(w.take(), 'copy')).toBeNull();
    const log = v2.pending.slice();
    log[8] = 1; // version 1, header checksum mended below
    const v1Header = v1(log.subarray(0, 32));
    log.set(v1Header, 0);
    const core = new Core(module, OPTIONS);
    expect(core.recover(log).ok).toBe(true);
    expect(core.formatVersion()).toBe(1);
    w.put('b', '2');
    w.tagged(ALICE, 1, ops((o) => o.put('c', '3')));
    expect(core.commit(w.take(), 'copy')).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION', message: expect.stringMatching(/format version 1/) });
    expect(entries(core)).toEqual([['a', '1']]);
    const snapshot = core.encodeSnapshot();
    expect(new DataView(snapshot.buffer).getUint32(8, true)).toBe(2);
    core.snapshotInstalled();
    expect(core.formatVersion()).toBe(2);
    w.tagged(ALICE, 1, ops((o) => o.put('c', '3')));
    expect(core.commit(w.take(), 'copy')).toBeNull();
    expect(core.clientSeq(ALICE)).toBe(1);
    v2.delete();
    core.delete();
  });
});

// CRC32C (docs/FORMAT.md), masked, for mending a header in a test.
function crc32c(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  crc = (crc ^ 0xffffffff) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** The 32-byte header `header` with version 1 and its checksum mended. */
function v1(header) {
  const out = header.slice();
  const view = new DataView(out.buffer);
  view.setUint32(8, 1, true);
  view.setUint32(28, crc32c(out.subarray(0, 28)), true);
  return out;
}
