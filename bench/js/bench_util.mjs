// Shared by the Node benchmark programs: environment settings and a
// deterministic random generator, so that every run sees the same data.

/** The positive integer in environment variable `name`, or `def`. */
export function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the workload of the Node benchmarks ----

const pad8 = (i) => String(i).padStart(8, '0');

/** The i-th key. */
export const keyOf = (i) => `key:${pad8(i)}`;

const TAGS = ['red', 'green', 'blue', 'cyan', 'gold', 'jade', 'ruby', 'onyx'];

/**
 * About 100 bytes of JSON, e.g.
 * {"id":12,"name":"user-00000012","tags":["gold","jade","red"],"score":83.27,"active":true,"v":1}
 */
export function valueOf(i, r) {
  return {
    id: i,
    name: `user-${pad8(i)}`,
    tags: [TAGS[(r() * 8) | 0], TAGS[(r() * 8) | 0], TAGS[(r() * 8) | 0]],
    score: Math.round(r() * 1e4) / 100,
    active: r() < 0.5,
    v: 1,
  };
}
