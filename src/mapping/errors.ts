import { StocklineError, UnrecoverableError, type ErrorContext } from '../errors.js';

/** A mapping file (or lookup table) that does not load; reported with file, line and column. */
export class MappingFileError extends StocklineError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_MAPPING_INVALID', context });
  }
}

/**
 * One input event that a mapping cannot turn into canonical events (a missing lookup key, a
 * field without a value, a quantity that is not a decimal). No retry fixes it: it goes to the
 * dead-letter topic with this reason.
 */
export class MappingError extends UnrecoverableError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_MAPPING_FAILED', context });
  }
}
