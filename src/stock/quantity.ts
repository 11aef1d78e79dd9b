import { Decimal } from 'decimal.js';

/**
 * Exact decimal arithmetic for quantities. decimal.js rounds results to 20 significant digits by
 * default, fewer than a quantity's 15 + 6 digits; this copy keeps 64, so sums of a batch
 * never round.
 */
export const Quantity = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -64,
  toExpPos: 64,
});
export type Quantity = InstanceType<typeof Quantity>;

/** Plain decimal text without exponent or trailing zeros: "12.5", "-3", "0". */
export const formatQuantity = (q: Quantity): string => q.toFixed();

/**
 * What the stock table holds: a row's on_hand is numeric(24,6), 18 integer digits (totals 24).
 * An event carries at most 15 (the canonical schema, checked at decode); a sum of many can still
 * overflow a row, and the materializer then rejects the event that would (batch-applier.ts).
 */
export const STOCK_INTEGER_DIGITS = 18;
