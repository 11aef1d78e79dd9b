import { Kafka, logLevel } from 'kafkajs';
import { createAdmin, createReader } from '../../src/kafka/clients.js';
import type { KafkaAdmin, KafkaConnection, KafkaReader, KafkaRecord } from '../../src/kafka/port.js';

/**
 * A kafkajs client for tests to look at Kafka and set up cases with, apart from the port under
 * test (tests may use the library itself; adapter modules only in the port's conformance suites).
 */
export function kafkajsClient(connection: KafkaConnection): Kafka {
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    logLevel: connection.quiet ? logLevel.NOTHING : logLevel.WARN,
    connectionTimeout: 3000,
    retry: connection.quiet ? { retries: 0 } : { retries: 3 },
  });
}

/** The port's kafkajs admin, for tests. */
export const createKafkaAdmin = (connection: KafkaConnection): KafkaAdmin =>
  createAdmin({ brokers: connection.brokers, client: 'kafkajs' }, connection.clientId, {
    ...(connection.quiet === undefined ? {} : { quiet: connection.quiet }),
  });

/** The port's kafkajs reader (read_committed, never commits), for tests. */
export const createKafkaReader = (connection: KafkaConnection): KafkaReader =>
  createReader({ brokers: connection.brokers, client: 'kafkajs' }, connection.clientId, {
    ...(connection.quiet === undefined ? {} : { quiet: connection.quiet }),
  });

export interface ChangeEvent {
  key: Record<string, unknown> | null;
  value: DebeziumEnvelope | null;
  record: KafkaRecord;
}

export interface DebeziumEnvelope {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
  ts_ms: number;
}

const parse = (b: Buffer | null) => (b === null ? null : (JSON.parse(b.toString('utf8')) as unknown));

/**
 * Reads a topic from the beginning and returns the first `count` change events that match,
 * in partition order; fails after the timeout with what it did see.
 */
export async function collectChanges(
  brokers: string[],
  topic: string,
  matches: (event: ChangeEvent) => boolean,
  count: number,
  timeoutMs = 60000,
): Promise<ChangeEvent[]> {
  const found: ChangeEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  await createKafkaReader({ brokers, clientId: 'stockline-test' }).read({
    topics: [topic],
    fromBeginning: true,
    signal,
    // On a fresh stack the connectors may still be snapshotting when a test starts.
    waitForTopicsMs: timeoutMs,
    onRecord: (record) => {
      const event = {
        key: parse(record.key) as Record<string, unknown> | null,
        value: parse(record.value) as DebeziumEnvelope | null,
        record,
      };
      if (!event.key || !matches(event)) return true;
      found.push(event);
      return found.length < count;
    },
  });
  if (found.length < count) {
    throw new Error(
      `saw ${found.length} of ${count} change events on ${topic} within ${timeoutMs} ms: ${JSON.stringify(found.map((f) => f.value?.op ?? 'tombstone'))}`,
    );
  }
  return found;
}

/** Creates topics of this test (unique names, see uniqueSuffix in config.ts); returns a clean-up that deletes them. */
export async function createTestTopics(
  brokers: string[],
  topics: { topic: string; partitions: number }[],
): Promise<() => Promise<void>> {
  const admin = createKafkaAdmin({ brokers, clientId: 'stockline-test' });
  try {
    await admin.createTopics(topics.map((t) => ({ topic: t.topic, partitions: t.partitions })));
  } finally {
    await admin.close();
  }
  return async () => {
    const cleanup = createKafkaAdmin({ brokers, clientId: 'stockline-test' });
    try {
      await cleanup.deleteTopics(topics.map((t) => t.topic));
    } finally {
      await cleanup.close();
    }
  };
}

/** Produces plain (non-transactional) records, in order per partition, every write acknowledged by all replicas. */
export async function produceRecords(
  brokers: string[],
  topic: string,
  records: { key: string | null; value: string; partition?: number; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = kafkajsClient({ brokers, clientId: 'stockline-test' }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER },
  });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 1000) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads committed records from the beginning until at least `atLeast` arrived, then `settleMs`
 * longer (to see duplicates that would follow), or until `timeoutMs`; returns what it saw.
 */
export async function readCommitted(
  brokers: string[],
  topic: string,
  { atLeast, settleMs = 1500, timeoutMs = 60000 }: { atLeast: number; settleMs?: number; timeoutMs?: number },
): Promise<KafkaRecord[]> {
  const seen: KafkaRecord[] = [];
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), timeoutMs);
  let settling: NodeJS.Timeout | undefined;
  try {
    await createKafkaReader({ brokers, clientId: 'stockline-test', quiet: true }).read({
      topics: [topic],
      fromBeginning: true,
      signal: stop.signal,
      waitForTopicsMs: timeoutMs,
      onRecord: (record) => {
        seen.push(record);
        if (seen.length >= atLeast && !settling) settling = setTimeout(() => stop.abort(), settleMs);
      },
    });
  } finally {
    clearTimeout(deadline);
    clearTimeout(settling);
  }
  return seen;
}

/** The offsets a consumer group committed for a topic, per partition (-1: none). */
export async function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = kafkajsClient({ brokers, clientId: 'stockline-test' }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** One record whose header `nothing` has a null value (length -1 on the wire) beside a header `some`. */
export async function produceWithNullHeader(brokers: string[], topic: string, value: string): Promise<void> {
  const producer = kafkajsClient({ brokers, clientId: 'stockline-test' }).producer({ idempotent: true });
  await producer.connect();
  try {
    // kafkajs's encoder writes a null header value as length -1 (as the Java client does), but
    // measures it first with Buffer.byteLength, which throws on null (kafkajs 2.2.4,
    // protocol/recordBatch/record/v0 sizeOfHeaders): give null its size 0 for this one send.
    const headers = { nothing: null, some: 'thing' } as unknown as Record<string, string>;
    const byteLength = Buffer.byteLength.bind(Buffer);
    const patched: typeof Buffer.byteLength = (v, encoding) => (v === null ? 0 : byteLength(v, encoding));
    Buffer.byteLength = patched;
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value, headers }] });
    } finally {
      Buffer.byteLength = byteLength;
    }
  } finally {
    await producer.disconnect();
  }
}
