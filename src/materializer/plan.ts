import { stockKey } from '../canonical/identity.js';
import type { KeyStart, LedgerInsert, RejectedMessage, StockChange } from '../stock/model.js';
import { formatQuantity } from '../stock/quantity.js';
import { rejection } from './decode.js';
import type { MaterializerEvent } from './event.js';
import { EMPTY_START, foldKeyEvents } from './semantics.js';

/** A batch aggregated per key, ready for one set-based write. */
export interface BatchPlan {
  /** The movements applied: refused if one was applied before; those with `record` go to the ledger. */
  ledger: LedgerInsert[];
  /** The earliest occurredAt of the events planned (checked against the ledger's horizon). */
  earliestEventAt: string | null;
  changes: StockChange[];
  rejected: RejectedMessage[];
  counts: {
    events: number;
    applied: number;
    duplicates: number;
    beforeLevel: number;
    /** Snapshot reads of history older than the ledger's horizon: skipped. */
    beforeHorizon: number;
    rejected: number;
  };
}

/** Why an event that occurred before the ledger's horizon is kept, not applied. */
export const beforeHorizonReason = (horizon: string) =>
  `occurred before the ledger horizon ${horizon} (materializer.ledgerHorizonDays): a replay of it cannot be told from a late event, so it is not applied; raise the horizon to cover how late sources deliver, then apply it again`;

/**
 * Groups the batch's events per key (keeping partition order) and folds each key.
 *
 * Without `starts` the plan is optimistic: it assumes that none of the batch's events was
 * applied before and that the stored rows bar none of them (no level after them, the unit the
 * batch assumes), and the store checks exactly that in the statement that writes. That is the
 * common case and costs one round trip. When a check fails the store returns the ids applied
 * before and the keys' stored state, and the plan is made again, exactly, with `starts`.
 */
export function planBatch(
  events: readonly MaterializerEvent[],
  rejected: readonly RejectedMessage[],
  starts?: ReadonlyMap<string, KeyStart>,
  /** The ledger's horizon: events that occurred before it are not applied (README, "Duplicates"). */
  horizon: string | null = null,
): BatchPlan {
  // The same event twice in one batch (a re-delivery inside the chunk) applies once.
  const ids = new Set<string>();
  const distinct = events.filter((e) => !ids.has(e.id) && ids.add(e.id));
  const plan: BatchPlan = {
    ledger: [],
    earliestEventAt: null,
    changes: [],
    rejected: [...rejected],
    counts: {
      events: events.length + rejected.length,
      applied: 0,
      duplicates: events.length - distinct.length,
      beforeLevel: 0,
      beforeHorizon: 0,
      rejected: rejected.length,
    },
  };
  const byKey = new Map<string, MaterializerEvent[]>();
  for (const e of distinct) {
    if (horizon !== null && e.occurredAt < horizon) {
      // A snapshot re-reading old history is expected (a re-snapshot reads whole tables); a
      // change from the log that old is kept for a person to decide.
      if (e.snapshot) plan.counts.beforeHorizon++;
      else {
        plan.counts.rejected++;
        plan.rejected.push(rejection(e.raw, beforeHorizonReason(horizon), e.id));
      }
      continue;
    }
    if (plan.earliestEventAt === null || e.occurredAt < plan.earliestEventAt)
      plan.earliestEventAt = e.occurredAt;
    const key = stockKey(e.sku, e.location);
    const list = byKey.get(key);
    if (list) list.push(e);
    else byKey.set(key, [e]);
  }
  const optimistic = starts === undefined;
  for (const keyEvents of byKey.values()) {
    const { sku, location } = keyEvents[0]!;
    const start = starts?.get(stockKey(sku, location)) ?? EMPTY_START;
    const fold = foldKeyEvents(start, keyEvents);
    plan.counts.applied += fold.applied;
    plan.counts.beforeLevel += fold.beforeLevel;
    plan.counts.rejected += fold.rejected.length;
    for (const { event, reason } of fold.rejected) plan.rejected.push(rejection(event.raw, reason, event.id));
    const recorded = new Set(fold.ledger);
    for (const m of fold.movements)
      plan.ledger.push({
        sku,
        location,
        eventId: m.id,
        occurredAt: m.occurredAt,
        quantity: formatQuantity(m.quantity),
        record: recorded.has(m),
      });
    // Every event of the key barred or rejected: the row stays as it is.
    if (fold.applied === 0 || fold.unit === null || fold.last === null) continue;
    plan.changes.push({
      sku,
      location,
      level: fold.level && { quantity: formatQuantity(fold.level.quantity), asOf: fold.level.asOf },
      delta: formatQuantity(fold.delta),
      unit: fold.unit,
      applied: fold.applied,
      last: { eventId: fold.last.id, occurredAt: fold.last.occurredAt },
      guard: optimistic
        ? { earliestEventAt: minOf(keyEvents.map((e) => e.occurredAt)), unit: fold.assumedUnit }
        : null,
    });
  }
  return plan;
}

function minOf(values: string[]): string {
  let min = values[0]!;
  for (const v of values) if (v < min) min = v;
  return min;
}
