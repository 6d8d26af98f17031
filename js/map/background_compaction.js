// A compaction in the background, on a backend that can replace its log in
// two steps (beginReplace / finishReplace / abortReplace, docs/BACKENDS.md).
// The core encodes the snapshot a piece at a time, with a turn of the event
// loop between pieces, and the backend stores it beside the log; all the
// while the log driver goes on appending writes to the old log and hands
// each batch here as well, as the new log's tail. The short final step
// appends the tail to the snapshot before it replaces the log. Every
// acknowledged write is thus in the old log until the new one, which holds
// it too, takes its place.

import { concatBytes } from '../backends/common/bytes.js';

// Bytes of snapshot encoded between two turns of the event loop (about a
// millisecond's work).
const PIECE_BYTES = 256 << 10;

// A turn of the event loop (a macrotask), where I/O callbacks run.
const nextTurn = typeof setImmediate === 'function'
  ? () => new Promise((resolve) => setImmediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

export class BackgroundCompaction {
  /** compact() calls it settles. */
  waiters;
  /** Whether the snapshot is stored (or failed to be): finish() is next. */
  ready = false;
  /** Settles once beginReplace has (never rejects). */
  settled;
  #backend;
  #length = 0;
  #tail = [];
  #tailBytes = 0;
  #error = null;
  #lastTurn = performance.now();

  /**
   * Starts encoding the snapshot of `core` (whose log bytes are all taken)
   * and storing it beside the log; `onReady` is called once that has
   * settled, either way.
   */
  constructor(backend, core, waiters, onReady) {
    this.#backend = backend;
    this.waiters = waiters;
    this.settled = this.#encode(core)
      .then((snapshot) => {
        this.#length = snapshot.length;
        return backend.beginReplace(snapshot);
      })
      .catch((err) => {
        this.#error = err;
      })
      .then(() => {
        this.ready = true;
        onReady();
      });
  }

  // The snapshot, a piece at a time: writes go on between the pieces, and
  // the tail makes up for what they change (src/engine.h, BeginSnapshot).
  async #encode(core) {
    core.beginSnapshot();
    try {
      const pieces = [];
      for (;;) {
        const { bytes, done } = core.snapshotPiece(PIECE_BYTES);
        pieces.push(bytes);
        if (done) return concatBytes(pieces);
        await nextTurn();
      }
    } finally {
      core.endSnapshot();
    }
  }

  /** Bytes just appended to the old log: they go after the snapshot too. */
  addTail(bytes) {
    this.#tail.push(bytes);
    this.#tailBytes += bytes.length;
  }

  /**
   * Awaited writes that follow one another never leave the microtask queue
   * (a relaxed fs append is synchronous), so the backend's I/O would not
   * progress, nor the tail stop growing, until they stop: while a
   * compaction runs, the event loop gets a turn every millisecond.
   */
  async letRun() {
    if (performance.now() - this.#lastTurn < 1) return;
    await nextTurn();
    this.#lastTurn = performance.now();
  }

  /**
   * The final step: the tail goes after the snapshot, which then replaces
   * the log. Resolves to the new log's length, or rejects with why the
   * compaction failed (the old log is whole then).
   */
  async finish() {
    await this.settled;
    if (this.#error !== null) throw this.#error;
    await this.#backend.finishReplace(concatBytes(this.#tail));
    return this.#length + this.#tailBytes;
  }

  /**
   * Drops the new log's beginnings (a write failed and is being rolled
   * back, or the store failed or closed): the old log holds every write.
   * The waiters reject with `error`.
   */
  async abandon(error) {
    await this.settled;
    if (this.#error === null) {
      // A leftover the backend cannot remove is removed by the next open
      // (docs/BACKENDS.md); the store itself is sound.
      await this.#backend.abortReplace().catch(() => {});
    }
    for (const w of this.waiters) w.reject(error);
  }
}
