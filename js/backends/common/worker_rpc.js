// Requests to a backend's dedicated worker and their replies, both sides:
// the page side (WorkerClient: numbered requests, one promise each, every
// one rejected when the worker dies) and the worker side (serveRequests:
// the dispatch, one request at a time in the order posted, each answered
// with { id, ok, result } or { id, ok: false, error: { code, message, fatal } }).
// Used by the opfs and sqlite backends.

import { PersistentMapError, describeForPosting, errorFromWorker } from '../../errors.js';

export class WorkerClient {
  #worker;
  #label;
  #calls = new Map(); // id -> { resolve, reject } of requests awaiting a reply
  #nextId = 1;
  #failure = null;

  /**
   * @param {Worker} worker
   * @param {string} label the store, for messages ("OPFS store 'x'")
   * @param {{ gone: (message: string) => void, unsolicited?: (data: object) => void, replied?: (id: number) => void }} hooks
   *   gone: the worker failed to start, threw outside a request or sent
   *   something unreadable (reply it never will); unsolicited: a message
   *   that answers no request; replied: a request was answered with success
   */
  constructor(worker, label, hooks) {
    this.#worker = worker;
    this.#label = label;
    worker.onmessage = (event) => {
      const data = event.data;
      const call = this.#calls.get(data.id);
      if (!call) {
        hooks.unsolicited?.(data);
        return;
      }
      this.#calls.delete(data.id);
      if (data.ok) {
        hooks.replied?.(data.id);
        call.resolve(data.result);
      } else {
        call.reject(errorFromWorker(data.error));
      }
    };
    // A script that cannot be fetched or evaluated fires a plain Event (no message).
    worker.onerror = (e) => hooks.gone(e.message ? `failed: ${e.message}` : 'could not be started (its script did not load)');
    worker.onmessageerror = () => hooks.gone('sent a message that could not be read');
  }

  /** Posts a request whose reply nobody waits for; returns its id. Throws once failed or closed. */
  post(op, args = {}, transfer = []) {
    if (this.#failure) throw this.#failure;
    if (!this.#worker) throw new PersistentMapError('CLOSED', `${this.#label} is closed`);
    const id = this.#nextId++;
    this.#worker.postMessage({ id, op, ...args }, transfer);
    return id;
  }

  /** Posts a request; resolves to its result, rejects with its error. */
  call(op, args = {}, transfer = []) {
    return new Promise((resolve, reject) => {
      this.#calls.set(this.post(op, args, transfer), { resolve, reject });
    });
  }

  /**
   * Posts `op` also after a failure (a worker that is alive still answers
   * close); resolves once it is answered either way, at once without a worker.
   */
  settle(op) {
    if (!this.#worker) return Promise.resolve();
    return new Promise((resolve) => {
      const id = this.#nextId++;
      this.#calls.set(id, { resolve, reject: resolve });
      this.#worker.postMessage({ id, op });
    });
  }

  /** From here every request rejects with `error`: those waiting now, later ones at once. */
  fail(error) {
    this.#failure ??= error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
  }

  /** Ends the worker; later requests throw CLOSED (unless failed). */
  terminate() {
    this.#worker?.terminate();
    this.#worker = null;
  }
}

/**
 * The worker side: answers each request with ops[op](message), whose
 * result may be { result, transfer }; requests run one after another, also
 * when one awaits. `before(message)` may take a request itself (returning
 * true), e.g. one that needs no reply; `what(op)` names what failed in
 * messages. Returns enqueue(fn): runs fn in turn with the requests.
 */
export function serveRequests(ops, { before = () => false, what = (op) => op } = {}) {
  let queue = Promise.resolve();
  const handle = async (message) => {
    if (before(message)) return;
    const { id, op } = message;
    try {
      const out = (await ops[op](message)) ?? {};
      self.postMessage({ id, ok: true, result: out.result }, out.transfer ?? []);
    } catch (err) {
      self.postMessage({ id, ok: false, error: describeForPosting(err, what(op)) });
    }
  };
  const enqueue = (fn) => {
    queue = queue.then(fn);
  };
  self.onmessage = (event) => enqueue(() => handle(event.data));
  return enqueue;
}
