// FaultBackend wraps any backend (docs/BACKENDS.md; log- or table-shaped,
// it takes the inner backend's kind) and makes chosen calls fail, to check
// that a PersistentMap never reports what its log does not hold. Without
// faults it is transparent (and passes the conformance suite like the
// backend it wraps).
//
//   const fb = new FaultBackend(new MemoryBackend('x'));
//   const map = await PersistentMap.open('x', { backend: fb });
//   fb.failNth('append', 3, { partial: true }); // the 3rd append from now
//   fb.calls('append');                          // appends so far
//
// A failure is a PersistentMapError with code 'IO' and `injected: true`.
// A failed sync has `fatal: true`, as the fs backend's failed fdatasync does
// (after a failed fsync nothing unsynced can be promised).
//
// append(bytes, { sync: true }) is passed on as append(bytes) followed by
// sync(), and that sync counts (and can fail) as a sync call: this is how a
// 'strict' store's write fails after its bytes reached the log.
//
// If the inner backend replaces its log in the background (beginReplace,
// finishReplace, abortReplace), so does the wrapper, and a compaction by
// that pair counts (and fails) as one replace call: failing it fails
// beginReplace before the inner backend sees it, or, with `after`, makes
// finishReplace fail once the new log is in place. finishReplace can also
// fail by itself, before it reaches the inner backend (whose new log the
// wrapper then aborts, as a backend whose final step failed leaves none).
// While beginReplace runs the map may call append and sync only.
import { PersistentMapError } from '../../js/errors.js';

const FAILABLE = ['append', 'sync', 'replace', 'finishReplace', 'truncate', 'read'];
const COUNTED = ['open', ...FAILABLE, 'close'];
// The calls the map may make while a beginReplace runs (docs/BACKENDS.md).
const BESIDE_BEGIN_REPLACE = ['append', 'sync'];

export class FaultBackend {
  #counts = Object.fromEntries(COUNTED.map((m) => [m, 0]));
  #faults = [];
  #injected = [];
  #inFlight = [];
  #overlaps = [];
  #replaceFault = null; // an `after` fault of a replace begun in the background
  #beginning = false;

  /** @param {object} inner the backend to wrap */
  constructor(inner) {
    this.inner = inner;
    this.kind = inner.kind ?? 'log';
    if (typeof inner.beginReplace === 'function') {
      this.beginReplace = (bytes) => this.#beginReplace(bytes);
      this.finishReplace = (tail) => this.#exclusive('finishReplace', () => this.#finishReplace(tail));
      this.abortReplace = () => {
        this.#replaceFault = null;
        return this.#exclusive('abortReplace', () => this.inner.abortReplace());
      };
    }
  }

  /**
   * Makes the n-th call of `method` from now on fail (n = 1: the next one).
   * Options:
   *   partial: append only; half of the bytes reach the inner backend first
   *            (a short write).
   *   after:   the call reaches the inner backend whole, then fails (the
   *            caller cannot know it happened).
   *   fatal:   sets `fatal: true` on the error; default true for sync and for
   *            a replace that fails `after` (the old log is gone), else false.
   */
  failNth(method, n = 1, { partial = false, after = false, fatal } = {}) {
    if (!FAILABLE.includes(method)) throw new Error(`FaultBackend cannot fail ${method}; use one of ${FAILABLE.join(', ')}`);
    if (!Number.isInteger(n) || n < 1) throw new Error('failNth needs n >= 1');
    if (partial && method !== 'append') throw new Error('only append can fail partially');
    if (method === 'finishReplace' && after) throw new Error("finishReplace fails before the inner call; use failNth('replace', n, { after: true })");
    this.#faults.push({
      method,
      at: this.#counts[method] + n,
      partial,
      after,
      fatal: fatal ?? (method === 'sync' || (method === 'replace' && after)),
    });
    return this;
  }

  /** Forgets the faults not yet triggered. */
  clearFaults() {
    this.#faults = [];
    return this;
  }

  /** How many times `method` was called on this wrapper. */
  calls(method) {
    if (!(method in this.#counts)) throw new Error(`FaultBackend does not count ${method}`);
    return this.#counts[method];
  }

  /**
   * Calls that began while another call was still running, as
   * ['append while sync', ...]. The map promises one call at a time
   * (docs/BACKENDS.md), so this stays empty.
   */
  get overlaps() {
    return this.#overlaps.slice();
  }

  /** Runs `fn` as the call `method`, noting any overlap with another call. */
  async #exclusive(method, fn) {
    if (this.#inFlight.length > 0) this.#overlaps.push(`${method} while ${this.#inFlight.join(', ')}`);
    if (this.#beginning && !BESIDE_BEGIN_REPLACE.includes(method)) this.#overlaps.push(`${method} while beginReplace`);
    this.#inFlight.push(method);
    try {
      return await fn();
    } finally {
      this.#inFlight.splice(this.#inFlight.indexOf(method), 1);
    }
  }

  /** The failures injected so far: [{ method, call, partial, after, fatal }]. */
  get injected() {
    return this.#injected.slice();
  }

  /** Counts the call; returns the fault to inject now, or null. */
  #arm(method) {
    const call = ++this.#counts[method];
    const i = this.#faults.findIndex((f) => f.method === method && f.at === call);
    if (i < 0) return null;
    const [fault] = this.#faults.splice(i, 1);
    return { ...fault, call };
  }

  #error(fault) {
    this.#injected.push({ method: fault.method, call: fault.call, partial: fault.partial, after: fault.after, fatal: fault.fatal });
    const how = fault.partial ? ' after writing half of the bytes' : fault.after ? ' after it took effect' : '';
    const err = new PersistentMapError('IO', `injected failure of ${fault.method} call ${fault.call}${how}`);
    err.injected = true;
    if (fault.fatal) err.fatal = true;
    return err;
  }

  async open() {
    return this.#exclusive('open', async () => {
      this.#counts.open++;
      return this.inner.open();
    });
  }

  async read() {
    return this.#exclusive('read', async () => {
      const fault = this.#arm('read');
      if (fault && !fault.after) throw this.#error(fault);
      const bytes = await this.inner.read();
      if (fault) throw this.#error(fault);
      return bytes;
    });
  }

  async append(bytes, { sync = false } = {}) {
    return this.#exclusive('append', async () => {
      const fault = this.#arm('append');
      if (fault) {
        if (fault.partial) await this.inner.append(bytes.subarray(0, Math.floor(bytes.length / 2)), { sync: false });
        else if (fault.after) await this.inner.append(bytes, { sync: false });
        throw this.#error(fault);
      }
      await this.inner.append(bytes, { sync: false });
      if (sync) await this.#sync();
    });
  }

  async truncate(length) {
    return this.#exclusive('truncate', async () => {
      const fault = this.#arm('truncate');
      if (fault && !fault.after) throw this.#error(fault);
      await this.inner.truncate(length);
      if (fault) throw this.#error(fault);
    });
  }

  async sync() {
    return this.#exclusive('sync', () => this.#sync());
  }

  async #sync() {
    const fault = this.#arm('sync');
    if (fault && !fault.after) throw this.#error(fault);
    await this.inner.sync();
    if (fault) throw this.#error(fault);
  }

  async replace(bytes) {
    return this.#exclusive('replace', async () => {
      const fault = this.#arm('replace');
      if (fault && !fault.after) throw this.#error(fault);
      await this.inner.replace(bytes);
      if (fault) throw this.#error(fault);
    });
  }

  async #beginReplace(bytes) {
    if (this.#inFlight.length > 0 || this.#beginning) {
      this.#overlaps.push(`beginReplace while ${[...this.#inFlight, ...(this.#beginning ? ['beginReplace'] : [])].join(', ')}`);
    }
    const fault = this.#arm('replace');
    if (fault && !fault.after) throw this.#error(fault);
    this.#replaceFault = fault;
    this.#beginning = true;
    try {
      await this.inner.beginReplace(bytes);
    } finally {
      this.#beginning = false;
    }
  }

  async #finishReplace(tail) {
    const after = this.#replaceFault;
    this.#replaceFault = null;
    const fault = this.#arm('finishReplace');
    if (fault) {
      await this.inner.abortReplace();
      throw this.#error(fault);
    }
    await this.inner.finishReplace(tail);
    if (after) throw this.#error(after);
  }

  async close() {
    return this.#exclusive('close', async () => {
      this.#counts.close++;
      return this.inner.close();
    });
  }
}
