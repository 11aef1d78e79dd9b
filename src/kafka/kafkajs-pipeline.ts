import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Batch, Consumer, Message, Producer } from 'kafkajs';
import pRetry from 'p-retry';
import { connectOrExplain, kafkajsClient } from './kafkajs-admin.js';
import { toKafkaRecord } from './kafkajs-reader.js';
import { byteChunks } from './record-bytes.js';
import type {
  KafkaConnection,
  KafkaPipelineFactory,
  OutgoingRecord,
  PipelineOptions,
  RunningPipeline,
} from './port.js';

/** How long the pipeline keeps restarting its clients through an outage before it gives up. */
const GIVE_UP_AFTER_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 10_000;

/** kafkajs is CommonJS and spreads its error classes into its exports: ESM cannot import them by name. */
const isKafkajsError = (e: unknown): boolean => e instanceof Error && e.name.startsWith('KafkaJS');

/** Broker answers that refuse the records themselves: sending them again cannot succeed. */
const REFUSED = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
]);

/**
 * Whether a failed transaction is worth doing again: anything kafkajs raises (a broker away,
 * a coordinator moving, a transaction in a bad state) except the broker refusing the records.
 */
function retriable(error: unknown): boolean {
  if (!isKafkajsError(error)) return false;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const { type } = e as Error & { type?: unknown };
    if (typeof type === 'string' && REFUSED.has(type)) return false;
    e = e.cause;
  }
  return true;
}

export function createKafkajsPipeline(connection: KafkaConnection): KafkaPipelineFactory {
  return {
    async start(options: PipelineOptions): Promise<RunningPipeline> {
      const kafka = kafkajsClient(connection);
      const log = kafka.logger();
      const transactionalId = `${options.transactionalIdPrefix}-${hostname()}-${process.pid}`;
      const newConsumer = (): Consumer =>
        kafka.consumer({
          groupId: options.groupId,
          readUncommitted: false,
          sessionTimeout: 30000,
          heartbeatInterval: 3000,
          maxBytesPerPartition: 4 * 1024 * 1024,
        });
      const newProducer = (): Producer =>
        kafka.producer({
          transactionalId,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: 60000,
          // Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the coordinator still
          // writes the last one's markers; kafkajs would wait its default 300 ms before each retry
          // (tulios/kafkajs#304). The Java client retries this after 20 ms (KAFKA-5477).
          retry: { initialRetryTime: 20, maxRetryTime: 1000, retries: 10 },
        });
      let consumer = newConsumer();
      let producer = newProducer();
      /** Set when a transaction could not be ended: the producer is replaced before the next batch. */
      let producerBroken = false;
      /** Consecutive failed batches (a growing pause) and since when the pipeline has not made progress. */
      let failures = 0;
      let failingSince: number | undefined;
      let stopping = false;

      await connectOrExplain(connection, () => producer.connect());
      await connectOrExplain(connection, () => consumer.connect());

      let failed!: (e: unknown) => void;
      let finished!: () => void;
      const done = new Promise<void>((resolve, reject) => {
        finished = resolve;
        failed = reject;
      });

      const backoff = () => Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(failures, 10));
      const noteFailure = () => {
        failures++;
        failingSince ??= Date.now();
        return Date.now() - failingSince > GIVE_UP_AFTER_MS;
      };

      /**
       * A transaction that can neither commit nor abort (the broker went away in the middle)
       * leaves the kafkajs producer in a state where every later beginTransaction fails. A new
       * producer with the same transactional id fences the old one, and the coordinator aborts
       * whatever that one left open.
       */
      const replaceProducer = async () => {
        const old = producer;
        producer = newProducer();
        await old.disconnect().catch(() => undefined);
        await producer.connect();
        producerBroken = false;
        log.warn('transactional producer replaced after a failed transaction', { transactionalId });
      };

      const run = async (c: Consumer) => {
        // Topics created just before (by this process or another role) may not be in every broker's metadata yet.
        await pRetry(() => c.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning }), {
          retries: 5,
          minTimeout: 300,
        });
        c.on(c.events.CRASH, (event) => {
          if (event.payload.restart || c !== consumer) return;
          const { error } = event.payload;
          if (stopping) return;
          if (!retriable(error) || noteFailure()) {
            failed(error);
            return;
          }
          // kafkajs gives up on its consumer when the cluster is away longer than its retries
          // (no group coordinator, connection refused): start a new one, which rejoins the group
          // and fetches from the committed offsets.
          log.warn('Kafka consumer crashed; starting it again', {
            error: error.message,
            retryInMs: backoff(),
          });
          void restartConsumer();
        });
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
            const records = batch.messages.map((m) => toKafkaRecord(batch.topic, batch.partition, m));
            // A failing process goes back to kafkajs, which fetches the batch again (as before).
            const out = await options.process({ topic: batch.topic, partition: batch.partition, records });
            try {
              if (producerBroken) await replaceProducer();
              await produceInTransaction(producer, out, batch, options.groupId);
            } catch (e) {
              const cause = e instanceof AbortedCleanly ? e.original : e;
              if (!retriable(cause) || noteFailure()) throw cause;
              // Aborted (or left to the coordinator to abort): read the batch again from its first
              // offset after a pause, instead of ending the pipeline. A partition revoked meanwhile
              // resumes at its committed offset with its new owner.
              const retryInMs = backoff();
              log.warn('batch failed and was aborted; reading it again', {
                topic: batch.topic,
                partition: batch.partition,
                offset: batch.firstOffset(),
                error: (cause as Error).message,
                retryInMs,
              });
              if (!(e instanceof AbortedCleanly)) producerBroken = true;
              c.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset()! });
              await sleep(retryInMs);
              return;
            }
            failures = 0;
            failingSince = undefined;
            // The transaction committed the offsets; move the consumer's own position past the batch.
            payload.resolveOffset(batch.lastOffset());
            await payload.heartbeat();
          },
        });
      };

      let restarting: Promise<void> | undefined;
      const restartConsumer = () =>
        (restarting ??= (async () => {
          try {
            for (;;) {
              await sleep(backoff());
              if (stopping) return;
              const c = newConsumer();
              consumer = c;
              try {
                await c.connect();
                if (producerBroken) await replaceProducer();
                await run(c);
                return;
              } catch (e) {
                await c.disconnect().catch(() => undefined);
                if (noteFailure()) {
                  failed(e);
                  return;
                }
                log.warn('Kafka consumer could not start again; retrying', {
                  error: (e as Error).message,
                  retryInMs: backoff(),
                });
              }
            }
          } finally {
            restarting = undefined;
          }
        })());

      await run(consumer);

      return {
        done,
        async stop() {
          stopping = true;
          await restarting;
          await consumer.disconnect();
          await producer.disconnect();
          finished();
        },
      };
    },
  };
}

/** The transaction failed, and its abort went through: the producer can go on. */
class AbortedCleanly extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
  }
}

/** Produces a batch's records and its consumed offset in one transaction, and commits it. */
async function produceInTransaction(
  producer: Producer,
  out: OutgoingRecord[],
  batch: Batch,
  groupId: string,
): Promise<void> {
  const transaction = await producer.transaction();
  try {
    // Requests bounded by bytes: one request for a whole batch can exceed the broker's
    // message.max.bytes (see SEND_BYTES in record-bytes.ts).
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
      consumerGroupId: groupId,
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
    await transaction.commit();
  } catch (e) {
    const aborted = await transaction.abort().then(
      () => true,
      () => false,
    );
    throw aborted ? new AbortedCleanly(e) : e;
  }
}
