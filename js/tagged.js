// Tagged JSON text (docs/FORMAT.md, "Value encoding"): the stored form of a
// value JSON cannot hold exactly, such as undefined, NaN, -0, a BigInt, a
// Date, RegExp, Map, Set, Error, bytes in their views, a sparse array, or
// an object reached twice (a shared or cyclic reference). An object with
// exactly one member whose name starts with '$' is a tag; every other
// JSON value means what it means in JSON.
//
// writeTagged walks a value once, reading each property once, and refuses
// (a Refusal naming the path) what structured clone refuses or what has no
// meaning outside this process: functions, symbols, class instances,
// WeakMaps, Blobs, SharedArrayBuffers. readTagged rebuilds a fresh value
// from the parsed text and throws a TaggedFormError for text that is not
// tagged JSON.

import { base64Decode, base64Encode } from './base64.js';
import { Refusal, readFailure } from './refusal.js';

/** How deeply the arrays and objects of a value's stored text may nest. */
export const MAX_DEPTH = 1000;

// The typed array tags and their constructors.
const VIEWS = [
  ['$int8array', Int8Array], ['$uint8array', Uint8Array], ['$uint8clampedarray', Uint8ClampedArray],
  ['$int16array', Int16Array], ['$uint16array', Uint16Array], ['$int32array', Int32Array],
  ['$uint32array', Uint32Array], ['$float32array', Float32Array], ['$float64array', Float64Array],
  ['$bigint64array', BigInt64Array], ['$biguint64array', BigUint64Array],
].map(([tag, ctor]) => [tag === '$uint8array' ? '$bytes' : tag, ctor]);
const VIEW_TAG = new Map(VIEWS.map(([tag, ctor]) => [ctor.prototype, tag]));
const VIEW_CTOR = new Map(VIEWS);

// The errors structured clone keeps, by name.
const ERRORS = new Map([Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((c) => [c.name, c]));
const ERROR_PROTOS = new Set([...ERRORS.values()].map((c) => c.prototype));

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const INDEX = /^(?:0|[1-9]\d*)$/;
const isIndex = (k) => INDEX.test(k) && +k < 4294967295;
const REGEXP_FLAGS = /^(?!.*(.).*\1)[dgimsuvy]*$/;
const ISO_DATE = /^(?:\d{4}|[+-]\d{6})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// ---- writing ----

// The JSON text of a string (JSON.stringify is the one that knows every escape).
const stringText = (s) => JSON.stringify(s);

const NUMBER_TAGS = new Map([['NaN', '{"$number":"NaN"}'], ['Infinity', '{"$number":"Infinity"}'], ['-Infinity', '{"$number":"-Infinity"}']]);

const tooDeep = (depth) => new Refusal(`nests arrays and objects more than ${MAX_DEPTH} levels deep (in its stored form)`, depth);
// A tag's text (an object) at `depth`, if it may nest that deep.
function tagAt(depth, text) {
  if (depth >= MAX_DEPTH) throw tooDeep(depth);
  return text;
}

class TaggedWriter {
  // object -> its number (docs/FORMAT.md: numbered in the order they begin)
  refs = new Map();

  // The text of `value`, which sits inside `depth` arrays and objects of the text.
  value(value, depth) {
    switch (typeof value) {
      case 'string':
        return stringText(value);
      case 'number':
        if (Number.isFinite(value) && (value !== 0 || 1 / value > 0)) return '' + value;
        return tagAt(depth, NUMBER_TAGS.get(String(value)) ?? '{"$number":"-0"}');
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return tagAt(depth, '{"$undefined":null}');
      case 'bigint':
        return tagAt(depth, `{"$bigint":"${value}"}`);
      case 'object':
        return value === null ? 'null' : this.object(value, depth);
      default:
        throw new Refusal(`is a ${typeof value}, which cannot be stored`, depth);
    }
  }

  object(value, depth) {
    let key; // the member being read, for the path of what reading it throws
    try {
      if (depth >= MAX_DEPTH) throw tooDeep(depth);
      const seen = this.refs.get(value);
      if (seen !== undefined) return `{"$ref":${seen}}`;
      this.refs.set(value, this.refs.size);
      if (Array.isArray(value)) return this.array(value, depth, (k) => (key = k));
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0].charCodeAt(0) === 36) {
          key = keys[0];
          return `{"$object":[[${stringText(key)},${this.value(value[key], depth + 3)}]]}`;
        }
        let out = '{';
        for (let i = 0; i < keys.length; i++) {
          key = keys[i];
          out += (i === 0 ? '' : ',') + stringText(key) + ':' + this.value(value[key], depth + 1);
        }
        return out + '}';
      }
      return this.special(value, proto, depth, (k) => (key = k));
    } catch (err) {
      const refusal = err instanceof Refusal ? err : readFailure(err, key === undefined ? depth : depth + 1);
      if (key !== undefined && depth < refusal.depth) refusal.path.push(key);
      throw refusal;
    }
  }

  array(value, depth, reading) {
    const n = value.length;
    let dense = true;
    for (let i = 0; i < n && dense; i++) dense = i in value;
    const keys = Object.keys(value);
    if (dense && keys.length === n) {
      let out = '[';
      for (let i = 0; i < n; i++) {
        reading(i);
        out += (i === 0 ? '' : ',') + this.value(value[i], depth + 1);
      }
      return out + ']';
    }
    // Holes or other properties: {"$array":[length,[[key,value],...]]}.
    let out = `{"$array":[${n},[`;
    for (let i = 0; i < keys.length; i++) {
      const k = isIndex(keys[i]) ? +keys[i] : keys[i];
      reading(k);
      out += (i === 0 ? '[' : ',[') + (typeof k === 'number' ? k : stringText(k)) + ',' + this.value(value[k], depth + 4) + ']';
    }
    return out + ']]}';
  }

  // Everything but arrays and plain objects: what structured clone keeps.
  special(value, proto, depth, reading) {
    if (!KNOWN_PROTOS.has(proto)) proto = sameInRealm(value, proto);
    // A Node.js Buffer is a Uint8Array (and reads back as one, as with structured clone).
    const viewTag = VIEW_TAG.get(proto) ?? (proto === globalThis.Buffer?.prototype ? '$bytes' : undefined);
    if (viewTag !== undefined || proto === DataView.prototype) {
      if (value.buffer instanceof SharedArrayBuffer) throw new Refusal('is a view of a SharedArrayBuffer, which has no meaning outside this process', depth);
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return `{"${viewTag ?? '$dataview'}":"${base64Encode(bytes)}"}`;
    }
    if (proto === ArrayBuffer.prototype) return `{"$arraybuffer":"${base64Encode(new Uint8Array(value))}"}`;
    if (proto === Date.prototype) {
      const t = Date.prototype.getTime.call(value);
      return Number.isNaN(t) ? '{"$date":null}' : `{"$date":"${new Date(t).toISOString()}"}`;
    }
    if (proto === RegExp.prototype) {
      const source = value.source;
      return `{"$regexp":[${stringText(source)},"${value.flags}"]}`;
    }
    if (proto === Map.prototype) {
      let out = '{"$map":[';
      let i = 0;
      for (const [k, v] of Map.prototype.entries.call(value)) {
        reading(i);
        out += (i++ === 0 ? '[' : ',[') + this.value(k, depth + 3) + ',' + this.value(v, depth + 3) + ']';
      }
      return out + ']}';
    }
    if (proto === Set.prototype) {
      let out = '{"$set":[';
      let i = 0;
      for (const v of Set.prototype.values.call(value)) {
        reading(i);
        out += (i++ === 0 ? '' : ',') + this.value(v, depth + 2);
      }
      return out + ']}';
    }
    if (ERROR_PROTOS.has(proto)) return this.error(value, depth, reading);
    throw new Refusal(`${describe(proto)}, which cannot be stored (${hint(proto)})`, depth);
  }

  error(value, depth, reading) {
    reading('name');
    const name = String(value.name);
    let out = `{"$error":{"name":${stringText(ERRORS.has(name) ? name : 'Error')}`;
    for (const k of ['message', 'stack']) {
      reading(k);
      if (hasOwn(value, k)) out += `,"${k}":${stringText(String(value[k]))}`;
    }
    reading('cause');
    if (hasOwn(value, 'cause')) out += `,"cause":${this.value(value.cause, depth + 2)}`;
    return out + '}}';
  }
}

const TypedArray = Object.getPrototypeOf(Int8Array);
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
// Calls that throw unless the value has the internal slots of its kind.
const viewName = getter(TypedArray.prototype, Symbol.toStringTag);
const BRANDS = new Map([
  [ArrayBuffer.prototype, (v) => getter(ArrayBuffer.prototype, 'byteLength').call(v)],
  [DataView.prototype, (v) => getter(DataView.prototype, 'byteLength').call(v)],
  [Date.prototype, (v) => Date.prototype.getTime.call(v)],
  [RegExp.prototype, (v) => getter(RegExp.prototype, 'source').call(v)],
  [Map.prototype, (v) => Map.prototype.has.call(v, undefined)],
  [Set.prototype, (v) => Set.prototype.has.call(v, undefined)],
  ...VIEWS.map(([, ctor]) => [ctor.prototype, (v) => {
    if (viewName.call(v) !== ctor.name) throw new TypeError(`not a ${ctor.name}`);
  }]),
  ...[...ERRORS.values()].map((c) => [c.prototype, () => {}]), // toString's "Error" needs [[ErrorData]]
]);
const KNOWN_PROTOS = new Set([...BRANDS.keys(), ...(globalThis.Buffer ? [globalThis.Buffer.prototype] : [])]);

/**
 * This realm's prototype for a value of a kind structured clone keeps that
 * comes from another realm (an iframe, a vm context, a test runner's
 * globals): its class is that realm's own (by name, not a subclass) and it
 * has the internal slots of its kind. Else `proto` as it is.
 */
function sameInRealm(value, proto) {
  const name = Object.prototype.toString.call(value).slice(8, -1);
  const ctor = name === 'Error' ? ERRORS.get(proto.constructor?.name) : globalThis[name];
  const local = typeof ctor === 'function' ? ctor.prototype : undefined;
  if (!BRANDS.has(local) || proto.constructor?.name !== ctor.name) return proto;
  try {
    BRANDS.get(local)(value);
  } catch {
    return proto;
  }
  return local;
}

function describe(proto) {
  const name = typeof proto.constructor === 'function' ? proto.constructor.name : '';
  return name ? `is a ${name}` : 'is an object with a prototype';
}

function hint(proto) {
  if (typeof Blob === 'function' && (proto === Blob.prototype || Blob.prototype.isPrototypeOf(proto))) {
    return 'reads are synchronous, so store its bytes: new Uint8Array(await blob.arrayBuffer())';
  }
  if (proto === SharedArrayBuffer.prototype) return 'it has no meaning outside this process';
  if (ERROR_PROTOS.has(Object.getPrototypeOf(proto))) return 'an Error subclass would come back as its base class';
  return 'only plain objects, arrays and the types structured clone keeps can: Date, RegExp, Map, Set, ArrayBuffer, typed arrays, DataView, Error';
}

/**
 * The tagged JSON text of `value`. Throws a Refusal (naming the path) for
 * a value that cannot be stored.
 */
export function writeTagged(value) {
  return new TaggedWriter().value(value, 0);
}

// ---- reading ----

/** Tagged text that is not what writeTagged writes (docs/FORMAT.md). */
class TaggedFormError extends Error {}

function bad(what) {
  throw new TaggedFormError(`tagged value: ${what}`);
}

const isObject = (t) => t !== null && typeof t === 'object' && !Array.isArray(t);
const pairList = (t, tag) => (Array.isArray(t) && t.every((p) => Array.isArray(p) && p.length === 2) ? t : bad(`${tag} needs a list of pairs`));

// An own data property, also for the name "__proto__".
function define(target, key, value) {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

class TaggedReader {
  refs = [];
  depth = 0;

  value(t) {
    if (t === null || typeof t !== 'object') return t;
    if (++this.depth > MAX_DEPTH) bad(`nests more than ${MAX_DEPTH} levels deep`);
    try {
      return this.container(t);
    } finally {
      this.depth--;
    }
  }

  container(t) {
    if (Array.isArray(t)) {
      const out = new Array(t.length);
      this.refs.push(out);
      for (let i = 0; i < t.length; i++) out[i] = this.value(t[i]);
      return out;
    }
    const keys = Object.keys(t);
    if (keys.length === 1 && keys[0].charCodeAt(0) === 36) return this.tag(keys[0], t[keys[0]]);
    const out = {};
    this.refs.push(out);
    for (const k of keys) define(out, k, this.value(t[k]));
    return out;
  }

  bytes(t, tag) {
    const bytes = typeof t === 'string' ? base64Decode(t) : null;
    return bytes ?? bad(`${tag} needs base64 text`);
  }

  tag(tag, t) {
    switch (tag) {
      case '$undefined':
        return t === null ? undefined : bad('$undefined needs null');
      case '$number':
        return t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : t === '-Infinity' ? -Infinity : t === '-0' ? -0 : bad(`$number ${JSON.stringify(t)}`);
      case '$bigint':
        return typeof t === 'string' && /^-?(?:0|[1-9]\d*)$/.test(t) && t !== '-0' ? BigInt(t) : bad('$bigint needs decimal digits');
      case '$ref':
        return Number.isInteger(t) && t >= 0 && t < this.refs.length ? this.refs[t] : bad(`$ref ${JSON.stringify(t)} names no object before it`);
      case '$date': {
        if (t !== null && !(typeof t === 'string' && ISO_DATE.test(t))) bad('$date needs an ISO 8601 time or null');
        const date = new Date(t === null ? NaN : t);
        if (t !== null && (Number.isNaN(date.getTime()) || date.toISOString() !== t)) bad(`$date ${t} is not a time`);
        this.refs.push(date);
        return date;
      }
      case '$regexp': {
        if (!(Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && typeof t[1] === 'string' && REGEXP_FLAGS.test(t[1]))) bad('$regexp needs [source, flags]');
        let re;
        try {
          re = new RegExp(t[0], t[1]);
        } catch (err) {
          bad(`$regexp: ${err.message}`);
        }
        this.refs.push(re);
        return re;
      }
      case '$map': {
        const map = new Map();
        this.refs.push(map);
        for (const [k, v] of pairList(t, tag)) {
          const key = this.value(k);
          map.set(key, this.value(v));
        }
        return map;
      }
      case '$set': {
        if (!Array.isArray(t)) bad('$set needs a list');
        const set = new Set();
        this.refs.push(set);
        for (const v of t) set.add(this.value(v));
        return set;
      }
      case '$array': {
        if (!(Array.isArray(t) && t.length === 2 && Number.isInteger(t[0]) && t[0] >= 0 && t[0] < 4294967296)) bad('$array needs [length, pairs]');
        const out = new Array(t[0]);
        this.refs.push(out);
        for (const [k, v] of pairList(t[1], tag)) {
          if (typeof k === 'number' ? !(Number.isInteger(k) && k >= 0 && k < t[0]) : typeof k !== 'string' || isIndex(k) || k === 'length') bad(`$array key ${JSON.stringify(k)}`);
          define(out, k, this.value(v));
        }
        return out;
      }
      case '$object': {
        const out = {};
        this.refs.push(out);
        for (const [k, v] of pairList(t, tag)) {
          if (typeof k !== 'string' || hasOwn(out, k)) bad(`$object key ${JSON.stringify(k)}`);
          define(out, k, this.value(v));
        }
        return out;
      }
      case '$arraybuffer': {
        const buffer = this.bytes(t, tag).buffer;
        this.refs.push(buffer);
        return buffer;
      }
      case '$dataview': {
        const view = new DataView(this.bytes(t, tag).buffer);
        this.refs.push(view);
        return view;
      }
      case '$error':
        return this.error(t);
      default: {
        const Ctor = VIEW_CTOR.get(tag) ?? bad(`unknown tag ${JSON.stringify(tag)}`);
        const bytes = this.bytes(t, tag);
        if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0) bad(`${tag} holds ${bytes.length} bytes, not a multiple of ${Ctor.BYTES_PER_ELEMENT}`);
        const view = Ctor === Uint8Array ? bytes : new Ctor(bytes.buffer);
        this.refs.push(view);
        return view;
      }
    }
  }

  error(t) {
    if (!isObject(t) || !ERRORS.has(t.name)) bad('$error needs a name of a standard error');
    for (const k of Object.keys(t)) {
      if (k !== 'name' && k !== 'message' && k !== 'stack' && k !== 'cause') bad(`$error member ${JSON.stringify(k)}`);
      if ((k === 'message' || k === 'stack') && typeof t[k] !== 'string') bad(`$error ${k} needs a string`);
    }
    const error = new (ERRORS.get(t.name))();
    this.refs.push(error);
    const hidden = (k, value) => Object.defineProperty(error, k, { value, writable: true, enumerable: false, configurable: true });
    if (hasOwn(t, 'message')) hidden('message', t.message);
    if (hasOwn(t, 'stack')) hidden('stack', t.stack);
    else delete error.stack;
    if (hasOwn(t, 'cause')) hidden('cause', this.value(t.cause));
    return error;
  }
}

/** A fresh value from parsed tagged JSON text; throws a TaggedFormError if it is not that. */
export function readTagged(parsed) {
  return new TaggedReader().value(parsed);
}

/**
 * Whether parsed JSON text holds a tag (an object with one member whose
 * name starts with '$') within MAX_DEPTH levels (deeper text is refused
 * anyway, as plain JSON).
 */
export function hasTags(t, depth = 0) {
  if (t === null || typeof t !== 'object' || depth >= MAX_DEPTH) return false;
  if (Array.isArray(t)) return t.some((v) => hasTags(v, depth + 1));
  const keys = Object.keys(t);
  if (keys.length === 1 && keys[0].charCodeAt(0) === 36) return true;
  return keys.some((k) => hasTags(t[k], depth + 1));
}
