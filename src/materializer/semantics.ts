import type { KeyStart } from '../stock/model.js';
import { Quantity } from '../stock/quantity.js';
import type { MaterializerEvent } from './event.js';

/**
 * The stock semantics of one key (SKU × location), applied to its events of a batch in
 * partition order. Pure: the state before the batch comes in as `start`.
 *
 * - An event already applied changes nothing. That is decided before the fold, by event id
 *   (planBatch within a batch, the stock_applied_events table across batches): the events of
 *   one key come from several tables and raw partitions, so their source sequences do not
 *   arrive in order and cannot tell a re-delivery from a late event.
 * - A level sets the quantity as of its occurredAt and becomes the barrier: a movement (or an
 *   older level) that occurred before the barrier is not applied.
 * - A movement adds its signed quantity; one in another unit than the row's is rejected
 *   (a level may change the unit: it restates the stock).
 */
export interface FoldResult<E extends MaterializerEvent> {
  /** The last level applied in the batch: on hand = level + delta. */
  level: { quantity: Quantity; asOf: string } | null;
  /** Movements applied after that level, or all applied movements when there is none. */
  delta: Quantity;
  /** The row's unit after the batch. */
  unit: string | null;
  applied: number;
  last: { id: string; occurredAt: string } | null;
  /**
   * The unit the fold took the row to have: with an unknown start, the unit of the first
   * movement applied before any level. The row must have it (or not exist) for the result to hold.
   */
  assumedUnit: string | null;
  beforeLevel: number;
  rejected: { event: E; reason: string }[];
}

export const EMPTY_START: KeyStart = { unit: null, levelAsOf: null };

export function foldKeyEvents<E extends MaterializerEvent>(
  start: KeyStart,
  events: readonly E[],
): FoldResult<E> {
  const r: FoldResult<E> = {
    level: null,
    delta: new Quantity(0),
    unit: start.unit,
    applied: 0,
    last: null,
    assumedUnit: null,
    beforeLevel: 0,
    rejected: [],
  };
  let barrier = start.levelAsOf;
  for (const e of events) {
    if (barrier !== null && e.occurredAt < barrier) {
      r.beforeLevel++;
      continue;
    }
    if (e.type === 'level') {
      r.level = { quantity: e.quantity, asOf: e.occurredAt };
      r.delta = new Quantity(0);
      r.unit = e.unit;
      barrier = e.occurredAt;
    } else {
      if (r.unit === null) {
        // No row unit known and no level applied yet: this movement's unit is the assumption.
        r.unit = e.unit;
        r.assumedUnit = e.unit;
      } else if (e.unit !== r.unit) {
        r.rejected.push({ event: e, reason: `unit ${e.unit} differs from the stock row's unit ${r.unit}` });
        continue;
      }
      r.delta = r.delta.plus(e.quantity);
    }
    r.applied++;
    r.last = { id: e.id, occurredAt: e.occurredAt };
  }
  return r;
}

/**
 * On hand after the batch, from the row's previous quantity (null: no row). The store computes
 * the same in SQL from the stored row. Negative stock is kept, not clamped: a sale recorded
 * before the receipt that covers it is real information, and the flag makes it visible.
 */
export function stockAfter(
  previous: Quantity | null,
  fold: Pick<FoldResult<MaterializerEvent>, 'level' | 'delta'>,
): { onHand: Quantity; negative: boolean } {
  const onHand = (fold.level?.quantity ?? previous ?? new Quantity(0)).plus(fold.delta);
  return { onHand, negative: onHand.isNegative() && !onHand.isZero() };
}
