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

/** What the semantics need to know of a key before a batch: the barrier, the unit, the ledger. */
export interface KeyStart {
  /** null when the row does not exist. */
  unit: string | null;
  levelAsOf: string | null;
  /**
   * Movements applied after the barrier that a level of the batch may need (they occurred after
   * it, so they stay on top of it): the stored ledger rows of the key that occurred after the
   * batch's earliest event. Empty when the batch has no level for the key.
   */
  ledger: LedgerEntry[];
}

/** A movement applied after its key's barrier, as the ledger keeps it. */
export interface LedgerEntry {
  eventId: string;
  occurredAt: string;
  /** Exact decimal text. */
  quantity: string;
}

/** A movement a batch applies; `record`: it is after its key's final barrier, so the ledger keeps it. */
export interface LedgerInsert extends StockKey, LedgerEntry {
  record: boolean;
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
    /** The row's level_as_of must be earlier than this (else events would be barred). */
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
  /**
   * The movements the batch applies: the batch is refused when one is in the ledger already
   * (applied before); those after their key's final barrier (`record`) are recorded in it. A
   * level of the batch removes the key's ledger rows up to its time (the count includes them).
   */
  ledger: LedgerInsert[];
  /** The earliest occurredAt of the events applied: refused when the ledger horizon passed it. */
  earliestEventAt: string | null;
}

export type ApplyResult =
  | { status: 'applied'; rows: StockRow[] }
  /** Another consumer moved the partition's position: this one no longer owns it. */
  | { status: 'fenced' }
  /**
   * A guard failed; nothing was written. The starts of the batch's keys, the movements applied
   * before and the ledger's horizon, to plan it again exactly.
   */
  | {
      status: 'guard-failed';
      starts: Map<string, KeyStart>;
      appliedBefore: Set<string>;
      horizon: string | null;
    };
