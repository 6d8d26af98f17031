// The JetStream stream that holds a store (README, "Sharing a store → servers";
// docs/BACKENDS.md, "nats"): its name and subjects, the settings it is
// created with, and the check of a stream that exists already. A stream
// whose settings would lose or refuse our records is refused with INVALID
// naming the setting, before anything is read or written.

import { PersistentMapError, invalidType } from '../errors.js';

/** Bytes a message holds besides its one record: the record's 9-byte frame plus room for the headers. */
export const MESSAGE_OVERHEAD = 9 + 512;

const NAME = /^[A-Za-z0-9_-]{1,200}$/;

/** The stream and subjects of store `name`; INVALID for a name NATS cannot carry. */
export function streamNames(name) {
  if (!NAME.test(name)) {
    throw invalidType(`a NATS store's name is 1 to 200 letters, digits, '_' or '-' (it names a JetStream stream and its subjects), not ${JSON.stringify(name)}`);
  }
  return {
    stream: `PMAP_${name}`,
    log: `pmap.${name}.log`,
    chunk: `pmap.${name}.chunk`,
    snap: `pmap.${name}.snap`,
  };
}

function refuse(stream, what) {
  return new PersistentMapError('INVALID', `the JetStream stream ${stream} exists with ${what}; it cannot hold this store. Delete it (nats stream rm ${stream}) if it holds nothing you need, or open the store under another name`);
}

/**
 * The configuration a new stream gets: file storage unless `storage`
 * says 'memory', `replicas` copies, and messages of one record of up to
 * `maxRecordSize` bytes.
 */
export function newStreamConfig(names, { replicas, storage, maxRecordSize }) {
  return {
    name: names.stream,
    subjects: [names.log, names.chunk, names.snap],
    retention: 'limits',
    storage,
    num_replicas: replicas,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    max_msg_size: maxRecordSize + MESSAGE_OVERHEAD,
    discard: 'old',
    duplicate_window: 120 * 1e9,
    allow_direct: true,
    deny_delete: false,
    deny_purge: false,
  };
}

/**
 * Checks the configuration `config` of an existing stream; returns the
 * largest record its messages can hold (given the server's max_payload).
 */
export function checkStreamConfig(names, config, maxPayload) {
  const s = names.stream;
  const subjects = config.subjects ?? [];
  for (const subject of [names.log, names.chunk, names.snap]) {
    if (!subjects.includes(subject)) throw refuse(s, `subjects ${JSON.stringify(subjects)}, not ${subject}`);
  }
  if (config.retention !== 'limits') throw refuse(s, `retention '${config.retention}', which deletes messages once they are consumed (it must be 'limits')`);
  for (const limit of ['max_msgs', 'max_bytes', 'max_msgs_per_subject']) {
    if (config[limit] > 0) throw refuse(s, `${limit} ${config[limit]}, which would discard records of the log`);
  }
  if (config.max_age > 0) throw refuse(s, `max_age ${config.max_age / 1e9} s, which would discard records of the log`);
  if (config.deny_purge) throw refuse(s, 'deny_purge set, which forbids compaction');
  if (config.sealed) throw refuse(s, 'sealed set, which forbids writes');
  const size = config.max_msg_size > 0 ? Math.min(config.max_msg_size, maxPayload) : maxPayload;
  const records = size - MESSAGE_OVERHEAD;
  if (records < 64) throw refuse(s, `max_msg_size ${config.max_msg_size}, too small for a record`);
  return records;
}
