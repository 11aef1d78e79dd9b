import { StocklineError, type ErrorContext } from '../errors.js';

/** Where a source error happened: what an operator needs to find the database and the statement. */
export interface SapErrorContext extends ErrorContext {
  /** `hana`, `postgres`. */
  driver: string;
  /** The database host and port. */
  database?: string;
  /** What the capture was doing: clock, readAfter, bucketCounts, readBucket, readCut, columns, connect. */
  call?: string;
  /** The driver's error code (HANA SQL error number, PostgreSQL SQLSTATE), when it gave one. */
  reasonCode?: number | string;
}

/**
 * The SAP source database refused a statement or could not be reached. The raiser decides whether
 * a retry can help: a lost connection or a timeout can, a refused privilege or a syntax error
 * cannot.
 */
export class SapSourceError extends StocklineError {
  declare readonly context: SapErrorContext;

  constructor(message: string, context: SapErrorContext, options: { retriable: boolean; cause?: unknown }) {
    super(message, {
      code: 'STOCKLINE_SAP_FAILED',
      context,
      retriable: options.retriable,
      cause: options.cause,
    });
  }
}

/**
 * A table the capture reads lacks a column it needs (or does not exist): the capture refuses to
 * start rather than emit events the mappings cannot read.
 */
export class SapSchemaError extends StocklineError {
  constructor(message: string, context: ErrorContext & { table: string; columns: string[] }) {
    super(message, { code: 'STOCKLINE_SAP_SCHEMA', context });
  }
}
