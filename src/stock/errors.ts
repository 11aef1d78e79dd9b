import { StocklineError, type ErrorContext } from '../errors.js';

/**
 * The stock database failed or refused a statement. Connection loss, deadlocks and
 * serialization failures are retriable (the transaction rolled back, nothing was written);
 * anything else (a constraint, a value out of range) is not, and stops the role.
 */
export class StockDbError extends StocklineError {
  constructor(message: string, context: ErrorContext, options: { retriable: boolean; cause?: unknown }) {
    super(message, {
      code: 'STOCKLINE_STOCKDB_FAILED',
      context,
      retriable: options.retriable,
      cause: options.cause,
    });
  }
}

/**
 * SQLSTATEs after which a retry of the whole transaction can succeed; 57014 is a statement
 * cancelled by statement_timeout (stockDb.statementTimeoutMs), a slow moment rather than a bad
 * statement.
 */
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03', '53300']);
const RETRIABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

export function isRetriableDbError(error: unknown, depth = 0): boolean {
  const code = codeOf(error);
  if (
    code !== undefined &&
    (RETRIABLE_SQLSTATES.has(code) || RETRIABLE_NODE_CODES.has(code) || code.startsWith('08'))
  )
    return true;
  // pg and knex report a dropped connection, an exhausted pool or a query_timeout without a
  // code; a database restart (a failover) also closes pooled clients under a query.
  const message = error instanceof Error ? error.message : String(error);
  if (
    /Connection terminated|connection timeout|Query read timeout|Knex: Timeout acquiring a connection|Client has encountered a connection error|Client was closed and is not queryable|server closed the connection unexpectedly|terminating connection due to|the database system is (starting up|shutting down|in recovery mode)/i.test(
      message,
    )
  )
    return true;
  // knex wraps the driver's error: what counts is the cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  return depth < 5 && cause !== undefined && cause !== null && isRetriableDbError(cause, depth + 1);
}

/** Wraps a driver error with what was being done, keeping whether a retry can help. */
export function stockDbError(doing: string, error: unknown, context: ErrorContext = {}): StockDbError {
  if (error instanceof StockDbError) return error;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return new StockDbError(`stock database: ${doing} failed: ${message}${code ? ` (${code})` : ''}`, context, {
    retriable: isRetriableDbError(error),
    cause: error,
  });
}
