import { createKafkaReader } from '../../src/kafka/kafkajs-reader.js';
import type { KafkaRecord } from '../../src/kafka/port.js';

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
