// Helpers of the NATS tests: a three-node cluster (nats_cluster.js) ready
// for JetStream, server processes (nats_child.mjs) driven line by line,
// and a fresh open's entries.

import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { PersistentMap } from '../../js/index.js';
import { natsBackend } from '../../js/nats/index.js';
import { NatsCluster } from './nats_cluster.js';
import { lineChild } from './line_child.js';

export { killChildren } from './line_child.js';

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

/** A server process (nats_child.mjs) driven line by line. */
export const child = () => lineChild(CHILD);

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
