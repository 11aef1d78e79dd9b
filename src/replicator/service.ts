import { describeError } from '../errors.js';
import { createAdmin, createTransactionalProducer } from '../kafka/clients.js';
import type { TopicSpec } from '../kafka/port.js';
import { withTopicSettings } from '../kafka/topic-settings.js';
import type { QueueSession, QueueTransport } from '../mq/port.js';
import type { Logger } from '../observability/logger.js';
import type { RoleHandle, RoleHealth, StartRole } from '../service/role.js';
import { crashHookFromEnv } from './crash.js';
import type { ReplicatorOptions } from './options.js';
import {
  QueueReplicator,
  replicatorSession,
  type QueueReplicatorStats,
  type ReplicatorSession,
} from './queue-replicator.js';
import { connectTransport, type ConnectTransport } from './transports.js';

/** The replicator's figures: its queues' counters and depths summed, and how many queues it holds now. */
export type ReplicatorStats = Readonly<QueueReplicatorStats & { queuesHeld: number }>;

/**
 * Creates what the replicator writes to and what does not exist yet: each raw topic with one
 * partition (Kafka then keeps the queue order whatever the key), the dead-letter topic, and the
 * compacted state topic. Existing topics are left as they are; an existing raw topic of several
 * partitions for a queue with key none is reported: its records spread over them (the producer
 * picks a partition for a record without a key), and a reader sees the queue order per
 * partition only.
 */
async function ensureTopics(clientId: string, options: ReplicatorOptions, log: Logger): Promise<void> {
  const admin = createAdmin(options.kafka, clientId);
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: TopicSpec[] = [
      ...[...new Set([...options.queues.map((q) => q.topic), options.deadLetterTopic])].map((topic) => ({
        topic,
        partitions: 1,
      })),
      { topic: options.stateTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ];
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics(missing.map((t) => withTopicSettings(options.kafka, t)));
    for (const q of options.queues.filter((q) => q.key === 'none' && existing.has(q.topic))) {
      const partitions = (await admin.endOffsets(q.topic)).size;
      if (partitions > 1)
        log.warn(
          { queue: q.queue, topic: q.topic, partitions },
          `${q.topic} has ${partitions} partitions: with key none the records of ${q.queue} spread over them and keep the queue's order per partition only; recreate the topic with one partition, or give the queue a key (mq.queues[].key)`,
        );
    }
  } finally {
    await admin.close();
  }
}

/** A session that owns its connection: one connection per queue, closed with the session (a broken one is not reused). */
function owningConnection(session: QueueSession, transport: QueueTransport): ReplicatorSession {
  return replicatorSession(session, {
    atomicCommit: transport.capabilities.atomicCommit,
    async close() {
      try {
        await session.close();
      } finally {
        await transport.close();
      }
    },
  });
}

/**
 * `stockline run --role mq-replicator`: each queue of mq.queues onto its raw topic, no loss, no
 * duplicate (queue-replicator.ts says how). `connect` is for tests (the memory transport).
 */
export async function startReplicator(
  options: ReplicatorOptions,
  log: Logger,
  connect: ConnectTransport = connectTransport,
): Promise<RoleHandle<ReplicatorStats>> {
  const clientId = `${options.kafka.clientId}-mqrepl`;
  await ensureTopics(clientId, options, log);
  const stopping = new AbortController();
  const crash = crashHookFromEnv();
  const replicators = options.queues.map(
    (q) =>
      new QueueReplicator(
        {
          queueManager: options.queueManager,
          queue: q.queue,
          topic: q.topic,
          key: q.key,
          batchSize: q.batchSize,
          deadLetterTopic: options.deadLetterTopic,
          defaultBackoutThreshold: options.backoutThreshold,
        },
        {
          async openSession() {
            const transport = await connect(options.mq, log);
            try {
              return owningConnection(await transport.open({ queue: q.queue }), transport);
            } catch (e) {
              await transport.close().catch(() => undefined);
              throw e;
            }
          },
          openProducer: () =>
            createTransactionalProducer(options.kafka, clientId, {
              transactionalId: q.transactionalId,
              stateTopic: options.stateTopic,
              source: q.stateKey,
            }),
        },
        log.child({ queue: q.queue }),
        { signal: stopping.signal, ...(crash ? { crash } : {}) },
      ),
  );

  let failure: Error | undefined;
  const runs = replicators.map((r, i) =>
    r.run().catch((e: unknown) => {
      failure ??= e instanceof Error ? e : new Error(describeError(e));
      log.error({ err: e, queue: options.queues[i]?.queue }, `MQ replicator stops: ${describeError(e)}`);
      stopping.abort();
    }),
  );
  let stopped: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping.abort();
      await Promise.all(runs);
      for (const r of replicators)
        await r.close().catch((e: unknown) => log.warn({ err: e }, 'while stopping'));
    })());
  const done = Promise.all(runs).then(async () => {
    await shutdown();
    if (failure !== undefined) throw failure;
  });
  // `done` may settle before anyone awaits it (a failure at start): no unhandled rejection.
  done.catch(() => undefined);

  return {
    done,
    health(): Promise<RoleHealth> {
      if (stopping.signal.aborted)
        return Promise.resolve({
          ok: false,
          reason: failure === undefined ? 'the MQ replicator stopped' : `failed: ${describeError(failure)}`,
        });
      const held = options.queues.filter((_, i) => replicators[i]?.holding).map((q) => q.queue);
      const waiting = options.queues.filter((_, i) => !replicators[i]?.holding).map((q) => q.queue);
      return Promise.resolve(
        waiting.length === 0
          ? { ok: true, reason: `holds ${held.join(', ')}` }
          : {
              ok: false,
              reason: `holds ${held.length > 0 ? held.join(', ') : 'no queue'}; waiting for ${waiting.join(', ')} (another replicator holds it, or its queue manager cannot be reached)`,
            },
      );
    },
    stats() {
      const total = {
        messages: 0,
        batches: 0,
        recoveries: 0,
        recoveryDiscards: 0,
        deadLetters: 0,
        queueDepth: 0,
        queuesHeld: 0,
      };
      for (const r of replicators) {
        for (const k of Object.keys(r.stats) as (keyof QueueReplicatorStats)[]) total[k] += r.stats[k];
        if (r.holding) total.queuesHeld++;
      }
      return total;
    },
    async stop() {
      await shutdown();
    },
  };
}
startReplicator satisfies StartRole<ReplicatorOptions, ReplicatorStats>;
