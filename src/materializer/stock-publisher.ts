import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { stockKey } from '../canonical/identity.js';
import type { Logger } from '../observability/logger.js';
import type { StockRow } from '../stock/model.js';

/**
 * Writes changed stock rows to the compacted stock topic, keyed sku@location like the
 * canonical topics. The value is the whole row with its version, so the topic alone rebuilds
 * the view, and a subscriber keeps the highest version it has seen per key.
 */
export interface StockPublisher {
  /** Resolves once Kafka has the rows; retries failures until it succeeds or `signal` aborts. */
  publish(rows: StockRow[], signal: AbortSignal, onRetry?: () => Promise<void>): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Bytes of keys and values per produce request. The broker refuses a record batch (one partition's
 * part of a request) above message.max.bytes, 1 MiB by default; a request under 900 KB cannot
 * hold such a batch even if all its rows went to one partition. ~2,500 rows of ~350 bytes: a
 * fifth of the round trips of the 500-row requests before (publishing a 5,000-row batch took as
 * long as applying it).
 */
const SEND_BYTES = 900 * 1024;
/** Per message beyond key and value: the content-type header and record overhead. */
const MESSAGE_OVERHEAD = 64;

export function stockMessageValue(row: StockRow): string {
  return JSON.stringify({
    sku: row.sku,
    location: row.location,
    onHand: row.onHand,
    unit: row.unit,
    version: row.version,
    negative: row.negative,
    levelAsOf: row.levelAsOf,
    lastEventAt: row.lastEventAt,
    lastEventId: row.lastEventId,
    updatedAt: row.updatedAt,
  });
}

export async function createStockPublisher(
  kafka: Kafka,
  topic: string,
  log: Logger,
): Promise<StockPublisher> {
  // Idempotent: a retry after a lost acknowledgement does not write the row twice in a row.
  // kafkajs gives up after its maxRetryTime (30 s) anyway; publish() then retries on its own.
  const producer: Producer = kafka.producer({
    // Java's partitioner (murmur2), so any client finds a key on the same partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER },
  });
  await producer.connect();
  return {
    async publish(rows, signal, onRetry) {
      if (rows.length === 0) return true;
      const messages = rows.map((row) => ({
        key: stockKey(row.sku, row.location),
        value: stockMessageValue(row),
        headers: { 'content-type': 'application/json' },
      }));
      let sent = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          // Bounded sends: a whole batch of rows in one request can exceed the broker's
          // message.max.bytes (1 MiB by default) and would then fail for ever.
          while (sent < messages.length) {
            let end = sent;
            let bytes = 0;
            while (end < messages.length) {
              const m = messages[end]!;
              const size = m.key.length + m.value.length + MESSAGE_OVERHEAD;
              if (end > sent && bytes + size > SEND_BYTES) break;
              bytes += size;
              end++;
            }
            await producer.send({ topic, messages: messages.slice(sent, end), acks: -1 });
            sent = end;
          }
          return true;
        } catch (e) {
          // The database already has the change; the topic is a view of it and catches up.
          log.warn(
            { err: e, topic, rows: rows.length - sent, attempt },
            'publishing stock rows failed; retrying',
          );
          if (signal.aborted) return false;
          await sleep(Math.min(5000, 100 * 2 ** attempt), undefined, { signal }).catch(() => undefined);
          if (signal.aborted) return false;
          await onRetry?.().catch(() => undefined);
        }
      }
    },
    async close() {
      await producer.disconnect();
    },
  };
}
