// A worked example of a custom backend (docs/BACKENDS.md): the log kept as
// chunks in any asynchronous key-value store that has get/set/delete of
// bytes — Redis, a cloud KV, a key-value table. A head record names the
// current generation and how many chunks it has; an append writes one chunk
// and then moves the head, so a crash in between leaves an orphan chunk the
// head does not count. Compaction writes a new generation and moves the head
// in one set, then deletes the old chunks.
//
// The key-value store must make each set() durable and atomic. It offers no
// lock, so this backend only stops a second opener in the same process.
//
//   const kv = { get: async (k) => ..., set: async (k, bytes) => ..., delete: async (k) => ... };
//   const map = await PersistentMap.open('app', { backend: new KvChunkBackend(kv, 'app') });

import { PersistentMapError } from '../../js/index.js';

const openNames = new Set();

export class KvChunkBackend {
  constructor(kv, name) {
    this.kv = kv;
    this.name = name;
    this.kind = 'log';
    this.head = { generation: 0, chunks: 0 };
  }

  #chunkKey(generation, i) {
    return `${this.name}/log/${generation}/${i}`;
  }

  async #readHead() {
    const bytes = await this.kv.get(`${this.name}/head`);
    return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : { generation: 0, chunks: 0 };
  }

  async #writeHead(head) {
    await this.kv.set(`${this.name}/head`, new TextEncoder().encode(JSON.stringify(head)));
    this.head = head;
  }

  async open() {
    if (openNames.has(this.name)) {
      throw new PersistentMapError('LOCKED', `store '${this.name}' is already open in this process; close it first`);
    }
    openNames.add(this.name);
    this.opened = true;
    try {
      this.head = await this.#readHead();
      return await this.read();
    } catch (err) {
      openNames.delete(this.name);
      this.opened = false;
      throw err;
    }
  }

  async read() {
    const parts = [];
    let total = 0;
    for (let i = 0; i < this.head.chunks; i++) {
      const chunk = await this.kv.get(this.#chunkKey(this.head.generation, i));
      if (!chunk) throw new PersistentMapError('CORRUPT', `store '${this.name}' lost log chunk ${i}`);
      parts.push(chunk);
      total += chunk.length;
    }
    const out = new Uint8Array(total);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }

  async append(bytes) {
    const { generation, chunks } = this.head;
    await this.kv.set(this.#chunkKey(generation, chunks), bytes.slice());
    await this.#writeHead({ generation, chunks: chunks + 1 });
  }

  async truncate(length) {
    const bytes = await this.read();
    await this.replace(bytes.subarray(0, length));
  }

  async sync() {
    // Every set() is durable already.
  }

  async replace(bytes) {
    const old = this.head;
    const generation = old.generation + 1;
    await this.kv.set(this.#chunkKey(generation, 0), bytes.slice());
    await this.#writeHead({ generation, chunks: 1 }); // the switch
    for (let i = 0; i < old.chunks; i++) {
      await this.kv.delete(this.#chunkKey(old.generation, i)).catch(() => {});
    }
  }

  async close() {
    // Only the handle that opened the store may release it.
    if (this.opened) openNames.delete(this.name);
    this.opened = false;
  }
}
