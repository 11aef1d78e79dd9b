import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import type { Batch, Kafka } from 'kafkajs';
import { RemoteError } from '../errors.js';
import { connectOrExplain } from './kafkajs-admin.js';
import { toKafkaRecord } from './kafkajs-reader.js';
import type { BatchConsumer, BatchConsumerOptions, FetchedBatch } from './batch-consumer.js';
import type { KafkaConnection } from './port.js';

export interface KafkajsBatchConsumerSettings {
  /** A dead member's partitions wait this long for a new owner (Kafka's minimum is 6 s). */
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /** Partitions whose batches are handled at the same time (each partition stays in order). */
  concurrency?: number;
}

/** How long the consumer keeps starting again through an outage before it gives up. */
const GIVE_UP_AFTER_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 10_000;

/** kafkajs is CommonJS and spreads its error classes into its exports: ESM cannot import them by name. */
const isKafkajsError = (e: unknown): boolean => e instanceof Error && e.name.startsWith('KafkaJS');

/** kafkajs keeps the offset a fetch asked for on the batch without declaring it. */
function fetchedOffsetOf(batch: Batch): string | undefined {
  const value: unknown = (batch as Batch & { fetchedOffset?: unknown }).fetchedOffset;
  return typeof value === 'string' ? value : undefined;
}

export function kafkajsBatchConsumer(
  kafka: Kafka,
  connection: KafkaConnection,
  settings: KafkajsBatchConsumerSettings = {},
): BatchConsumer {
  let consumer: ReturnType<Kafka['consumer']> | undefined;
  let stopping = false;
  let restarting = false;
  const logger = kafka.logger();
  const admin = kafka.admin();
  let adminReady: Promise<void> | undefined;

  return {
    async start(options: BatchConsumerOptions) {
      const run = async () => {
        const c = kafka.consumer({
          groupId: options.groupId,
          readUncommitted: false,
          allowAutoTopicCreation: false,
          sessionTimeout: settings.sessionTimeoutMs ?? 10000,
          heartbeatInterval: 1000,
          maxBytesPerPartition: settings.maxBytesPerPartition ?? 4 * 1024 * 1024,
          maxBytes: 32 * 1024 * 1024,
          maxWaitTimeInMs: 250,
        });
        consumer = c;
        c.on(c.events.GROUP_JOIN, (event) => {
          options.onAssignment(event.payload.memberAssignment[options.topic] ?? []);
        });
        // kafkajs hands over no batch for a fetch that held only aborted transactions and
        // markers (runner.js, isEmptyDueToFiltering); this event is the only sign of it.
        c.on(c.events.START_BATCH_PROCESS, (event) => {
          const { topic, partition, batchSize, firstOffset, lastOffset } = event.payload;
          if (batchSize === 0 && topic === options.topic && firstOffset !== null)
            options.onFilteredOut?.(partition, firstOffset, lastOffset);
        });
        c.on(c.events.CRASH, (event) => {
          if (event.payload.restart || c !== consumer || stopping) return;
          const { error } = event.payload;
          if (!isKafkajsError(error) || giveUp()) options.onCrash(error);
          // kafkajs gives up on its consumer when the cluster is away longer than its retries
          // (no group coordinator, connection refused): a new one rejoins the group, and the
          // caller's positions (onAssignment) say where each partition goes on.
          else void restart(error);
        });
        await connectOrExplain(connection, () => c.connect());
        await pRetry(() => c.subscribe({ topics: [options.topic], fromBeginning: true }), {
          retries: 5,
          minTimeout: 300,
        });
        await c.run({
          partitionsConsumedConcurrently: settings.concurrency ?? 1,
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            const fetched: FetchedBatch = {
              topic: batch.topic,
              partition: batch.partition,
              fetchedOffset: fetchedOffsetOf(batch),
              firstOffset: batch.firstOffset(),
              lastOffset: batch.lastOffset(),
              records: batch.messages.map((m) => toKafkaRecord(batch.topic, batch.partition, m)),
            };
            try {
              await options.onBatch(fetched, {
                resolveOffset: (offset) => payload.resolveOffset(offset),
                heartbeat: () => payload.heartbeat(),
                seek: (offset) =>
                  c.seek({ topic: batch.topic, partition: batch.partition, offset: String(offset) }),
                isActive: () => payload.isRunning() && !payload.isStale(),
              });
            } catch (e) {
              // kafkajs's own errors (a heartbeat that finds the group rebalancing) go back to
              // kafkajs, which rejoins the group; anything else is the caller's failure.
              if (isKafkajsError(e)) throw e;
              options.onCrash(e);
            }
          },
        });
        failingSince = undefined;
      };

      let failingSince: number | undefined;
      let attempts = 0;
      const giveUp = () => {
        failingSince ??= Date.now();
        return Date.now() - failingSince > GIVE_UP_AFTER_MS;
      };
      const restart = async (cause: Error) => {
        if (restarting) return;
        restarting = true;
        try {
          for (;;) {
            const retryInMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempts++, 10));
            logger.warn('Kafka consumer crashed; starting it again', { error: cause.message, retryInMs });
            await sleep(retryInMs);
            if (stopping) return;
            try {
              await consumer?.disconnect().catch(() => undefined);
              await run();
              attempts = 0;
              return;
            } catch (e) {
              if (giveUp()) return options.onCrash(e);
              cause = e as Error;
            }
          }
        } finally {
          restarting = false;
        }
      };
      await run();
    },

    async partitionOffsets(topic, partition) {
      adminReady ??= connectOrExplain(connection, () => admin.connect());
      await adminReady;
      const offsets = await admin.fetchTopicOffsets(topic);
      const p = offsets.find((o) => o.partition === partition);
      if (!p) throw new RemoteError(`topic ${topic} has no partition ${partition}`, { topic, partition });
      return { low: BigInt(p.low), high: BigInt(p.high) };
    },

    async commit(topic, partition, next) {
      await consumer?.commitOffsets([{ topic, partition, offset: String(next) }]);
    },

    async stop() {
      stopping = true;
      await consumer?.disconnect();
      if (adminReady) await adminReady.catch(() => undefined);
      await admin.disconnect();
    },
  };
}
