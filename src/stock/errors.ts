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
const RETRIABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

export function isRetriableDbError(error: unknown): boolean {
  const code = codeOf(error);
  if (
    code !== undefined &&
    (RETRIABLE_SQLSTATES.has(code) || RETRIABLE_NODE_CODES.has(code) || code.startsWith('08'))
  )
    return true;
  // pg and knex report a dropped connection, an exhausted pool or a query_timeout without a code.
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|Query read timeout|Knex: Timeout acquiring a connection|Client has encountered a connection error/i.test(
    message,
  );
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
