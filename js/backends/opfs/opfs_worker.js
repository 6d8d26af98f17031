// The dedicated worker behind OpfsBackend (opfs.js): owns the sync access
// handle of one store's log file and handles one request at a time, in the
// order they were posted.
//   files: <name>.<generation>.pmap (the log), <name>.<generation>.tmp (a
//   compaction in progress; deleted on open)
// A relaxed append ({ deferred: true }) was acknowledged to the map when it
// was posted, so only its failure is answered. Relaxed appends that arrive
// back to back are written together (a write costs ~35 µs, several times
// the cost of a message): on the next turn of this worker's event loop,
// before any other request, or once 256 KiB wait. After such a write fails
// the log must stay a prefix of what was acknowledged: the worker cuts off
// what the write may have left and refuses every later request but close.

import { describeForPosting } from '../../errors.js';
import { concatBytes } from '../common/bytes.js';
import { serveRequests } from '../common/worker_rpc.js';

let dir = null;
let name = null;
let generation = 0;
let handle = null;
let size = 0;
let failed = null; // { code, message } of a failed deferred append
let waiting = []; // relaxed appends not yet written
let waitingBytes = 0;
let writeScheduled = false;
const WRITE_AT_BYTES = 256 << 10;

function fileName(gen, ext = 'pmap') {
  return `${name}.${gen}.${ext}`;
}

// The map holds the store's Web Lock before this runs, so another handle on
// the file can only belong to a writer that is going away: the browser drops
// a terminated worker's lock at once but closes the access handles of the
// workers it started a little later. Wait for that, briefly.
async function createHandle(file) {
  for (let delay = 10; ; delay *= 2) {
    try {
      return await file.createSyncAccessHandle();
    } catch (err) {
      if (err?.name !== 'NoModificationAllowedError' || delay > 1280) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

// The file's writer lock, held by this worker while it has the file open.
// A new leader's worker takes it (steal) from one whose page hung or froze
// (js/share/): losing it closes the handle at once and drops what was not
// written, so that the deposed leader's later writes fail instead of
// reaching the file, and the new leader can open it.
let releaseWriter = null;

function holdWriterLock(steal) {
  return new Promise((granted, reject) => {
    navigator.locks
      .request(`persistent-map-writer:${name}`, steal ? { steal: true } : {}, () => {
        granted();
        return new Promise((resolve) => {
          releaseWriter = resolve;
        });
      })
      .catch((err) => {
        if (releaseWriter === null) reject(err);
        else if (err?.name === 'AbortError') deposed();
      });
  });
}

function deposed() {
  waiting = [];
  waitingBytes = 0;
  failed = { code: 'LOCKED', message: `another tab or worker took store '${name}' over while this one was frozen or unresponsive; this map writes no more: reopen the store`, fatal: true };
  try {
    handle?.close();
  } catch {
    // closed already
  }
  handle = null;
  self.postMessage({ ok: false, error: failed, deferred: true });
}

async function openHandle(gen) {
  const file = await dir.getFileHandle(fileName(gen), { create: true });
  handle = await createHandle(file);
  generation = gen;
  size = handle.getSize();
}

function readAll() {
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = handle.read(bytes.subarray(done), { at: done });
    if (n === 0) break;
    done += n;
  }
  return bytes;
}

const ops = {
  async probe() {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('persistent-map', { create: true });
    const f = await d.getFileHandle('.probe', { create: true });
    const h = await f.createSyncAccessHandle();
    h.close();
    await d.removeEntry('.probe');
    return { result: true };
  },

  async open(msg) {
    name = msg.name;
    await holdWriterLock(msg.steal === true);
    const root = await navigator.storage.getDirectory();
    dir = await root.getDirectoryHandle('persistent-map', { create: true });
    let newest = -1;
    const names = [];
    for await (const entry of dir.keys()) {
      const m = entry.startsWith(`${name}.`) && /^(\d+)\.(pmap|tmp)$/.exec(entry.slice(name.length + 1));
      if (!m) continue;
      names.push([entry, Number(m[1]), m[2]]);
      if (m[2] === 'pmap') newest = Math.max(newest, Number(m[1]));
    }
    // Unfinished compactions and generations a finished one replaced.
    for (const [entry, gen, ext] of names) {
      if (ext === 'tmp' || gen < newest) await dir.removeEntry(entry);
    }
    await openHandle(Math.max(newest, 0));
    const bytes = readAll();
    return { result: bytes, transfer: [bytes.buffer] };
  },

  read() {
    const bytes = readAll();
    return { result: bytes, transfer: [bytes.buffer] };
  },

  append(msg) {
    writeAt(msg.bytes);
    if (msg.sync) handle.flush();
  },

  truncate(msg) {
    handle.truncate(msg.length);
    size = msg.length;
  },

  // Answered in order: once it is, every append before it is in the file.
  written() {},

  sync() {
    handle.flush();
  },

  async replace(msg) {
    const next = generation + 1;
    const tmpName = fileName(next, 'tmp');
    try {
      const tmp = await dir.getFileHandle(tmpName, { create: true });
      const h = await tmp.createSyncAccessHandle();
      try {
        h.truncate(0);
        const n = h.write(msg.bytes, { at: 0 });
        if (n !== msg.bytes.length) throw Object.assign(new Error('short write'), { name: 'QuotaExceededError' });
        h.flush();
      } finally {
        h.close();
      }
      await tmp.move(fileName(next));
    } catch (err) {
      await dir.removeEntry(tmpName).catch(() => {});
      throw err;
    }
    // The new generation is complete and named: from here the old one is
    // only garbage, but a failure leaves this worker without a handle.
    const old = fileName(generation);
    handle.close();
    handle = null;
    try {
      await dir.removeEntry(old);
      await openHandle(next);
    } catch (err) {
      throw Object.assign(err, { fatal: true });
    }
  },

  close() {
    if (handle) handle.close();
    handle = null;
    releaseWriter?.();
  },
};

function writeAt(bytes) {
  const n = handle.write(bytes, { at: size });
  size += n;
  if (n !== bytes.length) throw Object.assign(new Error(`short write (${n} of ${bytes.length} bytes)`), { name: 'QuotaExceededError' });
}

// Writes the relaxed appends waiting, in one write. On failure the log is
// cut back to before them, and the page is told (they were acknowledged).
function writeWaiting() {
  if (waiting.length === 0) return;
  const bytes = waiting.length === 1 ? waiting[0] : concatBytes(waiting);
  waiting = [];
  waitingBytes = 0;
  const before = size;
  try {
    writeAt(bytes);
  } catch (err) {
    failed = describeForPosting(err, `OPFS append of '${name}'`);
    try {
      handle.truncate(before);
      size = before;
    } catch {
      // A torn tail is still dropped by recovery on the next open.
    }
    self.postMessage({ ok: false, error: failed, deferred: true });
  }
}

// A relaxed append (deferred) gets no reply unless it fails; other requests
// first write the relaxed appends before them, and after a failed one only
// close is served.
function takeRequest(msg) {
  const { id, op, deferred } = msg;
  if (deferred) {
    if (failed) return true;
    waiting.push(msg.bytes);
    waitingBytes += msg.bytes.length;
    if (waitingBytes >= WRITE_AT_BYTES) {
      writeWaiting();
    } else if (!writeScheduled) {
      writeScheduled = true;
      setTimeout(() => {
        writeScheduled = false;
        enqueue(writeWaiting);
      }, 0);
    }
    return true;
  }
  writeWaiting();
  if (failed && op !== 'close') {
    self.postMessage({ id, ok: false, error: { ...failed, fatal: true } });
    return true;
  }
  return false;
}

// Requests run one after another even when one awaits (open, replace):
// relaxed appends are posted without waiting for the request before them.
const enqueue = serveRequests(ops, { before: takeRequest, what: (op) => `OPFS ${op} of '${name}'` });
