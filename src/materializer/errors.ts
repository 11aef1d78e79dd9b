import { StocklineError, type ErrorContext } from '../errors.js';

/**
 * The stored position of a partition does not fit the topic any more: events that were never
 * applied have been deleted by retention, or the topic was deleted and created again. Applying
 * on from anywhere else would silently lose or double-count stock, so the materializer stops.
 */
export class PositionMismatchError extends StocklineError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_POSITION_MISMATCH', context });
  }
}
