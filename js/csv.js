// CSV export and import (RFC 4180): header `key,value`, keys as text, values
// as JSON text, insertion order. The dialect and the text form of values are
// those of the native CLI (src/csv.h, src/value_codec.h), so a file
// written by one reads in the other and both write the same bytes:
//   * records end with CRLF (LF alone is accepted on import);
//   * a field is quoted if it holds '"', ',', CR or LF, starts or ends
//     with a space, or starts with U+FEFF (a BOM, which import drops at the
//     start of a file); quotes inside are doubled;
//   * values are tagged JSON text (docs/FORMAT.md, "As text"): byte values
//     are {"$bytes":"<base64>"}, tagged values their tagged text, and
//     stored bytes that are none of the default codec's forms (a custom
//     codec's) are {"$raw":"<base64>"}.
// Both directions stream: export yields chunks of text, import reads chunks
// of text or bytes and keeps only the current record besides its result.

import { invalidType } from './errors.js';
import { base64Decode, base64Encode } from './base64.js';
import { BYTES_TAG, isTagged } from './codec.js';
import { hasTags, readTagged, writeTagged } from './tagged.js';
import { encoder } from './utf8.js';

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;
const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const CHUNK_CHARS = 1 << 16;

// ---- export ----

function csvField(text, neutralizeFormulas) {
  if (neutralizeFormulas && FORMULA_START.test(text)) return `"'${text.replaceAll('"', '""')}"`;
  if (text === '') return text;
  const first = text.charCodeAt(0);
  if (NEEDS_QUOTES.test(text) || first === 32 || first === 0xfeff || text.charCodeAt(text.length - 1) === 32) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A stored value as one line of JSON text. `jsonCodec` says how the map
 * stores values: with the default codec a string is JSON text and a
 * Uint8Array a byte value; with a custom codec every value is the bytes the
 * log holds.
 */
export function storedToText(stored, jsonCodec) {
  if (typeof stored === 'string') {
    try {
      return textOfStoredText(stored, false);
    } catch {
      return `{"$raw":"${base64Encode(encoder.encode(stored))}"}`; // written by another program
    }
  }
  if (jsonCodec) return `{"$bytes":"${base64Encode(stored)}"}`;
  if (stored.length > 0 && stored[0] === BYTES_TAG) return `{"$bytes":"${base64Encode(stored.subarray(1))}"}`;
  try {
    return textOfStoredText(strictUtf8.decode(stored), true);
  } catch {
    return `{"$raw":"${base64Encode(stored)}"}`;
  }
}

// Stored text as tagged JSON text: a tagged value's text without its
// mark; JSON text as it is, unless an object in it would read as a tag
// (then the tagged writer writes it, with $object for such objects).
// Throws if the text is neither, for JSON text without '"$' only if
// `check` (the default codec wrote it as JSON text, unless another
// program wrote the log).
function textOfStoredText(stored, check) {
  if (isTagged(stored)) {
    const text = stored.slice(1);
    readTagged(JSON.parse(text));
    return text;
  }
  if (!stored.includes('"$')) {
    if (check) JSON.parse(stored);
    return stored;
  }
  const value = JSON.parse(stored);
  return hasTags(value) ? writeTagged(value) : stored;
}

/** Checks exportCSV's options. */
export function exportOptions(options) {
  if (options === null || typeof options !== 'object') throw invalidType('exportCSV options must be an object');
  for (const k of Object.keys(options)) {
    if (k !== 'neutralizeFormulas') throw invalidType(`unknown exportCSV option '${k}'; known: neutralizeFormulas`);
  }
  const neutralizeFormulas = options.neutralizeFormulas ?? false;
  if (typeof neutralizeFormulas !== 'boolean') throw invalidType('neutralizeFormulas must be true or false');
  return { neutralizeFormulas };
}

/**
 * CSV text of `keys[i]` → `texts(values[i])` in chunks of about 64K
 * characters: the header, then one record per entry.
 */
export async function* csvChunks(keys, values, toText, { neutralizeFormulas }) {
  let out = 'key,value\r\n';
  for (let i = 0; i < keys.length; i++) {
    out += `${csvField(keys[i], neutralizeFormulas)},${csvField(toText(values[i]), neutralizeFormulas)}\r\n`;
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  if (out !== '') yield out;
}

// ---- import ----

/** A SyntaxError for bad CSV input, with code 'INVALID', line and column. */
export function csvError(line, column, what) {
  const where = column > 0 ? `CSV line ${line}, column ${column}` : `CSV line ${line}`;
  const e = new SyntaxError(`${where}: ${what}`);
  e.code = 'INVALID';
  e.line = line;
  e.column = column;
  return e;
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;
const AFTER_CR = 4;

/**
 * Incremental RFC 4180 parser with the rules of src/csv.h. feed() takes
 * chunks of text split anywhere, finish() ends the input; onRow(fields,
 * starts) gets each record, where starts[i] = [line, column] of field i
 * (1-based; columns count UTF-16 code units). The first record is the
 * header; every later one must have as many fields. Blank lines are skipped.
 */
export class CsvParser {
  #onRow;
  #state = FIELD_START;
  #row = [];
  #starts = [];
  #field = '';
  #rowStarted = false;
  #rowLine = 0;
  #expected = 0;
  #line = 1;
  #lineStart = 0; // offset of the first character of the current line
  #offset = 0; // offset of the first character of the next chunk
  #markLine = 0;
  #markColumn = 0;

  constructor(onRow) {
    this.#onRow = onRow;
  }

  feed(text) {
    let segment = 0; // where the unsaved part of the current field starts
    const base = this.#offset;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.#state) {
        case FIELD_START:
          if (c === LF) {
            this.#endRecord();
          } else if (c === CR) {
            this.#cr(base + i);
          } else {
            if (!this.#rowStarted) {
              this.#rowStarted = true;
              this.#rowLine = this.#line;
            }
            this.#starts.push([this.#line, base + i - this.#lineStart + 1]);
            if (c === QUOTE) {
              this.#markLine = this.#line;
              this.#markColumn = base + i - this.#lineStart + 1;
              this.#state = QUOTED;
              segment = i + 1;
            } else if (c === COMMA) {
              this.#row.push('');
            } else {
              this.#state = UNQUOTED;
              segment = i;
            }
          }
          break;
        case UNQUOTED:
          if (c === COMMA || c === LF || c === CR) {
            this.#field += text.slice(segment, i);
            if (c === COMMA) this.#endField();
            else if (c === LF) this.#endRecord();
            else this.#cr(base + i);
          } else if (c === QUOTE) {
            throw this.#error(base + i, 'quote \'"\' inside an unquoted field (enclose the field in quotes and double each quote in it)');
          }
          break;
        case QUOTED:
          if (c === QUOTE) {
            this.#field += text.slice(segment, i);
            this.#state = QUOTE_IN_QUOTED;
          }
          break;
        case QUOTE_IN_QUOTED:
          if (c === QUOTE) {
            this.#field += '"';
            this.#state = QUOTED;
            segment = i + 1;
          } else if (c === COMMA) {
            this.#endField();
          } else if (c === LF) {
            this.#endRecord();
          } else if (c === CR) {
            this.#cr(base + i);
          } else {
            throw this.#error(base + i, `unexpected character ${describe(text, i)} after closing quote (expected ',' or a line break)`);
          }
          break;
        default: // AFTER_CR
          if (c !== LF) throw csvError(this.#markLine, this.#markColumn, 'carriage return (CR) not followed by LF outside quotes');
          this.#endRecord();
      }
      if (c === LF) {
        this.#line++;
        this.#lineStart = base + i + 1;
      }
    }
    if (this.#state === UNQUOTED || this.#state === QUOTED) this.#field += text.slice(segment);
    this.#offset = base + text.length;
  }

  finish() {
    if (this.#state === QUOTED) {
      throw this.#error(this.#offset, `unterminated quoted field starting at line ${this.#markLine}, column ${this.#markColumn}`);
    }
    if (this.#state === AFTER_CR) {
      throw csvError(this.#markLine, this.#markColumn, 'carriage return (CR) not followed by LF outside quotes');
    }
    this.#endRecord();
  }

  #cr(offset) {
    this.#markLine = this.#line;
    this.#markColumn = offset - this.#lineStart + 1;
    this.#state = AFTER_CR;
  }

  #endField() {
    this.#row.push(this.#field);
    this.#field = '';
    this.#state = FIELD_START;
  }

  #endRecord() {
    this.#state = FIELD_START;
    if (!this.#rowStarted) return; // a blank line
    this.#rowStarted = false;
    if (this.#starts.length === this.#row.length) {
      // An empty last field (after a comma) started at the line break.
      this.#starts.push(this.#starts[this.#starts.length - 1]);
    }
    this.#row.push(this.#field);
    this.#field = '';
    const row = this.#row;
    const starts = this.#starts;
    this.#row = [];
    this.#starts = [];
    if (this.#expected === 0) {
      this.#expected = row.length;
    } else if (row.length !== this.#expected) {
      const fields = (n) => `${n} ${n === 1 ? 'field' : 'fields'}`;
      throw csvError(this.#rowLine, 0, `row has ${fields(row.length)} but the header has ${this.#expected}`);
    }
    this.#onRow(row, starts, this.#rowLine);
  }

  #error(offset, what) {
    return csvError(this.#line, offset - this.#lineStart + 1, what);
  }
}

function describe(text, i) {
  const c = text.codePointAt(i);
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The chunks of text in `source`: a string, a Uint8Array/ArrayBuffer, a Blob,
 * a ReadableStream, or an (async) iterable of strings or byte chunks (such as
 * a Node.js file stream). Bytes must be UTF-8; a leading BOM is dropped.
 */
export async function* textChunks(source) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  const decode = (bytes, stream) => {
    try {
      return decoder.decode(bytes, { stream });
    } catch (err) {
      const e = invalidType('the CSV input is not valid UTF-8; save the file as UTF-8');
      e.cause = err;
      throw e;
    }
  };
  const text = (chunk, stream = true) => {
    let t;
    if (typeof chunk === 'string') t = chunk;
    else if (chunk instanceof Uint8Array) t = decode(chunk, stream);
    else if (chunk instanceof ArrayBuffer) t = decode(new Uint8Array(chunk), stream);
    else throw invalidType(`importCSV: a chunk of the input is ${chunk === null ? 'null' : typeof chunk}, not a string or bytes`);
    if (first && t.length > 0) {
      first = false;
      if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    }
    return t;
  };
  if (typeof source === 'string' || source instanceof Uint8Array || source instanceof ArrayBuffer) {
    yield text(source, false);
    return;
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) source = source.stream();
  if (source && typeof source.getReader === 'function' && !source[Symbol.asyncIterator]) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield text(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source && (source[Symbol.asyncIterator] || source[Symbol.iterator])) {
    for await (const chunk of source) yield text(chunk);
  } else {
    throw invalidType('importCSV takes a string, bytes, a Blob, a ReadableStream or an iterable of chunks');
  }
  const rest = decode(new Uint8Array(0), false);
  if (rest) yield rest;
}

/**
 * Reads CSV from `source` and calls onEntry(key, valueText, where) for every
 * record after the header, where where(field) gives [line, column] of field
 * 0 (key) or 1 (value). Throws csvError for bad CSV; nothing is returned.
 */
export async function readCsvEntries(source, onEntry) {
  let header = true;
  const parser = new CsvParser((row, starts, line) => {
    if (header) {
      header = false;
      if (row.length !== 2 || row[0] !== 'key' || row[1] !== 'value') {
        throw csvError(line, 0, "the header must be exactly 'key,value'");
      }
      return;
    }
    onEntry(row[0], row[1], starts);
  });
  for await (const chunk of textChunks(source)) parser.feed(chunk);
  parser.finish();
  if (header) throw csvError(1, 0, "the input is empty; expected the header 'key,value'");
}

// {"$bytes": "..."} or {"$raw": "..."} with nothing else: [name, base64].
function escapedBytes(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== '$bytes' && keys[0] !== '$raw')) return null;
  return typeof value[keys[0]] === 'string' ? [keys[0], value[keys[0]]] : null;
}

/**
 * The inverse of storedToText: JSON text → the value to store. `encode` is
 * the map's codec (plain JSON values go through it). Throws a message
 * without position; the caller adds it.
 */
export function textToStored(text, jsonCodec, encode) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`value is not valid JSON (${err.message})`);
  }
  const escaped = escapedBytes(value);
  if (!escaped) {
    if (!hasTags(value)) {
      const stored = encode(value);
      // JSON.parse makes Infinity of 1e999 and -0 of -0, which are not JSON text's meaning.
      if (jsonCodec && typeof stored === 'string' && isTagged(stored)) {
        throw new Error('value has a number out of range (1e999, beyond a double) or -0, which JSON text does not keep; write {"$number":"Infinity"} or {"$number":"-0"}');
      }
      return stored;
    }
    try {
      value = readTagged(value);
    } catch (err) {
      throw new Error(`value is not valid tagged JSON (${err.message})`);
    }
    return encode(value);
  }
  const bytes = base64Decode(escaped[1]);
  if (!bytes) throw new Error(`the ${escaped[0]} value is not valid base64`);
  if (escaped[0] === '$bytes') {
    if (jsonCodec) return bytes;
    const tagged = new Uint8Array(bytes.length + 1);
    tagged[0] = BYTES_TAG;
    tagged.set(bytes, 1);
    return tagged;
  }
  if (!jsonCodec) return bytes;
  // Raw bytes written by a custom codec: the default codec can hold them
  // only if they are JSON text.
  try {
    const raw = strictUtf8.decode(bytes);
    if (isTagged(raw)) readTagged(JSON.parse(raw.slice(1)));
    else JSON.parse(raw);
    return raw;
  } catch {
    throw new Error('the $raw value is neither JSON nor bytes, so the default codec cannot hold it; import with the codec that wrote it');
  }
}
