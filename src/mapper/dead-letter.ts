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
} as const;

/**
 * The original message (key, value and headers byte for byte) plus why it could not be
 * mapped and where it came from, so it can be understood and replayed after a fix.
 */
export function deadLetter(
  topic: string,
  record: KafkaRecord,
  mapping: string,
  error: unknown,
): OutgoingRecord {
  const headers: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(record.headers)) if (v !== undefined) headers[k] = v;
  const e = error instanceof Error ? error : new Error(String(error));
  headers[DLQ_HEADERS.mapping] = mapping;
  headers[DLQ_HEADERS.error] = e.message;
  headers[DLQ_HEADERS.code] = e instanceof StocklineError ? e.code : e.name;
  if (e instanceof StocklineError && typeof e.context.field === 'string')
    headers[DLQ_HEADERS.field] = e.context.field;
  headers[DLQ_HEADERS.topic] = record.topic;
  headers[DLQ_HEADERS.partition] = String(record.partition);
  headers[DLQ_HEADERS.offset] = record.offset;
  headers[DLQ_HEADERS.time] = new Date().toISOString();
  return { topic, key: record.key, value: record.value, headers };
}
