import type { KafkaRecord, OutgoingRecord } from '../kafka/port.js';
import { StocklineError } from '../errors.js';

/** Headers a dead letter carries besides the original ones; `stockline deadletters` reads them. */
export const DLQ_HEADERS = {
  mapping: 'stockline.dlq.mapping',
  error: 'stockline.dlq.error',
  code: 'stockline.dlq.code',
  field: 'stockline.dlq.field',
  topic: 'stockline.dlq.topic',
  partition: 'stockline.dlq.partition',
  offset: 'stockline.dlq.offset',
  time: 'stockline.dlq.time',
  /** Set when the letter leaves out parts of the original (too large): what, and where the original is. */
  omitted: 'stockline.dlq.omitted',
} as const;

/**
 * Most bytes of key, value and headers one dead letter carries. The broker refuses a record
 * batch above message.max.bytes (1 MiB by default, 1,048,588 bytes) and librdkafka a message
 * above its own message.max.bytes (1,000,000): a raw record near that size plus the reason
 * would be refused, and the mapper would fail on it after every restart.
 */
export const DEAD_LETTER_MAX_BYTES = 900 * 1024;

/** The reason is kept whole up to this many characters (an error quoting a huge value is cut). */
const MAX_ERROR_CHARS = 4000;

const size = (v: string | Buffer | null): number =>
  v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

const headersSize = (headers: Record<string, string | Buffer>): number =>
  Object.entries(headers).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + size(v), 0);

/**
 * The original message (key, value and headers byte for byte) plus why it could not be
 * mapped and where it came from, so it can be understood and replayed after a fix.
 *
 * A letter that would exceed `maxBytes` leaves out the value, then the original headers, then
 * the key, until it fits, and says so in `stockline.dlq.omitted`: the reason and the source
 * topic, partition and offset are always there, and the original is still on the raw topic at
 * that offset (for its retention). Nothing is dropped silently.
 */
export function deadLetter(
  topic: string,
  record: KafkaRecord,
  mapping: string,
  error: unknown,
  maxBytes = DEAD_LETTER_MAX_BYTES,
): OutgoingRecord {
  const original: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(record.headers)) if (v !== undefined) original[k] = v;
  const e = error instanceof Error ? error : new Error(String(error));
  const ours: Record<string, string | Buffer> = {};
  ours[DLQ_HEADERS.mapping] = mapping;
  ours[DLQ_HEADERS.error] =
    e.message.length > MAX_ERROR_CHARS ? `${e.message.slice(0, MAX_ERROR_CHARS)}… (cut)` : e.message;
  // A catalogued code (src/errors/catalogue.ts); an error raised by accident has none, and the
  // name of its class says what it was (docs/errors.md, "Dead letters").
  ours[DLQ_HEADERS.code] = e instanceof StocklineError ? e.code : e.name;
  if (e instanceof StocklineError && typeof e.context.field === 'string')
    ours[DLQ_HEADERS.field] = e.context.field;
  ours[DLQ_HEADERS.topic] = record.topic;
  ours[DLQ_HEADERS.partition] = String(record.partition);
  ours[DLQ_HEADERS.offset] = record.offset;
  ours[DLQ_HEADERS.time] = new Date().toISOString();

  let key = record.key;
  let value = record.value;
  let kept = original;
  const omitted: string[] = [];
  // Room for the omitted header itself.
  const fits = () => size(key) + size(value) + headersSize(kept) + headersSize(ours) + 512 <= maxBytes;
  if (!fits() && value !== null) {
    omitted.push(`value (${value.length} bytes)`);
    value = null;
  }
  if (!fits() && Object.keys(kept).length > 0) {
    omitted.push(`headers (${headersSize(kept)} bytes)`);
    kept = {};
  }
  if (!fits() && key !== null) {
    omitted.push(`key (${key.length} bytes)`);
    key = null;
  }
  if (omitted.length > 0)
    ours[DLQ_HEADERS.omitted] =
      `${omitted.join(', ')} left out: the dead letter would exceed ${maxBytes} bytes; ` +
      `the original is on ${record.topic} partition ${record.partition} at offset ${record.offset}`;
  return { topic, key, value, headers: { ...kept, ...ours } };
}
