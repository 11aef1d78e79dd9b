import type { StocklineConfig } from '../config/schema.js';
import { createAdmin, createBatchConsumer, createProducer, createReader } from '../kafka/clients.js';
import type { KafkaRecord, OutgoingRecord } from '../kafka/port.js';
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
  const clientId = `${config.kafka.clientId}-deadletters`;
  const found: DeadLetterSummary[] = [];
  const admin = createAdmin(config.kafka, clientId);
  const topic = config.mapper.deadLetterTopic;
  const exists = await admin.listTopics().then((topics) => topics.includes(topic));
  const ends = exists ? await admin.endOffsets(topic) : new Map<number, bigint>();
  await admin.close();
  const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  if (remaining.size === 0) return found;
  const quiet = new Quiet(IDLE_MS);
  await createReader(config.kafka, clientId).read({
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

/**
 * Sends the dead letters back to the topics they came from, once: the replay group's offsets
 * (committed after each batch, not in a dry run) say where the next replay starts.
 */
export async function replayDeadLetters(
  config: Readonly<StocklineConfig>,
  options: { mapping?: string; dryRun?: boolean },
): Promise<{ replayed: DeadLetterSummary[]; skipped: number; incomplete: DeadLetterSummary[] }> {
  const clientId = `${config.kafka.clientId}-replay`;
  const topic = config.mapper.deadLetterTopic;
  const groupId = `${config.mapper.groupId}-deadletter-replay${options.mapping ? `-${options.mapping}` : ''}`;
  // Only what is in the topic now: a letter that fails again after its replay lands behind
  // this mark, so a replay always ends instead of feeding itself.
  const admin = createAdmin(config.kafka, clientId);
  const [ends, committed] = await Promise.all([
    admin.endOffsets(topic),
    admin.groupOffsets(groupId, [topic]).then((c) => c.get(topic) ?? new Map<number, bigint>()),
  ]).finally(() => admin.close());
  const replayed: DeadLetterSummary[] = [];
  /** Letters that left out the original's value (too large): not replayed, the original is on its topic. */
  const incomplete: DeadLetterSummary[] = [];
  let skipped = 0;
  // Partitions with letters this replay group has not passed yet.
  const remaining = new Set([...ends].filter(([p, end]) => end > (committed.get(p) ?? 0n)).map(([p]) => p));
  if (remaining.size === 0) return { replayed, skipped, incomplete };

  const producer = await createProducer(config.kafka, clientId);
  const consumer = createBatchConsumer(config.kafka, clientId);
  let finish!: () => void;
  let fail!: (e: unknown) => void;
  const caughtUp = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const quiet = new Quiet(IDLE_MS * 2);
  quiet.signal.addEventListener('abort', () => finish());
  try {
    await consumer.start({
      groupId,
      topic,
      onAssignment: () => undefined,
      async onBatch(batch, control) {
        quiet.touch();
        if (!remaining.has(batch.partition)) return;
        const end = ends.get(batch.partition) ?? 0n;
        const letters = batch.records.filter((r) => BigInt(r.offset) < end);
        const out: OutgoingRecord[] = [];
        for (const record of letters) {
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
            headers['stockline.replayed-from'] = Buffer.from(`${topic}[${batch.partition}]@${record.offset}`);
            out.push({
              topic: text(record, DLQ_HEADERS.topic),
              key: record.key,
              value: record.value,
              headers,
            });
            replayed.push(summary);
          }
        }
        if (!options.dryRun) await producer.send(out);
        const last = letters.at(-1);
        if (last) {
          control.resolveOffset(last.offset);
          if (!options.dryRun) await consumer.commit(topic, batch.partition, BigInt(last.offset) + 1n);
        }
        if (letters.length < batch.records.length || BigInt(batch.lastOffset) + 1n >= end) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        }
      },
      // Only transaction markers up to the end: nothing left to replay there.
      onFilteredOut(partition, _first, last) {
        if (BigInt(last) + 1n >= (ends.get(partition) ?? 0n)) remaining.delete(partition);
        if (remaining.size === 0) finish();
      },
      onCrash: fail,
    });
    await caughtUp;
  } finally {
    quiet.clear();
    await consumer.stop();
    await producer.close();
  }
  return { replayed, skipped, incomplete };
}
