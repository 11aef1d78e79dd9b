import type { ICustomPartitioner, Message, Producer } from 'kafkajs';
import { connectOrExplain, kafkajsClient } from './kafkajs-admin.js';
import { javaPartition } from './murmur2.js';
import type { KafkaConnection, KafkaProducer, OutgoingRecord, ProducerOptions } from './port.js';
import { byteChunks } from './record-bytes.js';

/**
 * The Java client's partitioner for keyed records (murmur2 in 32-bit arithmetic, murmur2.ts: a
 * fifth of kafkajs's own cost per record), so that every client finds a key on the same
 * partition; records without a key go round the partitions.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key === null || message.key === undefined) return next++ % partitions;
    return javaPartition(message.key, partitions);
  };
};

/** Groups records by topic, in order, as kafkajs's sendBatch wants them. */
export function byTopic(records: OutgoingRecord[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const r of records) {
    let messages = topics.get(r.topic);
    if (!messages) topics.set(r.topic, (messages = []));
    messages.push({
      key: r.key,
      value: r.value,
      headers: r.headers,
      ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
    });
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * The kafkajs producer: idempotent with one request in flight, so that a retry can neither
 * duplicate nor reorder records; requests bounded by bytes (record-bytes.ts).
 */
export async function createKafkajsProducer(
  connection: KafkaConnection,
  options: ProducerOptions = {},
): Promise<KafkaProducer> {
  const producer: Producer = kafkajsClient(connection).producer({
    createPartitioner: javaCompatiblePartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    ...(options.retry
      ? {
          retry: {
            retries: options.retry.retries,
            initialRetryTime: options.retry.initialMs,
            maxRetryTime: options.retry.maxMs,
          },
        }
      : {}),
  });
  await connectOrExplain(connection, () => producer.connect());
  return {
    async send(records) {
      for (const chunk of byteChunks(records))
        await producer.sendBatch({ topicMessages: byTopic(chunk), acks: -1 });
    },
    // kafkajs keeps nothing back: a send resolves once the broker acknowledged it.
    flush: () => Promise.resolve(),
    async close() {
      await producer.disconnect();
    },
  };
}
