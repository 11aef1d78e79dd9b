// The MQ replicator's options, compiled once from its config sections (src/service/options.ts says how).
import type { StocklineConfig } from '../config/schema.js';
import {
  deepFreeze,
  frozenCopy,
  refuseImpossible,
  topicSettingsRefusal,
  type Refusal,
} from '../service/options.js';

/**
 * What the replicator reads from the configuration: its own section, the Kafka section, and the
 * topics the other roles write (no queue may be replicated into one of them).
 */
export type ReplicatorSections = Pick<StocklineConfig, 'mq' | 'kafka'> & {
  mapper: Pick<StocklineConfig['mapper'], 'canonicalTopic' | 'deadLetterTopic'>;
  materializer: Pick<StocklineConfig['materializer'], 'stockTopic' | 'canonicalTopic'>;
};

export type MqSection = StocklineConfig['mq'];
/** The Kafka key of a queue's records (mq.queues[].key; the schema allows these only). */
export const QUEUE_KEYS = ['none', 'msgId', 'correlId', 'groupId'] as const;
export type QueueKey = (typeof QUEUE_KEYS)[number];

const isQueueKey = (k: string): k is QueueKey => (QUEUE_KEYS as readonly string[]).includes(k);

/** One queue and where it goes. */
export interface ReplicatedQueue {
  readonly queue: string;
  readonly topic: string;
  readonly key: QueueKey;
  readonly batchSize: number;
  /** Stable per queue manager and queue, so that a new instance fences the one before it. */
  readonly transactionalId: string;
  /** The queue's key on the state topic. */
  readonly stateKey: string;
}

export interface ReplicatorOptions {
  readonly kafka: Readonly<StocklineConfig['kafka']>;
  /** The connection settings of the transport (the transports read them; the core never does). */
  readonly mq: Readonly<MqSection>;
  readonly queueManager: string;
  readonly queues: readonly ReplicatedQueue[];
  readonly deadLetterTopic: string;
  readonly stateTopic: string;
  /** For a queue without a threshold of its own. */
  readonly backoutThreshold: number;
}

/** Whether the configuration asks for a replicator at all (`stockline run` without --role). */
export const replicatorConfigured = (config: Readonly<Pick<StocklineConfig, 'mq'>>): boolean =>
  config.mq.queues.length > 0;

/** Kafka transactional ids allow any characters, but a name people can read in the broker's tools helps. */
const idPart = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

export const transactionalIdOf = (queueManager: string, queue: string): string =>
  `stockline-mqrepl-${idPart(queueManager)}-${idPart(queue)}`;

function queueRefusals(mq: Readonly<MqSection>): Refusal[] {
  const refusals: Refusal[] = [];
  if (mq.queues.length === 0)
    refusals.push({
      keys: ['mq.queues'],
      message: 'mq.queues is empty: list at least one queue (queue, topic) for the replicator to read',
    });
  if (mq.queueManager === '')
    refusals.push({
      keys: ['mq.queueManager'],
      message:
        'mq.queueManager is empty: name the queue manager (for RabbitMQ, any stable name of the broker); it names the source in every record and in the transactional ids',
    });
  mq.queues.forEach((q, i) => {
    if (!isQueueKey(q.key))
      refusals.push({
        keys: [`mq.queues[${i}].key`],
        message: `mq.queues[${i}].key is ${q.key}: expected one of ${QUEUE_KEYS.join(', ')}`,
      });
  });
  const seenQueue = new Set<string>();
  for (const [i, q] of mq.queues.entries()) {
    if (seenQueue.has(q.queue))
      refusals.push({
        keys: [`mq.queues[${i}].queue`],
        message: `mq.queues lists the queue ${q.queue} twice: two replicators of one queue would compete for its messages; list it once`,
      });
    seenQueue.add(q.queue);
  }
  mq.queues.forEach((a, i) => {
    mq.queues.forEach((b, j) => {
      if (j <= i || a.queue === b.queue || a.topic !== b.topic) return;
      if (a.key === 'none' || b.key === 'none')
        refusals.push({
          keys: [`mq.queues[${i}].topic`, `mq.queues[${j}].topic`],
          message: `mq.queues[${i}] (${a.queue}) and mq.queues[${j}] (${b.queue}) both go to ${a.topic} with key none: the records of two queues would interleave in one partition, and its order would be neither queue's; give each queue its own topic`,
        });
    });
  });
  return refusals;
}

function topicRefusals(config: Readonly<ReplicatorSections>): Refusal[] {
  const { mq, mapper, materializer } = config;
  const reserved = [
    { key: 'mapper.canonicalTopic', topic: mapper.canonicalTopic, what: 'canonical events' },
    { key: 'materializer.canonicalTopic', topic: materializer.canonicalTopic, what: 'canonical events' },
    { key: 'mapper.deadLetterTopic', topic: mapper.deadLetterTopic, what: "the mapper's dead letters" },
    { key: 'materializer.stockTopic', topic: materializer.stockTopic, what: 'stock rows' },
    { key: 'mq.deadLetterTopic', topic: mq.deadLetterTopic, what: "the replicator's dead letters" },
    { key: 'mq.stateTopic', topic: mq.stateTopic, what: "the replicator's state" },
  ].filter((r) => r.topic !== '');
  const refusals: Refusal[] = [];
  mq.queues.forEach((q, i) => {
    for (const r of reserved)
      if (q.topic === r.topic)
        refusals.push({
          keys: [`mq.queues[${i}].topic`, r.key],
          message: `mq.queues[${i}].topic is ${q.topic}, which is ${r.key} (${r.what}): raw messages of ${q.queue} cannot go there; give the queue a raw topic of its own`,
        });
  });
  const own = reserved.slice(4);
  for (const r of reserved.slice(0, 4))
    for (const o of own)
      if (o.topic === r.topic)
        refusals.push({
          keys: [o.key, r.key],
          message: `${o.key} and ${r.key} are both ${o.topic}: one topic cannot hold ${o.what} and ${r.what}; give each its own topic`,
        });
  if (mq.deadLetterTopic === mq.stateTopic)
    refusals.push({
      keys: ['mq.deadLetterTopic', 'mq.stateTopic'],
      message: `mq.deadLetterTopic and mq.stateTopic are both ${mq.stateTopic}: the state topic is compacted by queue and would drop dead letters; give each its own topic`,
    });
  return refusals;
}

export function compileReplicatorOptions(config: Readonly<ReplicatorSections>): ReplicatorOptions {
  const { mq, kafka } = config;
  refuseImpossible('MQ replicator', [
    ...queueRefusals(mq),
    ...topicRefusals(config),
    topicSettingsRefusal(kafka),
  ]);
  return deepFreeze({
    kafka: frozenCopy(kafka),
    mq: frozenCopy(mq),
    queueManager: mq.queueManager,
    queues: mq.queues.map((q) => ({
      queue: q.queue,
      topic: q.topic,
      // Checked by queueRefusals above (the schema's union of literals types it as a string).
      key: q.key as QueueKey,
      batchSize: q.batchSize,
      transactionalId: transactionalIdOf(mq.queueManager, q.queue),
      stateKey: `${mq.queueManager}/${q.queue}`,
    })),
    deadLetterTopic: mq.deadLetterTopic,
    stateTopic: mq.stateTopic,
    backoutThreshold: mq.backoutThreshold,
  });
}
