// persistent-map/nats: a store shared by any number of servers through a
// NATS JetStream stream (README, "Sharing a store → servers"; docs/BACKENDS.md,
// "nats"). natsBackend(settings) is a backend object that sequences the
// writes itself: PersistentMap.open hands it the opening (join), and every
// map of the store follows the stream, as a follower follows its leader in
// a store shared by processes.

import { PersistentMapError, invalidRange, invalidType } from '../errors.js';
import { NatsStream } from './nats_stream.js';
import { streamNames } from './stream_settings.js';
import { StreamDriver } from './stream_driver.js';

const SETTING_KEYS = new Set(['servers', 'user', 'pass', 'token', 'tls', 'replicas', 'storage', 'timeout']);

function checkSettings(settings) {
  if (settings === null || typeof settings !== 'object') throw invalidType('natsBackend(settings) needs an object');
  for (const k of Object.keys(settings)) {
    if (!SETTING_KEYS.has(k)) throw invalidType(`unknown natsBackend setting '${k}'; known settings: ${[...SETTING_KEYS].join(', ')}`);
  }
  const { servers, replicas, storage = 'file', timeout = 10000 } = settings;
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()).filter((s) => s !== '') : servers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
    throw invalidType("natsBackend needs servers: 'nats://host:4222,nats://other:4222' or an array of such URLs");
  }
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5)) throw invalidRange('replicas must be an integer from 1 to 5');
  if (storage !== 'file' && storage !== 'memory') throw invalidType(`storage must be 'file' or 'memory', got ${JSON.stringify(storage)}`);
  if (!(Number.isInteger(timeout) && timeout > 0)) throw invalidRange('timeout must be a positive integer (milliseconds)');
  for (const k of ['user', 'pass', 'token']) {
    if (settings[k] !== undefined && typeof settings[k] !== 'string') throw invalidType(`${k} must be a string`);
  }
  const connection = {};
  for (const k of ['user', 'pass', 'token', 'tls']) if (settings[k] !== undefined) connection[k] = settings[k];
  return Object.freeze({ servers: list, replicas, storage, timeout, connection });
}

// A map's part in a NATS store, in the shape PersistentMap asks of its
// sharing (js/share/sharing.js): it always follows, the stream leads.
class StreamSharing {
  leader = null;
  follower = null;
  role = 'nats';
  clients = null;
  #name;
  #stream;
  #options;

  constructor(name, stream, options) {
    this.#name = name;
    this.#stream = stream;
    this.#options = options;
  }

  follow(core, overlay, hooks) {
    this.follower = new StreamDriver(this.#name, core, overlay, this.#stream, this.#options, hooks);
    return this.follower;
  }

  stop() {}

  close() {}
}

/**
 * A backend for PersistentMap.open whose store is a JetStream stream on
 * the NATS servers `settings.servers` (a comma-separated string or an
 * array of URLs). See js/nats.d.ts for the settings.
 */
export function natsBackend(settings) {
  const s = checkSettings(settings);
  return Object.freeze({
    kind: 'nats',
    sequencer: true,
    /**
     * Opens store `name` (its map options `options`): `make.core(options)`
     * makes a core, `make.map(options, core, sharing)` the map.
     */
    async join(name, options, make) {
      if (options.exclusive === true) {
        throw new PersistentMapError('INVALID', `${name}: a NATS store is shared by every server that opens it; { exclusive: true } cannot be had`);
      }
      const stream = await NatsStream.open(streamNames(name), s, options.maxRecordSize);
      // The stream's messages decide the largest record.
      const o = { ...options, maxRecordSize: stream.maxRecordSize };
      let core = null;
      try {
        core = make.core(o);
        const sharing = new StreamSharing(name, stream, o);
        const map = make.map(o, core, sharing);
        await sharing.follower.join();
        return map;
      } catch (err) {
        core?.delete();
        await stream.close();
        throw err;
      }
    },
  });
}
