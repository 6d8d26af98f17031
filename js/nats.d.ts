// Types of the entry point 'persistent-map/nats' (js/nats/index.js): a store
// shared by servers through a NATS JetStream stream (README, "Sharing a store
// → servers"). Needs the optional packages @nats-io/transport-node and
// @nats-io/jetstream.
import type { SequencerBackend } from './index.js';

export interface NatsSettings {
  /** The NATS servers: 'nats://a:4222,nats://b:4222' or an array of URLs. */
  servers: string | string[];
  /** Credentials, as the NATS client takes them. */
  user?: string;
  pass?: string;
  token?: string;
  /** TLS options of the NATS client (ConnectionOptions.tls). */
  tls?: Record<string, unknown>;
  /** Copies of a new stream: default 3 in a cluster, 1 on a single server. */
  replicas?: number;
  /** Storage of a new stream: 'file' (default) or 'memory'. */
  storage?: 'file' | 'memory';
  /**
   * Milliseconds an open, a write or a read of the stream may wait for the
   * cluster (trying again meanwhile) before it fails with UNAVAILABLE. Default 10000.
   */
  timeout?: number;
}

/**
 * A backend for PersistentMap.open: the store `name` is the JetStream stream
 * PMAP_<name> (created if missing, checked if not), and every server that
 * opens it shares it. `name` is letters, digits, '_' and '-'.
 */
export function natsBackend(settings: NatsSettings): SequencerBackend;
