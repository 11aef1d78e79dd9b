import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Rdkafka from 'node-rdkafka';
import { RemoteError } from '../errors.js';
import type { KafkaConnection, KafkaReader } from './port.js';
import {
  asRemoteError,
  baseConfig,
  connect,
  consumeBatch,
  disconnect,
  isFatal,
  loadRdkafka,
  logClientErrors,
  RdkafkaCode,
  toKafkaRecord,
} from './rdkafka-client.js';

const MAX_BATCH = 1000;
const POLL_MS = 100;

function metadataOf(consumer: Rdkafka.KafkaConsumer): Promise<Rdkafka.Metadata> {
  return new Promise((resolve, reject) => {
    consumer.getMetadata({ allTopics: true, timeout: 10000 }, (err, metadata) =>
      err ? reject(asRemoteError('cannot read the topic list', err)) : resolve(metadata),
    );
  });
}

/**
 * The node-rdkafka reader: assigns every partition of the topics itself (no group join, no
 * commits), so looking at a topic never moves a real consumer's position. Reads committed data
 * only, like the kafkajs reader.
 */
export function createRdkafkaReader(connection: KafkaConnection): KafkaReader {
  return {
    async read({ topics, fromBeginning, onRecord, signal, waitForTopicsMs = 0 }) {
      const kafka = loadRdkafka();
      const consumer = new kafka.KafkaConsumer(
        {
          ...baseConfig(connection),
          // assign() needs no group; librdkafka still wants an id, and this one is never committed to.
          'group.id': `stockline-reader-${randomUUID()}`,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          'isolation.level': 'read_committed',
        },
        {},
      );
      const log = logClientErrors(consumer, connection);
      let metadata = await connect(consumer, connection);
      try {
        // Reading a topic that does not exist yet (a connector still snapshotting): wait, then say which.
        const deadline = Date.now() + waitForTopicsMs;
        for (;;) {
          const existing = new Map(metadata.topics.map((t) => [t.name, t]));
          const missing = topics.filter((t) => !existing.get(t)?.partitions.length);
          if (missing.length === 0) break;
          if (Date.now() >= deadline || signal?.aborted) {
            throw new RemoteError(
              `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist on ${connection.brokers.join(',')}` +
                (waitForTopicsMs > 0 ? ` after waiting ${Math.round(waitForTopicsMs / 1000)} s` : '') +
                ' (nothing has written to it yet; for a raw topic, `./stockline connectors status` shows whether its connector runs)',
              { topics: missing },
              { retriable: false },
            );
          }
          await sleep(500);
          metadata = await metadataOf(consumer);
        }
        const byName = new Map(metadata.topics.map((t) => [t.name, t]));
        const start = fromBeginning ? RdkafkaCode.OFFSET_BEGINNING : RdkafkaCode.OFFSET_END;
        consumer.assign(
          topics.flatMap((topic) =>
            (byName.get(topic)?.partitions ?? []).map((p) => ({ topic, partition: p.id, offset: start })),
          ),
        );
        while (!signal?.aborted) {
          let messages: Rdkafka.Message[];
          try {
            messages = await consumeBatch(consumer, MAX_BATCH, POLL_MS);
          } catch (e) {
            if (isFatal(e)) throw asRemoteError(`cannot read ${topics.join(', ')}`, e);
            log?.warn({ err: e }, 'consume failed; retrying');
            continue;
          }
          for (const m of messages) {
            if ((await onRecord(toKafkaRecord(m))) === false) return;
            if (signal?.aborted) return;
          }
        }
      } finally {
        await disconnect(consumer);
      }
    },
  };
}
