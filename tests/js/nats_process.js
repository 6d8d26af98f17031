// Helpers of the NATS tests: a three-node cluster (nats_cluster.js) ready
// for JetStream, server processes (nats_child.mjs) driven line by line,
// and a fresh open's entries.

import { spawn } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { NatsCluster } from './nats_cluster.js';

const CHILD = new URL('./nats_child.mjs', import.meta.url).pathname;

/** Whether JetStream at `servers` can place a stream on three nodes. */
export async function jetStreamReady(servers) {
  const nc = await connect({ servers: servers.split(','), timeout: 1000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    await jsm.streams.add({ name: 'READY', subjects: ['ready'], num_replicas: 3 });
    await jsm.streams.delete('READY');
  } finally {
    await nc.close();
  }
}

/** A started three-node cluster. */
export async function startCluster() {
  const cluster = new NatsCluster();
  try {
    await cluster.start(jetStreamReady);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** A JetStream manager on `servers`, for looking at (and tampering with) streams: { jsm, js, close }. */
export async function manager(servers) {
  const nc = await connect({ servers: servers.split(',') });
  const { jetstream } = await import('@nats-io/jetstream');
  return { jsm: await jetstreamManager(nc), js: jetstream(nc), close: () => nc.close() };
}

const children = new Set();

/** Kills every child process still alive. */
export async function killChildren() {
  await Promise.all([...children].map((c) => c.kill()));
}

/** A server process (nats_child.mjs): send(line), next(predicate), ask(line, predicate). */
export function child() {
  const proc = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let buffered = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
      for (const w of [...waiters]) w();
    }
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const c = {
    proc,
    lines,
    exited,
    send: (line) => proc.stdin.write(`${line}\n`),
    /** The first answer (from `from` on) that `pred` accepts; an error answer rejects. */
    next(pred, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < lines.length; i++) {
            if (lines[i].error) {
              reject(new Error(`child: ${lines[i].error}: ${lines[i].message}`));
              return true;
            }
            if (pred(lines[i])) {
              resolve(lines[i]);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const w = () => {
          if (check()) waiters.splice(waiters.indexOf(w), 1);
        };
        waiters.push(w);
        exited.then(() => reject(new Error(`child exited before answering: ${JSON.stringify(lines.slice(-3))}`)));
      });
    },
    ask(line, pred) {
      const from = lines.length;
      c.send(line);
      return c.next(pred, from);
    },
    kill() {
      proc.kill('SIGKILL');
      return exited;
    },
    async close() {
      await c.ask('close', (m) => m.closed);
      await exited;
    },
  };
  children.add(c);
  exited.then(() => children.delete(c));
  return c;
}

/** A server process with store `name` open. */
export async function openChild(name, settings) {
  const c = child();
  await c.ask(`open ${name} ${JSON.stringify(settings)}`, (m) => m.open !== undefined);
  return c;
}

/** The entries a fresh open of `name` reads, as JSON values. */
export async function fresh(name, settings) {
  const map = await PersistentMap.open(name, { backend: natsBackend(settings) });
  const entries = JSON.parse(JSON.stringify([...map]));
  await map.close();
  return entries;
}
