import type { StocklineConfig } from '../config/schema.js';
import { connectOrExplain, createKafkaAdmin, kafkajsClient } from '../kafka/kafkajs-admin.js';
import { createKafkaReader, toKafkaRecord } from '../kafka/kafkajs-reader.js';
import type { KafkaRecord } from '../kafka/port.js';
import { DLQ_HEADERS } from './dead-letter.js';

export interface DeadLetterSummary {
  offset: string;
  mapping: string;
  code: string;
  error: string;
  source: string;
  time: string;
}

const text = (r: KafkaRecord, name: string) => r.headers[name]?.toString('utf8') ?? '';

export function summarize(record: KafkaRecord): DeadLetterSummary {
  return {
    offset: `${record.partition}:${record.offset}`,
    mapping: text(record, DLQ_HEADERS.mapping),
    code: text(record, DLQ_HEADERS.code),
    error: text(record, DLQ_HEADERS.error),
    source: `${text(record, DLQ_HEADERS.topic)}[${text(record, DLQ_HEADERS.partition)}]@${text(record, DLQ_HEADERS.offset)}`,
    time: text(record, DLQ_HEADERS.time),
  };
}

/**
 * The end offsets of a topic written in transactions include the commit markers, which no
 * consumer ever sees: a reader that has seen nothing for a while has read all there is.
 */
const IDLE_MS = 3000;

class Quiet {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  constructor(private readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}

/** Reads the dead-letter topic from the beginning up to its end as of the call. */
export async function listDeadLetters(
  config: Readonly<StocklineConfig>,
  options: { mapping?: string; max?: number },
): Promise<DeadLetterSummary[]> {
  const connection = { brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-deadletters` };
  const found: DeadLetterSummary[] = [];
  const admin = createKafkaAdmin(connection);
  const topic = config.mapper.deadLetterTopic;
  const exists = await admin.listTopics().then((topics) => topics.includes(topic));
  const ends = exists ? await admin.endOffsets(topic) : new Map<number, bigint>();
  await admin.close();
  const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  if (remaining.size === 0) return found;
  const quiet = new Quiet(IDLE_MS);
  await createKafkaReader(connection).read({
    topics: [topic],
    fromBeginning: true,
    signal: quiet.signal,
    onRecord: (record) => {
      quiet.touch();
      const end = ends.get(record.partition) ?? 0n;
      if (BigInt(record.offset) < end) {
        const summary = summarize(record);
        if (!options.mapping || summary.mapping === options.mapping) found.push(summary);
      }
      if (BigInt(record.offset) + 1n >= end) remaining.delete(record.partition);
      return remaining.size > 0 && found.length < (options.max ?? Infinity);
    },
  });
  quiet.clear();
  return found;
}

async function committedOffsets(
  kafka: ReturnType<typeof kafkajsClient>,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(
      (entry?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

export async function replayDeadLetters(
  config: Readonly<StocklineConfig>,
  options: { mapping?: string; dryRun?: boolean },
): Promise<{ replayed: DeadLetterSummary[]; skipped: number; incomplete: DeadLetterSummary[] }> {
  const connection = { brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-replay` };
  const topic = config.mapper.deadLetterTopic;
  // Only what is in the topic now: a letter that fails again after its replay lands behind
  // this mark, so a replay always ends instead of feeding itself.
  const admin = createKafkaAdmin(connection);
  const ends = await admin.endOffsets(topic).finally(() => admin.close());
  const kafka = kafkajsClient(connection);
  const groupId = `${config.mapper.groupId}-deadletter-replay${options.mapping ? `-${options.mapping}` : ''}`;
  const consumer = kafka.consumer({ groupId });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const replayed: DeadLetterSummary[] = [];
  /** Letters that left out the original's value (too large): not replayed, the original is on its topic. */
  const incomplete: DeadLetterSummary[] = [];
  let skipped = 0;
  await connectOrExplain(connection, () => consumer.connect());
  await producer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // Partitions with letters this replay group has not passed yet.
    const committed = await committedOffsets(kafka, groupId, topic);
    const remaining = new Set([...ends].filter(([p, end]) => end > (committed.get(p) ?? 0n)).map(([p]) => p));
    let finish!: () => void;
    const caughtUp = new Promise<void>((resolve) => (finish = resolve));
    const checkDone = () => {
      if (remaining.size === 0) finish();
    };
    checkDone();
    const quiet = new Quiet(IDLE_MS * 2);
    quiet.signal.addEventListener('abort', finish);
    await consumer.run({
      autoCommit: !options.dryRun,
      eachMessage: async ({ partition, message }) => {
        quiet.touch();
        const end = ends.get(partition) ?? 0n;
        if (BigInt(message.offset) >= end) {
          consumer.pause([{ topic, partitions: [partition] }]);
          remaining.delete(partition);
          checkDone();
          return;
        }
        const record = toKafkaRecord(topic, partition, message);
        const summary = summarize(record);
        if (options.mapping && summary.mapping !== options.mapping) skipped++;
        else if (record.headers[DLQ_HEADERS.omitted] !== undefined) {
          // Too large to carry whole: sending the rest back would be a different message.
          incomplete.push({ ...summary, error: text(record, DLQ_HEADERS.omitted) });
        } else {
          const headers = Object.fromEntries(
            Object.entries(record.headers).filter(
              ([k, v]) => !k.startsWith('stockline.dlq.') && v !== undefined,
            ) as [string, Buffer][],
          );
          headers['stockline.replayed-from'] = Buffer.from(`${topic}[${partition}]@${message.offset}`);
          if (!options.dryRun) {
            await producer.send({
              topic: text(record, DLQ_HEADERS.topic),
              messages: [{ key: record.key, value: record.value, headers }],
            });
          }
          replayed.push(summary);
        }
        if (BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          checkDone();
        }
      },
    });
    await caughtUp;
    quiet.clear();
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  return { replayed, skipped, incomplete };
}
