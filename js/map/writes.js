// The map's writes: each is checked and encoded (nothing changes if that
// fails), queued in the driver's operation stream, shown to reads at once,
// committed, and reported to 'change' listeners. Where a write shows
// depends on the map's role: in the read cache, over the core that the log
// driver applies it to (a store of its own, or a shared store's leader), or
// in a follower's overlay until the leader has logged it (js/share/).

import { invalidRange, invalidType } from '../errors.js';
import { CONFLICT } from '../share/follower.js';
import { importOps, readImport, recordTooLarge } from './csv_io.js';
import { checkKey } from './options.js';

// Whether fn's result looks like a Promise. A value that cannot even be
// read (a revoked Proxy) is not one: the codec refuses it with its path.
function isThenable(value) {
  try {
    return Boolean(value) && typeof value.then === 'function';
  } catch {
    return false;
  }
}

// Operation-stream bytes a put may take at most (UTF-16 units to UTF-8).
function putBytes(key, stored) {
  return 9 + key.length * 3 + (typeof stored === 'string' ? stored.length * 3 : stored.length + 1);
}

export class Writes {
  #m;

  /**
   * @param {object} m the map's parts: driver, core, form, options, cache,
   *   overlay, sharing, events, reads (driver and reads are getters: a
   *   follower's driver is replaced when it becomes the leader)
   */
  constructor(m) {
    this.#m = m;
  }

  /**
   * Sets `key`; resolves once the write is handed over (relaxed) or on
   * stable storage (strict). Not an async function: a set costs one promise
   * per group of writes, not two per write.
   */
  set(key, value) {
    try {
      this.#queueSet(key, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#written({ type: 'set', key });
  }

  // Queues a put of `key` and shows it; `alone`: in a write group of its own.
  #queueSet(key, value, alone = false) {
    this.#m.driver.checkWritable();
    checkKey(key);
    const stored = this.#m.form.encode(value);
    const seq = this.#groupFor(putBytes(key, stored), alone);
    const ops = this.#m.driver.ops;
    const mark = ops.mark();
    const bytes = ops.put(key, stored, this.#m.form.bytesPrefix(stored));
    const size = this.#m.core.oversize(ops, mark);
    if (size > 0) {
      ops.rewind(mark);
      throw invalidRange(recordTooLarge(bytes, size, this.#m.options.maxRecordSize));
    }
    this.#show(key, stored, seq);
  }

  // The write group (a follower's) that writes of about `bytes` operation
  // bytes join; 0 where writes go straight to the core.
  #groupFor(bytes, alone = false) {
    return this.#m.driver.groupFor?.(bytes, alone) ?? 0;
  }

  // Makes a queued write visible to reads: `key` null for a clear, `stored`
  // undefined for a delete; `seq` of a follower's group.
  #show(key, stored, seq) {
    if (seq > 0) {
      if (key === null) this.#m.overlay.clear(seq);
      else this.#m.overlay.put(key, stored, seq);
      return;
    }
    if (key === null) this.#m.cache.clear();
    else if (stored === undefined) this.#m.cache.delete(key);
    else this.#m.cache.put(key, stored);
    this.#m.sharing?.leader?.wrote(key);
  }

  /**
   * Deletes `key`; resolves to whether it was there. Like every write, also
   * one that changes nothing, it resolves once the earlier writes are as
   * durable as its own would be (an earlier pending delete may be why the
   * key is gone).
   */
  async delete(key) {
    this.#m.driver.checkWritable();
    checkKey(key);
    if (!this.#m.reads.has(key)) {
      await this.#m.driver.commit();
      return false;
    }
    const seq = this.#groupFor(5 + key.length * 3);
    this.#m.driver.ops.delete(key);
    this.#show(key, undefined, seq);
    await this.#written({ type: 'delete', key });
    return true;
  }

  async clear() {
    this.#m.driver.checkWritable();
    const seq = this.#groupFor(1);
    this.#m.driver.ops.clear();
    this.#show(null, undefined, seq);
    return this.#written({ type: 'clear' });
  }

  /**
   * Sets `key` to fn(current value); resolves to the new value. fn gets a
   * fresh copy, also with { freeze: true }. In a shared store no other write
   * to `key` comes between the value fn saw and the write: if one did, fn is
   * called again with the newer value.
   */
  async update(key, fn) {
    this.#m.driver.checkWritable();
    checkKey(key);
    if (typeof fn !== 'function') throw invalidType('update(key, fn) needs a function');
    for (let fresh = false; ; fresh = true) {
      const follower = this.#m.sharing?.follower ?? null;
      const cond = follower?.position();
      const current = this.#m.reads.stored(key);
      let next;
      try {
        next = fn(current === undefined ? undefined : this.#m.form.decode(key, current));
      } catch (err) {
        // A follower's state may lag the log (another process's write is on
        // its way): fn runs again on the latest value, and only if it throws
        // there too does the update.
        if (follower === null || fresh) throw err;
        await follower.refresh();
        continue;
      }
      if (isThenable(next)) throw invalidType('the update function must return the new value, not a Promise');
      if (follower === null) {
        await this.set(key, next);
        return next;
      }
      this.#queueSet(key, next, true);
      const done = follower.commitConditional(key, cond);
      this.#changed(done);
      if (this.#m.events.watched > 0) this.#m.events.emit('change', { type: 'set', key, origin: 'local' }, done);
      try {
        await done;
        return next;
      } catch (err) {
        if (err !== CONFLICT) throw err;
        await follower.refresh().catch(() => {}); // a failed follower refuses the next try
      }
    }
  }

  /** Sets many entries as one atomic record. */
  async setMany(entries) {
    this.#m.driver.checkWritable();
    const list = [];
    for (const pair of entries instanceof Map ? entries : Array.from(entries ?? [])) {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidType('setMany takes [key, value] pairs (or a Map)');
      checkKey(pair[0]);
      list.push([pair[0], this.#m.form.encode(pair[1])]);
    }
    if (list.length === 0) return this.#m.driver.commit();
    const size = this.#putBatch(list);
    if (size > 0) {
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#m.options.maxRecordSize}); split it`);
    }
    return this.#written({ type: 'setMany', keys: list }, true);
  }

  // Queues [key, stored] pairs as one BATCH record and shows them; returns
  // 0, or (and nothing changed) the size of the record if it would exceed
  // maxRecordSize.
  #putBatch(list) {
    let bytes = 5;
    for (const [key, stored] of list) bytes += putBytes(key, stored);
    const seq = this.#groupFor(bytes);
    const ops = this.#m.driver.ops;
    const mark = ops.mark();
    ops.batch(list.length);
    for (const [key, stored] of list) ops.put(key, stored, this.#m.form.bytesPrefix(stored));
    const size = this.#m.core.oversize(ops, mark);
    if (size > 0) {
      ops.rewind(mark);
      return size;
    }
    for (const [key, stored] of list) this.#show(key, stored, seq);
    return 0;
  }

  /** Deletes many keys as one atomic record; resolves to how many were there. */
  async deleteMany(keys) {
    this.#m.driver.checkWritable();
    const present = [];
    const seen = new Set();
    let bytes = 5;
    for (const key of Array.from(keys ?? [])) {
      checkKey(key);
      if (!seen.has(key) && this.#m.reads.has(key)) {
        seen.add(key);
        present.push(key);
        bytes += 5 + key.length * 3;
      }
    }
    if (present.length === 0) {
      await this.#m.driver.commit();
      return 0;
    }
    const seq = this.#groupFor(bytes);
    const ops = this.#m.driver.ops;
    const mark = ops.mark();
    ops.batch(present.length);
    for (const key of present) ops.delete(key);
    const size = this.#m.core.oversize(ops, mark);
    if (size > 0) {
      ops.rewind(mark);
      throw invalidRange(`the batch would be a record of ${size} bytes, more than maxRecordSize (${this.#m.options.maxRecordSize}); split it`);
    }
    for (const key of present) this.#show(key, undefined, seq);
    await this.#written({ type: 'deleteMany', keys: present });
    return present.length;
  }

  /**
   * Puts every record of a CSV `source` (as exportCSV writes it) into the
   * map, atomically: a bad row (the error names its line and column) or a
   * failed write changes nothing. Resolves to the number of rows imported.
   */
  async importCSV(source) {
    this.#m.driver.checkWritable();
    // Issued now, before the source is read: an import of no rows settles
    // with the writes issued before this call.
    const issued = this.#m.driver.commit();
    issued.catch(() => {}); // reported below, if it is the import's outcome
    const { list, lines, units } = await readImport(source, this.#m.form);
    this.#m.driver.checkWritable();
    if (list.length === 0) {
      await issued;
      return 0;
    }
    // UTF-8 takes at least a byte per UTF-16 unit: past this, one record cannot hold it.
    if (units <= this.#m.options.maxRecordSize && this.#putBatch(list) === 0) {
      await this.#written({ type: 'setMany', keys: list }, true);
    } else if (this.#m.driver.commitViaSnapshot === undefined) {
      throw invalidRange(`the import is larger than one record (maxRecordSize, ${this.#m.options.maxRecordSize} bytes): in a shared store only the leader (stats().role) can import it atomically; import it there, or split it`);
    } else {
      // Too big for one record: separate records, written as a snapshot.
      this.#m.cache.beforeWrite();
      const done = this.#m.driver.commitViaSnapshot(importOps(list, lines, this.#m.form, this.#m.core, this.#m.options.maxRecordSize));
      for (const [key, stored] of list) this.#show(key, stored, 0);
      this.#m.events.changed(done);
      if (this.#m.events.watched > 0) this.#m.events.emit('change', { type: 'setMany', keys: list.map(([k]) => k), origin: 'local' }, done);
      await done;
    }
    return list.length;
  }

  // A write is visible (`done`: its commit): the version moves on. A
  // follower's write that the leader refuses leaves its overlay, and reads
  // see what was there before it again: the version moves on once more.
  #changed(done) {
    this.#m.events.changed(done);
    if (this.#m.sharing?.follower) done.catch(() => this.#m.events.changed());
  }

  // Commits the write just queued and tells subscribers and the 'change'
  // listeners, if any. With `pairs`, event.keys holds [key, stored] pairs to
  // be reduced to keys (only when someone listens).
  #written(event, pairs = false) {
    const done = this.#m.driver.commit();
    this.#changed(done);
    if (this.#m.events.watched > 0) {
      if (pairs) event.keys = event.keys.map(([k]) => k);
      event.origin = 'local';
      this.#m.events.emit('change', event, done);
    }
    return done;
  }
}
