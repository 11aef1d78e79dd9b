import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import { RemoteError } from '../errors.js';
import { connectOrExplain, createKafkaAdmin, kafkajsClient } from './kafkajs-admin.js';
import type { KafkaConnection, KafkaReader, KafkaRecord } from './port.js';

/** Subscribing to a missing topic fails deep inside the client; say which topic instead. */
async function waitForTopics(
  connection: KafkaConnection,
  topics: string[],
  timeoutMs: number,
): Promise<void> {
  const admin = createKafkaAdmin(connection);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      if (Date.now() >= deadline) {
        throw new RemoteError(
          `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist on ${connection.brokers.join(',')}` +
            (timeoutMs > 0 ? ` after waiting ${Math.round(timeoutMs / 1000)} s` : '') +
            ' (nothing has written to it yet; for a raw topic, `./stockline connectors status` shows whether its connector runs)',
          { topics: missing },
          { retriable: false },
        );
      }
      await sleep(500);
    }
  } finally {
    await admin.close();
  }
}

/** A kafkajs message as the port's record. */
export function toKafkaRecord(topic: string, partition: number, message: KafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key,
    value: message.value,
    headers: toBufferHeaders(message.headers),
  };
}

type KafkajsHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * kafkajs gives a header as a Buffer, a string or a list of them; the port has one Buffer. A
 * header whose value is null on the wire (Java producers and Connect SMTs write them; kafkajs
 * decodes it as null, its types do not say so) is a header without a value.
 */
export function toBufferHeaders(
  headers:
    | KafkajsHeaders
    | Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>
    | undefined,
): Record<string, Buffer | undefined> {
  const result: Record<string, Buffer | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    result[k] =
      first === undefined || first === null ? undefined : Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return result;
}

/**
 * Reads topics with a throw-away consumer group and never commits, so that looking at a
 * topic never moves a real consumer's position.
 */
export function createKafkaReader(connection: KafkaConnection): KafkaReader {
  return {
    async read({ topics, fromBeginning, onRecord, signal, waitForTopicsMs = 0 }) {
      await waitForTopics(connection, topics, waitForTopicsMs);
      const consumer = kafkajsClient(connection).consumer({
        groupId: `stockline-reader-${randomUUID()}`,
        sessionTimeout: 10000,
        heartbeatInterval: 1000,
      });
      await connectOrExplain(connection, () => consumer.connect());
      let finish!: () => void;
      let fail!: (e: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const onAbort = () => finish();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await consumer.subscribe({ topics, fromBeginning });
        let stopped = false;
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            if (stopped) return;
            const record = toKafkaRecord(topic, partition, message);
            try {
              if ((await onRecord(record)) === false) {
                stopped = true;
                finish();
              }
            } catch (e) {
              stopped = true;
              fail(e);
            }
          },
        });
        if (signal?.aborted) finish();
        await done;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await consumer.disconnect();
      }
    },
  };
}
