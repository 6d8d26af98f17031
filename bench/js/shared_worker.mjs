// One process of bench/js/shared_bench.mjs: it opens one system's store,
// shared with the other processes of the run, and does what the parent asks
// over the IPC channel, one command at a time, replying to each.
//
//   node bench/js/shared_worker.mjs <system> <dir>   (started by shared_bench.mjs)
//
// Times are process.hrtime.bigint() (CLOCK_MONOTONIC, one clock for every
// process of the machine), sent as Numbers of nanoseconds, so the parent can
// subtract a time taken here from one taken in another process.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { keyOf, rng, valueOf } from './bench_util.mjs';

const [system, dir] = process.argv.slice(2);
const nowNs = () => Number(process.hrtime.bigint());

// ---------------------------------------------------------------- systems
//
// Each system: open(dir) -> handle with
//   set(key, value)     a promise, or undefined for a synchronous write
//   get(key)            the value, or undefined
//   catchUp()           makes the next reads see every write committed
//                       before the call (awaited)
//   watch(key, onSeen)  calls onSeen() once, as soon as this process can
//                       tell that another process has written `key`
//   role()              'leader' / 'follower' (ours), or '-'
//   close()

// The modules are imported once, before any command, so that no timed
// open includes loading them.
const imports = {
  ours: () => import(pathToFileURL(process.env.PMAP_BENCH_JS ? path.resolve(process.env.PMAP_BENCH_JS) : fileURLToPath(new URL('../../js/index.js', import.meta.url))).href),
  sqlite: () => import('better-sqlite3'),
  lmdb: () => import('lmdb'),
  lmdbNoSync: () => import('lmdb'),
  ipcFloor: () => import('node:net'),
};
const loaded = imports[system]();

const systems = {
  async ours({ PersistentMap }) {
    const map = await PersistentMap.open(path.join(dir, 'store.pmap'));
    let watched = null;
    map.on('change', (e) => {
      if (watched !== null && e.origin === 'remote' && e.key === watched.key) {
        const { onSeen } = watched;
        watched = null;
        onSeen();
      }
    });
    return {
      set: (k, v) => map.set(k, v),
      setMany: (entries) => map.setMany(entries),
      get: (k) => map.get(k),
      catchUp: () => map.refresh(),
      watch(key, onSeen) {
        watched = { key, onSeen };
      },
      count: () => [...map].length,
      role: () => map.stats().role,
      close: () => map.close(),
    };
  },

  async sqlite({ default: Database }) {
    // WAL, synchronous=NORMAL (a commit is written to the WAL and fsynced
    // only at checkpoints: its relaxed mode), a busy timeout so that the
    // four writers wait for each other's locks instead of failing.
    const db = new Database(path.join(dir, 'kv.sqlite'), { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
    const ins = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
    const sel = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
    const dataVersion = db.prepare('PRAGMA data_version').pluck();
    return {
      // One autocommit statement per set.
      set(k, v) {
        ins.run(k, JSON.stringify(v));
      },
      get(k) {
        const v = sel.get(k);
        return v === undefined ? undefined : JSON.parse(v);
      },
      catchUp() {},
      // Polls PRAGMA data_version once per turn of the event loop; when it
      // moves, looks the key up.
      watch(key, onSeen) {
        let version = dataVersion.get();
        const poll = () => {
          const v = dataVersion.get();
          if (v !== version) {
            version = v;
            if (sel.get(key) !== undefined) {
              onSeen();
              return;
            }
          }
          setImmediate(poll);
        };
        setImmediate(poll);
      },
      role: () => '-',
      close() {
        db.close();
      },
    };
  },

  async lmdb({ open }) {
    return lmdbSystem(open, {});
  },

  async lmdbNoSync({ open }) {
    return lmdbSystem(open, { noSync: true });
  },

  async ipcFloor(net) {
    return ipcFloorSystem(net);
  },
};

// The floor under any design in which one process sequences the writes of
// the others (the contract): no file, no checksum, no WASM core, no
// compare-and-set, just a JavaScript Map per process and a Unix socket. The
// first process listens; a set in another sends one line of JSON, and the
// first applies it, sends it to every other process and acknowledges it.
// Each socket is corked for the rest of the turn of the event loop, as ours
// are. What it measures: what a follower's awaited set costs in Node on
// this machine before any of the work of a store.
async function ipcFloorSystem(net) {
  const file = path.join(dir, 'floor.sock');
  const map = new Map();
  let watched = null;
  const apply = (k, v) => {
    map.set(k, v);
    if (watched !== null && k === watched.key) {
      const { onSeen } = watched;
      watched = null;
      onSeen();
    }
  };
  const send = (sock, line) => {
    if (!sock.writableCorked) {
      sock.cork();
      setImmediate(() => sock.uncork());
    }
    sock.write(line);
  };
  const lines = (sock, onLine) => {
    let rest = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const l of parts) onLine(JSON.parse(l));
    });
  };
  const peers = new Set();
  const server = net.createServer((sock) => {
    peers.add(sock);
    sock.on('close', () => peers.delete(sock));
    lines(sock, ({ n, k, v }) => {
      if (k !== undefined) {
        map.set(k, v);
        const record = `${JSON.stringify({ k, v })}\n`;
        for (const p of peers) if (p !== sock) send(p, record);
      }
      send(sock, `${JSON.stringify({ ack: n })}\n`);
    });
  });
  const leads = await new Promise((resolve, reject) => {
    server.once('error', (err) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen(file, () => resolve(true));
  });
  if (leads) {
    return {
      set(k, v) {
        map.set(k, v);
        const record = `${JSON.stringify({ k, v })}\n`;
        for (const p of peers) send(p, record);
      },
      get: (k) => map.get(k),
      catchUp() {},
      watch(key, onSeen) {
        watched = { key, onSeen };
      },
      role: () => 'leader',
      close() {
        for (const p of peers) p.destroy();
        server.close();
      },
    };
  }
  const sock = net.connect(file);
  await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const acks = new Map();
  let next = 0;
  const ask = (m) => {
    const n = ++next;
    send(sock, `${JSON.stringify({ n, ...m })}\n`);
    return new Promise((resolve) => acks.set(n, resolve));
  };
  lines(sock, (m) => {
    if (m.ack === undefined) return apply(m.k, m.v);
    acks.get(m.ack)();
    acks.delete(m.ack);
  });
  return {
    set(k, v) {
      map.set(k, v);
      return ask({ k, v });
    },
    get: (k) => map.get(k),
    // A message without a key: its acknowledgement comes after every record
    // sent to this process before it.
    catchUp: () => ask({}),
    watch(key, onSeen) {
      watched = { key, onSeen };
    },
    role: () => 'follower',
    close() {
      sock.destroy();
    },
  };
}

// lmdb-js defaults: msgpack values, overlappingSync (each commit is
// fdatasynced after it is visible), or { noSync: true } (never fsyncs, the
// promise of our relaxed mode). lmdb-js has no notification of other
// processes' commits (its events, beforecommit and aftercommit, are its own
// process's), so a watcher polls: once per turn of the event loop it resets
// its read transaction (resetReadTxn, which its README gives for "a known
// update in another process") and gets the key.
function lmdbSystem(open, options) {
  const db = open({ path: path.join(dir, 'db'), ...options });
  return {
    set: (k, v) => db.put(k, v),
    get: (k) => db.get(k),
    catchUp() {
      db.resetReadTxn();
    },
    watch(key, onSeen) {
      const poll = () => {
        db.resetReadTxn();
        if (db.get(key) !== undefined) onSeen();
        else setImmediate(poll);
      };
      setImmediate(poll);
    },
    role: () => '-',
    async close() {
      await db.flushed;
      await db.close();
    },
  };
}

// ---------------------------------------------------------------- commands

let store = null;

const commands = {
  async open() {
    store = await systems[system](await loaded);
    return { role: store.role() };
  },

  // Sets of keys from..to (inclusive): awaited one after another, or all
  // issued in one tick and then awaited together (untimed filling).
  // Replies with the time it took and the CPU time this process used
  // meanwhile (user + system).
  async write({ from, to, awaited }) {
    const t0 = nowNs();
    const cpu0 = process.cpuUsage();
    const r = rng(from);
    const ps = [];
    for (let i = from; i <= to; i++) {
      const p = store.set(keyOf(i), valueOf(i, r));
      if (p === undefined) continue;
      if (awaited) await p;
      else ps.push(p);
    }
    await Promise.all(ps);
    const cpu = process.cpuUsage(cpu0);
    return { ns: nowNs() - t0, cpuUs: cpu.user + cpu.system };
  },

  // Catches up, then gets keys 1..n once each, in a random order.
  async read({ n, seed }) {
    const t0 = nowNs();
    await store.catchUp();
    const caughtUpNs = nowNs() - t0;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i + 1;
    const r = rng(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = (r() * (i + 1)) | 0;
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let found = 0;
    let sum = 0;
    const t1 = nowNs();
    for (let i = 0; i < n; i++) {
      const v = store.get(keyOf(order[i]));
      if (v !== undefined) {
        found++;
        sum += v.id;
      }
    }
    const readNs = nowNs() - t1;
    return { caughtUpNs, readNs, found, sum };
  },

  // Starts watching for `key`; the 'seen' message comes later, on its own.
  async watch({ key }) {
    store.watch(key, () => process.send({ seen: key, t: nowNs() }));
    return {};
  },

  // One set of a fresh key; t is taken just before the set is issued.
  async poke({ key }) {
    const t = nowNs();
    const p = store.set(key, { id: -1, name: key });
    if (p !== undefined) await p;
    return { t };
  },

  // Writes keys 1..n with short string values (setMany batches of 10,000).
  async fill({ n }) {
    const BATCH = 10_000;
    for (let i = 1; i <= n; i += BATCH) {
      const entries = [];
      for (let j = i; j < Math.min(n + 1, i + BATCH); j++) entries.push([keyOf(j), `v${j}`]);
      await store.setMany(entries);
    }
    return {};
  },

  // Opens, then iterates every entry: the time until this process holds the
  // whole store.
  async join() {
    const mod = await loaded;
    const t0 = nowNs();
    store = await systems[system](mod);
    const opened = nowNs();
    const count = store.count();
    return { openNs: opened - t0, totalNs: nowNs() - t0, count, role: store.role() };
  },

  // Closes the store if one is open (an open may have failed).
  async close() {
    await store?.close();
    store = null;
    return {};
  },
};

process.on('message', async ({ id, cmd, ...args }) => {
  try {
    const reply = await commands[cmd](args);
    process.send({ id, ...reply });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
