// A source writer that rides through the restart of the system it writes into: a batch that
// fails for a transient reason (the connection went away, the server is starting up, no broker
// answers) is written again on a fresh connection, with a growing pause, for as long as an
// outage may last. The run is then judged by `verify`, not cut short by a routine restart.
import pRetry, { AbortError } from 'p-retry';
import type { SourceWrite } from '../writes.js';
import type { SourceWriter } from './port.js';

/** How long the simulator keeps retrying one batch before the run fails. */
export const MAX_OUTAGE_MS = 180_000;

export interface RetryNotice {
  source: SourceWriter['source'];
  attempt: number;
  error: unknown;
  retryInMs: number;
}

export interface RetryingOptions {
  maxOutageMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (notice: RetryNotice) => void;
}

/** Codes of drivers and of Node itself for a connection that failed or a server not ready. */
const TRANSIENT_CODES = new Set([
  // Node sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // PostgreSQL SQLSTATE: admin shutdown, crash shutdown, cannot connect now, too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // MariaDB (mysql2)
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

const TRANSIENT_MESSAGE =
  /Connection terminated|Client was closed|Client has encountered a connection error|connection is in closed state|Connection lost|ECONNREFUSED|ECONNRESET|the database system is (starting up|shutting down|in recovery mode)/i;

function* causes(error: unknown): Generator<unknown> {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether writing the same batch again can succeed once the system is back: a lost or refused
 * connection, a server starting or stopping, a Kafka client error other than a refused record,
 * a queue transport's error that says a retry can help.
 */
export function isTransientWriteError(error: unknown): boolean {
  for (const e of causes(error)) {
    const code = codeOf(e);
    if (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
    if (e instanceof Error) {
      if (TRANSIENT_MESSAGE.test(e.message)) return true;
      // kafkajs: connection errors, timeouts, no broker, retries exhausted; a record the broker
      // refuses for good (too large, invalid) is a protocol error that says it is not retriable.
      if (e.name.startsWith('KafkaJS') && !(e.name === 'KafkaJSProtocolError' && hasRetriable(e, false)))
        return true;
      // The queue transports (src/mq/): a lost connection or a broker not ready says it is retriable.
      if (e.name === 'QueueTransportError' && hasRetriable(e, true)) return true;
    }
  }
  return false;
}

const hasRetriable = (e: Error, value: boolean) => (e as Error & { retriable?: unknown }).retriable === value;

/**
 * The rows of the batch are there already: an attempt whose connection broke during COMMIT did
 * commit. A database transaction is all or nothing, and each batch inserts rows of its own, so
 * a duplicate key (or transfer lines already received) on the next attempt says exactly that.
 */
export function alreadyCommitted(error: unknown): boolean {
  for (const e of causes(error)) {
    const code = codeOf(e);
    if (code === '23505' || code === 'ER_DUP_ENTRY') return true;
    if (e instanceof Error && /transfer lines to receive, \d+ were shipped/.test(e.message)) return true;
  }
  return false;
}

export class RetryingWriter implements SourceWriter {
  readonly source: SourceWriter['source'];

  constructor(
    private current: SourceWriter,
    private readonly reopen: () => Promise<SourceWriter>,
    private readonly options: RetryingOptions = {},
  ) {
    this.source = current.source;
  }

  async write(writes: readonly SourceWrite[]): Promise<void> {
    let broken = false;
    let failedBefore = false;
    await pRetry(
      async () => {
        if (broken) {
          await closeQuietly(this.current);
          this.current = await this.reopen();
          broken = false;
        }
        try {
          await this.current.write(writes);
        } catch (e) {
          // Only after a failed attempt: its COMMIT may have gone through before the connection broke.
          if (failedBefore && alreadyCommitted(e)) return;
          if (!isTransientWriteError(e)) throw new AbortError(e instanceof Error ? e : String(e));
          broken = true;
          throw e;
        }
      },
      {
        retries: Number.MAX_SAFE_INTEGER,
        maxRetryTime: this.options.maxOutageMs ?? MAX_OUTAGE_MS,
        minTimeout: this.options.minDelayMs ?? 250,
        maxTimeout: this.options.maxDelayMs ?? 4000,
        factor: 2,
        shouldRetry: ({ error }) => {
          // A reopen that fails (still down) is as transient as the write that failed.
          const transient = isTransientWriteError(error);
          if (transient) broken = true;
          return transient;
        },
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          failedBefore = true;
          if (retriesLeft > 0 && isTransientWriteError(error))
            this.options.onRetry?.({
              source: this.source,
              attempt: attemptNumber,
              error,
              retryInMs: Math.min(
                (this.options.minDelayMs ?? 250) * 2 ** (attemptNumber - 1),
                this.options.maxDelayMs ?? 4000,
              ),
            });
        },
      },
    );
  }

  /** Late commits go to the writer of the moment, which retries them itself (writers/sap-matdoc.ts). */
  writeHeld(writes: readonly SourceWrite[], holdMs: number): Promise<void> {
    if (!this.current.writeHeld) return this.write(writes);
    return this.current.writeHeld(writes, holdMs);
  }

  release(): void {
    this.current.release?.();
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}

/** Closing a writer whose connection is gone must neither throw nor hang. */
async function closeQuietly(writer: SourceWriter): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    writer.close().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, 5000))),
  ]);
  clearTimeout(timer);
}
