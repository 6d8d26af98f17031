// The commands of the persistent-map CLI (js/cli/main.js parses the command
// line). They run on the WebAssembly core through the public API, so they
// work wherever Node does, and they read and write what the native CLI
// (persistent-map-native) // does: the same CSV bytes, the same JSON lines, the same exit codes.
//
// Commands that only read (stat, get, dump, export-csv, verify) never change
// an fs store: they load a copy of its log into a memory backend, so they
// need no lock, leave a torn tail in place and work on a store another
// process has open (they see what it had written when they started).
import fs from 'node:fs';
import { once } from 'node:events';
import { PersistentMap } from '../index.js';
import { PersistentMapError } from '../errors.js';
import { storedToText, textToStored } from '../csv.js';
import { jsonCodec } from '../codec.js';

const SQLITE_MAGIC = 'SQLite format 3\0';
const SQLITE_NAME = /\.(sqlite3?|db)$/i;

// A log backend over an in-memory copy: what the read-only commands use.
class SnapshotBackend {
  #bytes;
  constructor(bytes) {
    this.#bytes = bytes;
  }
  async open() { return this.#bytes; }
  async read() { return this.#bytes; }
  async append(bytes) {
    const joined = new Uint8Array(this.#bytes.length + bytes.length);
    joined.set(this.#bytes);
    joined.set(bytes, this.#bytes.length);
    this.#bytes = joined;
  }
  async truncate(length) { this.#bytes = this.#bytes.slice(0, length); }
  async sync() {}
  async replace(bytes) { this.#bytes = bytes.slice(); }
  async close() {}
}

/** 'fs' or 'sqlite' for `file`: what the file holds, else its name says. */
function storeKind(file, requested) {
  if (requested) return requested;
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return SQLITE_NAME.test(file) ? 'sqlite' : 'fs';
    throw new PersistentMapError('IO', `cannot open ${file}: ${err.message}`, { cause: err });
  }
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString('latin1') === SQLITE_MAGIC ? 'sqlite' : 'fs';
  } finally {
    fs.closeSync(fd);
  }
}

function notFound(file) {
  return new PersistentMapError('NOT_FOUND', `no store at ${file}`);
}

async function openStore(inv, { readOnly, create, maxRecordSize }) {
  const { file } = inv;
  const kind = storeKind(file, inv.backend);
  inv.kind = kind; // for stat
  const options = { recovery: inv.recovery, exclusive: inv.exclusive };
  if (maxRecordSize !== undefined) options.maxRecordSize = maxRecordSize;
  if (!create && !fs.existsSync(file)) throw notFound(file);
  if (kind === 'fs' && readOnly) {
    let bytes;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (err) {
      throw new PersistentMapError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot read ${file}: ${err.message}`, { cause: err });
    }
    return PersistentMap.open(file, { ...options, backend: new SnapshotBackend(bytes), compaction: { auto: false } });
  }
  return PersistentMap.open(file, { ...options, backend: kind });
}

async function withStore(inv, mode, fn) {
  const map = await openStore(inv, mode);
  try {
    return await fn(map);
  } finally {
    await map.close();
  }
}

// Writes to a stream, waiting when it is full.
async function write(out, text) {
  if (!out.write(text)) await once(out, 'drain');
}

function valueText(map, key) {
  return storedToText(jsonCodec.encode(map.get(key)), true);
}

export async function stat(inv, out) {
  await withStore(inv, { readOnly: true }, async (map) => {
    const s = map.stats();
    const lines = [
      `path: ${inv.file}`,
      `backend: ${inv.kind}`,
      `entries: ${s.size}`,
      `generation: ${s.generation}`,
      `live records: ${s.liveRecords}`,
      `total records: ${s.totalRecords}`,
      `log bytes: ${s.logBytes}`,
      `dead ratio: ${s.deadRatio.toFixed(4)}`,
      `file size: ${fs.statSync(inv.file).size}`,
      `damaged ranges: ${map.recovery.damaged.length}`,
      ...map.recovery.damaged.map((d) => `  damaged bytes [${d.begin}, ${d.end}): ${d.reason}`),
    ];
    await write(out, `${lines.join('\n')}\n`);
  });
}

export async function get(inv, out) {
  await withStore(inv, { readOnly: true }, async (map) => {
    const [key] = inv.args;
    if (!map.has(key)) throw new PersistentMapError('NOT_FOUND', `no key '${key}' in ${inv.file}`);
    await write(out, `${valueText(map, key)}\n`);
  });
}

export async function set(inv) {
  const [key, json] = inv.args;
  let value;
  try {
    value = textToStored(json, true, (v) => jsonCodec.encode(v)); // JSON text or bytes
  } catch (err) {
    throw new PersistentMapError('INVALID', `${err.message.replace(/^value/, 'the value')}`);
  }
  if (typeof value === 'string') value = jsonCodec.decode(value);
  await withStore(inv, { create: true }, (map) => map.set(key, value));
}

export async function del(inv) {
  const [key] = inv.args;
  await withStore(inv, {}, async (map) => {
    if (!(await map.delete(key))) throw new PersistentMapError('NOT_FOUND', `no key '${key}' in ${inv.file}`);
  });
}

export async function dump(inv, out) {
  await withStore(inv, { readOnly: true }, async (map) => {
    let chunk = '';
    for (const key of map.keys()) {
      chunk += `{"key":${JSON.stringify(key)},"value":${valueText(map, key)}}\n`;
      if (chunk.length >= 1 << 16) {
        await write(out, chunk);
        chunk = '';
      }
    }
    await write(out, chunk);
  });
}

export async function exportCsv(inv, out) {
  await withStore(inv, { readOnly: true }, async (map) => {
    const target = inv.args[0] === undefined || inv.args[0] === '-' ? out : fs.createWriteStream(inv.args[0]);
    if (target !== out) await once(target, 'open');
    for await (const chunk of map.exportCSV({ neutralizeFormulas: inv.neutralizeFormulas })) await write(target, chunk);
    if (target !== out) {
      target.end();
      await once(target, 'finish');
    }
  });
}

export async function importCsv(inv, out) {
  const [source] = inv.args;
  let input;
  if (source === '-') {
    input = process.stdin;
  } else {
    if (!fs.existsSync(source)) throw new PersistentMapError('NOT_FOUND', `cannot open ${source}: no such file`);
    input = fs.createReadStream(source);
  }
  const named = (err) => {
    if (err.code === 'INVALID') err.message = `${source === '-' ? 'standard input' : source}: ${err.message}`;
    throw err;
  };
  if (!fs.existsSync(inv.file)) {
    // A bad file must not leave a new, empty store behind (nor does the
    // native CLI): check the rows in memory before creating it.
    const chunks = [];
    for await (const chunk of input) chunks.push(chunk);
    input = Buffer.concat(chunks);
    const check = await PersistentMap.open(inv.file, { backend: 'memory' });
    try {
      await check.importCSV(input).catch(named);
    } finally {
      await check.close();
    }
  }
  const n = await withStore(inv, { create: true }, (map) => map.importCSV(input).catch(named));
  await write(out, `imported ${n} entries\n`);
}

export async function compact(inv, out) {
  await withStore(inv, {}, async (map) => {
    const before = map.stats().logBytes;
    await map.compact();
    await write(out, `compacted ${inv.file}: ${before} -> ${map.stats().logBytes} bytes\n`);
  });
}

export async function verify(inv, out) {
  // The format's limit (docs/FORMAT.md), not a store's: verify checks the
  // bytes, and a record a store with a larger maxRecordSize wrote is sound.
  const map = await openStore({ ...inv, recovery: 'salvage' }, { readOnly: true, maxRecordSize: 1024 * 1024 * 1024 });
  const { damaged, records, generation } = map.recovery;
  await map.close();
  let text = '';
  let bytes = 0;
  for (const d of damaged) {
    text += `damaged bytes [${d.begin}, ${d.end}): ${d.reason}\n`;
    bytes += d.end - d.begin;
  }
  text += `records: ${records}\nbytes: ${fs.statSync(inv.file).size}\ngeneration: ${generation}\n`;
  await write(out, text);
  if (damaged.length > 0) {
    throw new PersistentMapError('CORRUPT', `${inv.file}: ${damaged.length} damaged range(s), ${bytes} bytes`);
  }
}
