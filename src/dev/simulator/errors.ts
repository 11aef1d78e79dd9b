// Errors of the simulator and of `stockline verify`. Bad command lines are UsageErrors and a
// source system that refuses a write is a RemoteError (src/errors.ts); these are the two
// failures that belong to the simulator alone.
import { StocklineError, type ErrorContext } from '../../errors.js';

/** An expected-stock file that does not exist, does not parse, or does not have the expected shape. */
export class ExpectationFileError extends StocklineError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { code: 'STOCKLINE_EXPECTED_INVALID', context, cause });
  }
}

/**
 * A value that cannot be written into a fixed-width mainframe record: too many digits for its
 * PICTURE, a character the code page does not have, text longer than the field.
 */
export class RecordEncodeError extends StocklineError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_RECORD_UNENCODABLE', context });
  }
}
