// The benchmark panel: the same N writes (each awaited before the next), N
// writes issued at once and N reads through persistent-map, localStorage and
// idb-keyval, in this browser, now. Every value read back is checked. Each store uses keys of
// its own and is emptied afterwards; the tasks are not touched.
import { PersistentMap } from 'persistent-map';
import { clear, createStore, get, set } from 'idb-keyval';

const NAME = 'persistent-map-demo-bench';
const WARM_UP = 20; // untimed operations first, so that the JIT has seen the code
const RESOLUTION_MS = 0.1;

const key = (i) => `bench:${String(i).padStart(6, '0')}`;
const value = (i) => ({ title: `benchmark task ${i}`, done: i % 3 === 0, created: '2025-01-01T00:00:00.000Z' });

function check(got, i) {
  if (got?.title !== value(i).title) throw new Error(`read back a wrong value for ${key(i)}`);
}

// Each contender: open() → a handle; write/read one key (sync or async);
// close(handle, n) empties and releases it.
const contenders = (backend) => [
  {
    name: `persistent-map (${backend})`,
    async open() {
      const map = await PersistentMap.open(NAME, { backend });
      await map.clear();
      return map;
    },
    write: (map, i) => map.set(key(i), value(i)),
    read: (map, i) => map.get(key(i)),
    syncReads: true,
    async close(map) {
      await map.clear();
      await map.compact(); // leave an empty log behind, not n dead records
      await map.close();
    },
  },
  {
    name: 'localStorage',
    open: () => localStorage,
    write: (ls, i) => ls.setItem(`${NAME}:${key(i)}`, JSON.stringify(value(i))),
    read: (ls, i) => JSON.parse(ls.getItem(`${NAME}:${key(i)}`)),
    syncWrites: true,
    syncReads: true,
    close(ls, n) {
      for (let i = 0; i < n; i++) ls.removeItem(`${NAME}:${key(i)}`);
    },
  },
  {
    name: 'idb-keyval',
    async open() {
      const store = createStore(NAME, 'keyval');
      await clear(store);
      return store;
    },
    write: (store, i) => set(key(i), value(i), store),
    read: (store, i) => get(key(i), store),
    close: (store) => clear(store),
  },
];

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// Milliseconds for n writes one by one (each awaited), n more issued
// together (one Promise.all: persistent-map's group commit applies), and n
// reads, on keys from `base` on.
async function timeRun(c, handle, base, n) {
  const end = base + n;
  const writeMs = await timed(async () => {
    if (c.syncWrites) for (let i = base; i < end; i++) c.write(handle, i);
    else for (let i = base; i < end; i++) await c.write(handle, i);
  });
  const togetherMs = await timed(async () => {
    const pending = [];
    for (let i = end; i < end + n; i++) pending.push(c.write(handle, i));
    await Promise.all(pending);
  });
  const readMs = await timed(async () => {
    if (c.syncReads) for (let i = base; i < end; i++) check(c.read(handle, i), i);
    else for (let i = base; i < end; i++) check(await c.read(handle, i), i);
  });
  return { writeMs, togetherMs, readMs };
}

async function measure(c, n) {
  const handle = await c.open();
  try {
    await timeRun(c, handle, 0, WARM_UP);
    return await timeRun(c, handle, 2 * WARM_UP, n);
  } finally {
    await c.close(handle, 2 * WARM_UP + 2 * n);
  }
}

function cell(ms, n) {
  const td = document.createElement('td');
  if (ms < RESOLUTION_MS) {
    // Browsers coarsen performance.now() to 0.1 ms (more without cross-origin isolation).
    td.textContent = `< ${RESOLUTION_MS} ms`;
    return td;
  }
  td.textContent = `${ms.toFixed(1)} ms`;
  const small = document.createElement('small');
  small.textContent = ` ${Math.round(n / (ms / 1000)).toLocaleString('en')}/s`;
  td.append(small);
  return td;
}

function row(name, cells) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = name;
  tr.append(th, ...cells);
  return tr;
}

/** Wires the panel; backend() names the persistent-map backend to measure. */
export function setupBenchmark({ form, count, rows, status, backend }) {
  const button = form.querySelector('button');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const n = count.valueAsNumber;
    button.disabled = true;
    rows.replaceChildren();
    for (const c of contenders(backend())) {
      status.textContent = `Running ${c.name}…`;
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint
      try {
        const { writeMs, togetherMs, readMs } = await measure(c, n);
        rows.append(row(c.name, [cell(writeMs, n), cell(togetherMs, n), cell(readMs, n)]));
      } catch (err) {
        const td = document.createElement('td');
        td.colSpan = 3;
        td.textContent = `failed: ${err.message}`;
        rows.append(row(c.name, [td]));
      }
    }
    status.textContent = `${n} writes one by one, ${n} at once and ${n} reads each. Figures vary between runs; run it a few times.`;
    button.disabled = false;
  });
}
