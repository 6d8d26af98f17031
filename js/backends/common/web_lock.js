// One writer per store across tabs and workers of an origin, with the Web
// Locks API: the lock is held from open() until close(), and released by the
// browser if the page or worker goes away.

import { PersistentMapError } from '../../errors.js';

/**
 * The error of a writer whose store another tab or worker took over
 * (acquireWebLock's `steal`): it must never write again.
 */
export function deposed(name) {
  return new PersistentMapError('LOCKED', `another tab or worker took store '${name}' over while this one was frozen or unresponsive; this map writes no more: reopen the store`, { fatal: true });
}

/**
 * Takes the exclusive lock for `name`. Without `wait`, a held lock is an
 * immediate LOCKED error; with it, the promise resolves once the holder is
 * gone, or rejects with the signal's reason when `signal` aborts first.
 * With `steal`, the lock is taken from its holder (a shared store's hung
 * leader), whose `onLost` is then called. Resolves to a function that
 * releases the lock.
 */
export async function acquireWebLock(name, { wait = false, signal, steal = false, onLost } = {}) {
  const locks = globalThis.navigator?.locks;
  if (!locks && globalThis.isSecureContext === false) {
    // A plain-http page on another host than localhost (`vite --host`
    // opened from a phone). Without Web Locks two tabs could both write
    // the store and interleave their writes, so no backend opens.
    const origin = globalThis.location?.origin ?? 'this page';
    throw new PersistentMapError('INVALID', `no store can be opened on ${origin}: it is not a secure context, and browsers give such pages no Web Locks (nor OPFS), which keep one writer per store. Serve the page over https or from localhost (http://localhost or http://127.0.0.1), or use { backend: 'memory' } for a store that lives only in this page`);
  }
  if (!locks) {
    throw new PersistentMapError('IO', 'this environment has no Web Locks API (navigator.locks), so one writer per store cannot be guaranteed');
  }
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  let isGranted = false;
  const granted = await new Promise((resolve, reject) => {
    const options = steal ? { mode: 'exclusive', steal: true } : wait ? { mode: 'exclusive', signal } : { mode: 'exclusive', ifAvailable: true };
    locks
      .request(`persistent-map:${name}`, options, (lock) => {
        isGranted = lock !== null;
        resolve(isGranted);
        return lock === null ? undefined : held;
      })
      .catch((err) => {
        if (!isGranted) reject(err);
        else if (err?.name === 'AbortError') onLost?.(); // stolen
      });
  });
  if (!granted) {
    throw new PersistentMapError('LOCKED', `store '${name}' is open in another tab or worker; close it there, or open with { wait: true } to wait for it`);
  }
  return release;
}
