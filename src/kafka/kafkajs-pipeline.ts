import { hostname } from 'node:os';
import type { Consumer, Message, Producer } from 'kafkajs';
import pRetry from 'p-retry';
import { connectOrExplain, kafkajsClient } from './kafkajs-admin.js';
import { toBufferHeaders } from './kafkajs-reader.js';
import type {
  KafkaConnection,
  KafkaPipelineFactory,
  OutgoingRecord,
  PipelineOptions,
  RunningPipeline,
} from './port.js';

/**
 * Bytes of keys, values and headers per produce request inside a transaction. The broker refuses
 * a record batch (one partition's part of a request) above message.max.bytes, 1 MiB by default;
 * a request under 900 KiB cannot hold one even when all its records go to one partition (the
 * one-partition dead-letter topic). Counting records was not enough: 1,080 dead letters of
 * ~1.8 KB made a 1.95 MB request that the broker refused on every restart.
 */
export const SEND_BYTES = 900 * 1024;
/** Per record beyond key, value and headers: the record's framing in the batch. */
const RECORD_OVERHEAD = 70;

const byteSize = (v: string | Buffer | null): number =>
  v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** An outgoing record's size in a produce request, near enough to keep requests under SEND_BYTES. */
export function recordBytes(r: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD + byteSize(r.key) + byteSize(r.value);
  for (const [k, v] of Object.entries(r.headers)) bytes += Buffer.byteLength(k) + byteSize(v) + 2;
  return bytes;
}

/** Consecutive runs of `out` of at most SEND_BYTES each (a record larger than that alone). */
export function byteChunks(out: OutgoingRecord[], limit = SEND_BYTES): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let chunk: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of out) {
    const size = recordBytes(r);
    if (chunk.length > 0 && bytes + size > limit) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export function createKafkajsPipeline(connection: KafkaConnection): KafkaPipelineFactory {
  return {
    async start(options: PipelineOptions): Promise<RunningPipeline> {
      const kafka = kafkajsClient(connection);
      const consumer: Consumer = kafka.consumer({
        groupId: options.groupId,
        readUncommitted: false,
        sessionTimeout: 30000,
        heartbeatInterval: 3000,
        maxBytesPerPartition: 4 * 1024 * 1024,
      });
      const producer: Producer = kafka.producer({
        transactionalId: `${options.transactionalIdPrefix}-${hostname()}-${process.pid}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 60000,
        // Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the coordinator still
        // writes the last one's markers; kafkajs would wait its default 300 ms before each retry
        // (tulios/kafkajs#304). The Java client retries this after 20 ms (KAFKA-5477).
        retry: { initialRetryTime: 20, maxRetryTime: 1000, retries: 10 },
      });
      await connectOrExplain(connection, () => producer.connect());
      await connectOrExplain(connection, () => consumer.connect());
      // Topics created just before (by this process or another role) may not be in every broker's metadata yet.
      await pRetry(
        () => consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning }),
        { retries: 5, minTimeout: 300 },
      );

      let failed!: (e: unknown) => void;
      let finished!: () => void;
      const done = new Promise<void>((resolve, reject) => {
        finished = resolve;
        failed = reject;
      });
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart) failed(event.payload.error);
      });

      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
          const records = batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            key: m.key,
            value: m.value,
            headers: toBufferHeaders(m.headers),
          }));
          const out = await options.process({ topic: batch.topic, partition: batch.partition, records });
          const transaction = await producer.transaction();
          try {
            // Requests bounded by bytes: one request for a whole batch can exceed the broker's
            // message.max.bytes (see SEND_BYTES).
            for (const chunk of byteChunks(out)) {
              const byTopic = new Map<string, Message[]>();
              for (const r of chunk) {
                let messages = byTopic.get(r.topic);
                if (!messages) byTopic.set(r.topic, (messages = []));
                messages.push({ key: r.key, value: r.value, headers: r.headers });
              }
              await transaction.sendBatch({
                topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
              });
            }
            const next = (BigInt(batch.lastOffset()) + 1n).toString();
            await transaction.sendOffsets({
              consumerGroupId: options.groupId,
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
            });
            await transaction.commit();
          } catch (e) {
            await transaction.abort().catch(() => undefined);
            throw e;
          }
          // The transaction committed the offsets; move the consumer's own position past the batch.
          payload.resolveOffset(batch.lastOffset());
          await payload.heartbeat();
        },
      });

      return {
        done,
        async stop() {
          await consumer.disconnect();
          await producer.disconnect();
          finished();
        },
      };
    },
  };
}
