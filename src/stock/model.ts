/**
 * What the materializer hands to the stock store and gets back. Quantities travel as exact
 * decimal strings, instants as normalized UTC ISO strings with microseconds
 * ("2024-05-01T10:00:00.000000Z"), which sort as strings in time order.
 */

export interface StockKey {
  sku: string;
  location: string;
}

/** One row of the stock table, as the stock topic and the API show it. */
export interface StockRow extends StockKey {
  onHand: string;
  unit: string;
  /** Number of events applied to the row; grows with every change. */
  version: string;
  negative: boolean;
  levelAsOf: string | null;
  lastEventAt: string;
  lastEventId: string;
  updatedAt: string;
}

/** What the semantics need to know of a key before a batch: the barrier and the unit. */
export interface KeyStart {
  /** null when the row does not exist. */
  unit: string | null;
  levelAsOf: string | null;
}

/**
 * The change of one row in a batch: either "set to level + delta" (a level was applied) or
 * "add delta". Guards are set when the change was computed without reading the row first: the
 * store applies the batch only if the row still matches what the computation assumed.
 */
export interface StockChange extends StockKey {
  level: { quantity: string; asOf: string } | null;
  delta: string;
  /** The row's unit after the batch. */
  unit: string;
  /** Events applied (at least one). */
  applied: number;
  /** The last event applied. */
  last: { eventId: string; occurredAt: string };
  guard: {
    /** The row's level_as_of must not be later than this (else movements would be barred). */
    earliestEventAt: string;
    /** The row's unit, when it exists, must be this; null: any. */
    unit: string | null;
  } | null;
}

/** A canonical message that cannot be applied; kept in stock_rejected_events with the batch. */
export interface RejectedMessage {
  offset: string;
  key: string | null;
  eventId: string | null;
  reason: string;
  value: string | null;
  headers: Record<string, string>;
}

export interface PartitionRef {
  groupId: string;
  topic: string;
  partition: number;
}

/** The positions of one partition in the database (offsets as bigint: Kafka offsets are 64-bit). */
export interface StoredPosition {
  /** First offset not applied yet. */
  next: bigint;
  /** First offset whose changed rows may not have reached the stock topic. */
  published: bigint;
}

export interface StockBatch {
  partition: PartitionRef;
  /** The batch applies only if the stored next offset is still this (fences out a stale owner). */
  expectedNext: bigint;
  next: bigint;
  published: bigint;
  changes: StockChange[];
  rejected: RejectedMessage[];
  /** Ids of the events the batch applies; recorded, and refused when one was applied before. */
  eventIds: string[];
}

export type ApplyResult =
  | { status: 'applied'; rows: StockRow[] }
  /** Another consumer moved the partition's position: this one no longer owns it. */
  | { status: 'fenced' }
  /** A guard failed; nothing was written. The starts of the batch's keys, to compute it exactly. */
  | { status: 'guard-failed'; starts: Map<string, KeyStart>; appliedBefore: Set<string> };
