/**
 * One root error for everything stockline raises on purpose. Each error has a stable code
 * (declared once in src/errors/catalogue.ts, from which docs/errors.md is generated), says
 * whether retrying can help, and carries the context an operator needs to find the cause
 * (file, line, column, topic, partition, offset, ...).
 */
import { ERROR_CATALOGUE, type ErrorCode } from './errors/catalogue.js';

export { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from './errors/catalogue.js';

export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  key?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  mapping?: string;
  field?: string;
  part?: string;
  log?: string;
  [extra: string]: unknown;
}

export interface StocklineErrorOptions {
  code: ErrorCode;
  /** Left out: the code's default from the catalogue. */
  retriable?: boolean;
  context?: ErrorContext;
  cause?: unknown;
}

export class StocklineError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, options: StocklineErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // new.target keeps the name right in subclasses without anyone typing it by hand.
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable ?? ERROR_CATALOGUE[options.code].retriable;
    this.context = options.context ?? {};
  }
}

/** Service configuration that does not match its schema; refused at start. */
export class ConfigError extends StocklineError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_CONFIG_INVALID', context, cause });
  }
}

/** A connector file that cannot be read, parsed, resolved or that Kafka Connect rejects. */
export class ConnectorConfigError extends StocklineError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_CONNECTOR_INVALID', context, cause });
  }
}

/** A command line that names something that does not exist (a role, a part, a mapping). */
export class UsageError extends StocklineError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, { code: 'STOCKLINE_USAGE', context });
  }
}

/** A part of the local stack that could not be fetched, started or reached. */
export class StackError extends StocklineError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_STACK_FAILED', context, cause });
  }
}

/**
 * A remote system (Kafka Connect REST, a broker) that answered with an error or not at all;
 * retriable unless the raiser knows better (a 4xx other than 409).
 */
export class RemoteError extends StocklineError {
  constructor(
    message: string,
    context: ErrorContext,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, {
      code: 'STOCKLINE_REMOTE_FAILED',
      context,
      retriable: options.retriable,
      cause: options.cause,
    });
  }
}

/**
 * A Kafka transactional producer fenced by a newer instance with the same transactional id: that
 * instance owns the source now, and this one must stop.
 */
export class ProducerFencedError extends StocklineError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_PRODUCER_FENCED', context, cause });
  }
}

/**
 * Input that will never succeed however often it is retried: it goes to the dead-letter
 * topic with its reason instead of blocking the partition.
 */
export class UnrecoverableError extends StocklineError {
  constructor(message: string, options: Omit<StocklineErrorOptions, 'retriable'>) {
    super(message, { ...options, retriable: false });
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
