import pRetry from 'p-retry';
import { stockKey } from '../canonical/identity.js';
import type { KafkaProducer, OutgoingRecord, ProducerOptions } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { StockRow } from '../stock/model.js';

/**
 * Writes changed stock rows to the compacted stock topic, keyed sku@location like the
 * canonical topics. The value is the whole row with its version, so the topic alone rebuilds
 * the view, and a subscriber keeps the highest version it has seen per key.
 */
export interface StockPublisher {
  /**
   * Resolves true once Kafka has the rows. A failure is retried a few times (PUBLISH_ATTEMPTS);
   * then, or as soon as `signal` aborts, it resolves false: the topic is a view of the table and
   * catches up later, so the caller goes on (and never waits on Kafka to stop).
   */
  publish(rows: StockRow[], signal: AbortSignal, onRetry?: () => Promise<void>): Promise<boolean>;
  close(): Promise<void>;
}

/** Attempts of one publish before it gives up (a stock topic deleted, refusing, not authorized). */
export const PUBLISH_ATTEMPTS = 4;

/**
 * The producer's own retries are bounded (a few seconds); publish() retries a few times on top.
 * The producer is idempotent: a retry after a lost acknowledgement does not write a row twice in
 * a row; keys land on the Java client's partition (murmur2), so any client finds a row.
 */
export const STOCK_PRODUCER_OPTIONS: ProducerOptions = {
  retry: { retries: 5, initialMs: 100, maxMs: 2000 },
};

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

/** The send, or a rejection as soon as the role stops: stopping never waits on Kafka. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('stopping'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

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

/**
 * The publisher on a connected producer (clients.ts createProducer, with STOCK_PRODUCER_OPTIONS),
 * which it owns: close() closes it.
 */
export function createStockPublisher(producer: KafkaProducer, topic: string, log: Logger): StockPublisher {
  return {
    async publish(rows, signal, onRetry) {
      if (rows.length === 0) return true;
      const messages: (OutgoingRecord & { key: string; value: string })[] = rows.map((row) => ({
        topic,
        key: stockKey(row.sku, row.location),
        value: stockMessageValue(row),
        headers: { 'content-type': 'application/json' },
      }));
      let sent = 0;
      const sendRest = async () => {
        // Bounded sends: a whole batch of rows in one request can exceed the broker's
        // message.max.bytes (1 MiB by default) and would then fail for ever. A retry goes on
        // from the first request that failed.
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
          await producer.send(messages.slice(sent, end));
          sent = end;
        }
      };
      try {
        await pRetry(() => untilAborted(sendRest(), signal), {
          retries: PUBLISH_ATTEMPTS - 1,
          minTimeout: 200,
          maxTimeout: 2000,
          signal,
          // A stop is not a failure to retry.
          shouldRetry: () => !signal.aborted,
          onFailedAttempt: async ({ error, attemptNumber }) => {
            // Stopping: not a failure, and no retry follows (p-retry reports the attempt first).
            if (signal.aborted) return;
            // The database already has the change; the topic is a view of it and catches up.
            log.warn(
              { err: error, topic, rows: rows.length - sent, attempt: attemptNumber },
              'publishing stock rows failed; retrying',
            );
            await onRetry?.().catch(() => undefined);
          },
        });
        return true;
      } catch (e) {
        if (!signal.aborted)
          log.error(
            { err: e, topic, rows: rows.length - sent, attempts: PUBLISH_ATTEMPTS },
            'stock rows not published; the stock topic trails the table and catches up later',
          );
        return false;
      }
    },
    async close() {
      await producer.close();
    },
  };
}
