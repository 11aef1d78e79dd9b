// One queue message -> one Kafka record: the body untouched, the MQ message descriptor as headers.
import type { OutgoingRecord } from '../kafka/port.js';
import { MQ_HEADERS } from '../mq/headers.js';
import type { QueueMessage } from '../mq/port.js';
import type { QueueKey } from './options.js';

export { MQ_HEADERS };

export const DEAD_LETTER_HEADERS = { reason: 'stockline.dlq.reason', error: 'stockline.dlq.error' } as const;

export type DeadLetterReason = 'backout-threshold' | 'too-large';

/**
 * The largest record the replicator hands to Kafka: the producers' message.max.bytes is
 * 1,000,000 (src/kafka/rdkafka-producer.ts) and the broker's default 1 MiB; recordSize() is an
 * estimate of the framing, so a margin stays below both.
 */
export const MAX_RECORD_BYTES = 960 * 1024;

/** A record's place of origin: the queue manager and queue it came from. */
export interface Origin {
  readonly queueManager: string;
  readonly queue: string;
}

export const hex = (b: Buffer): string => b.toString('hex');

export function mqHeaders(origin: Origin, m: QueueMessage): Record<string, string> {
  const h: Record<string, string> = {
    [MQ_HEADERS.queueManager]: origin.queueManager,
    [MQ_HEADERS.queue]: origin.queue,
    [MQ_HEADERS.messageId]: hex(m.messageId),
    [MQ_HEADERS.correlationId]: hex(m.correlationId),
    [MQ_HEADERS.backoutCount]: String(m.backoutCount),
    [MQ_HEADERS.putDateTime]: m.putTime.toISOString(),
    [MQ_HEADERS.format]: m.format,
    [MQ_HEADERS.persistence]: m.persistent ? 'persistent' : 'not-persistent',
    [MQ_HEADERS.putApplicationName]: m.putApplicationName,
    [MQ_HEADERS.userId]: m.userId,
  };
  if (m.groupId !== null) h[MQ_HEADERS.groupId] = hex(m.groupId);
  if (m.sequenceInGroup !== null) h[MQ_HEADERS.sequenceInGroup] = String(m.sequenceInGroup);
  if (m.ccsid !== null) h[MQ_HEADERS.ccsid] = String(m.ccsid);
  if (m.encoding !== null) h[MQ_HEADERS.encoding] = String(m.encoding);
  if (m.priority !== null) h[MQ_HEADERS.priority] = String(m.priority);
  return h;
}

/** The Kafka key of a message under mq.queues[].key; null for none (and for groupId outside a group). */
export function keyOf(key: QueueKey, m: QueueMessage): string | null {
  switch (key) {
    case 'none':
      return null;
    case 'msgId':
      return hex(m.messageId);
    case 'correlId':
      return hex(m.correlationId);
    case 'groupId':
      return m.groupId === null ? null : hex(m.groupId);
    default:
      // The schema allows no other value; a new one must choose its key here.
      return key satisfies never;
  }
}

/** The raw record of a message, with the put time as its timestamp. */
export function rawRecord(origin: Origin, topic: string, key: QueueKey, m: QueueMessage): OutgoingRecord {
  return {
    topic,
    key: keyOf(key, m),
    value: m.body,
    headers: mqHeaders(origin, m),
    timestamp: m.putTime.getTime(),
  };
}

/** The dead letter of a message: its raw record on the dead-letter topic, with the reason; no body when too large. */
export function deadLetter(
  raw: OutgoingRecord,
  deadLetterTopic: string,
  reason: DeadLetterReason,
  error: string,
): OutgoingRecord {
  return {
    ...raw,
    topic: deadLetterTopic,
    value: reason === 'too-large' ? null : raw.value,
    headers: { ...raw.headers, [DEAD_LETTER_HEADERS.reason]: reason, [DEAD_LETTER_HEADERS.error]: error },
  };
}

const byteSize = (v: string | Buffer | null): number =>
  v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** Bytes of a record in a produce request: key, value, headers, and ~70 of framing (as src/kafka/record-bytes.ts counts). */
export function recordSize(r: OutgoingRecord): number {
  let bytes = 70 + byteSize(r.key) + byteSize(r.value);
  for (const [k, v] of Object.entries(r.headers)) bytes += Buffer.byteLength(k) + byteSize(v) + 2;
  return bytes;
}

export const isTooLarge = (r: OutgoingRecord, limit = MAX_RECORD_BYTES): boolean => recordSize(r) > limit;
