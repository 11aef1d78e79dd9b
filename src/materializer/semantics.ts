import type { KeyStart } from '../stock/model.js';
import { Quantity } from '../stock/quantity.js';
import type { MaterializerEvent } from './event.js';

/**
 * The stock semantics of one key (SKU × location), applied to its events of a batch in
 * partition order. Pure: the state before the batch comes in as `start`.
 *
 * - An event already applied changes nothing. That is decided before the fold, by event id
 *   (planBatch within a batch, the ledger across batches) and by the barrier below.
 * - A level sets the quantity as of its occurredAt and becomes the barrier: on hand = the level
 *   + every movement that occurred after it, whichever arrived first (the ledger keeps the
 *   movements applied after the barrier, with their times, for a level that arrives late). A
 *   movement or a level that occurred at or before the barrier is not applied: the count
 *   includes it (a level equal to the one applied is a no-op).
 * - A movement adds its signed quantity; one in another unit than the row's is rejected
 *   (a level may change the unit: it restates the stock).
 */
export interface FoldResult<E extends MaterializerEvent> {
  /** The last level applied in the batch: on hand = level + delta. */
  level: { quantity: Quantity; asOf: string } | null;
  /**
   * With a level: the movements that occurred after it (stored in the ledger or in this batch).
   * Without: the movements applied in this batch, added to the stored on hand.
   */
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
  /** The batch's movements applied after the final barrier: what the ledger must record. */
  ledger: E[];
  /** Every movement the fold applied (a level of the batch may have covered some since). */
  movements: E[];
}

export const EMPTY_START: KeyStart = { unit: null, levelAsOf: null, ledger: [] };

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
    ledger: [],
    movements: [],
  };
  let barrier = start.levelAsOf;
  let stored = start.ledger;
  let moved: E[] = [];
  for (const e of events) {
    if (barrier !== null && e.occurredAt <= barrier) {
      r.beforeLevel++;
      continue;
    }
    if (e.type === 'level') {
      r.level = { quantity: e.quantity, asOf: e.occurredAt };
      r.unit = e.unit;
      barrier = e.occurredAt;
      // What occurred after the count stays on top of it, whether it arrived before or after.
      const after = (m: { occurredAt: string }) => m.occurredAt > e.occurredAt;
      moved = moved.filter(after);
      stored = stored.filter(after);
    } else {
      if (r.unit === null) {
        // No row unit known and no level applied yet: this movement's unit is the assumption.
        r.unit = e.unit;
        r.assumedUnit = e.unit;
      } else if (e.unit !== r.unit) {
        r.rejected.push({ event: e, reason: `unit ${e.unit} differs from the stock row's unit ${r.unit}` });
        continue;
      }
      moved.push(e);
      r.movements.push(e);
    }
    r.applied++;
    r.last = { id: e.id, occurredAt: e.occurredAt };
  }
  let delta = new Quantity(0);
  for (const m of moved) delta = delta.plus(m.quantity);
  if (r.level) for (const m of stored) delta = delta.plus(new Quantity(m.quantity));
  r.delta = delta;
  r.ledger = moved;
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
