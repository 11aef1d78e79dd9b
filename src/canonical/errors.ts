import { UnrecoverableError, type ErrorContext } from '../errors.js';

/**
 * A message on a canonical topic that is not a canonical event: a CloudEvents header missing,
 * an unknown type, no value. Reading it again cannot help: the materializer keeps it in
 * stock_rejected_events with this reason.
 */
export class CanonicalMessageError extends UnrecoverableError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, { code: 'STOCKLINE_CANONICAL_INVALID', context });
  }
}
