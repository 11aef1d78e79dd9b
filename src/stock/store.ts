import type { ApplyResult, PartitionRef, StockBatch, StockKey, StockRow, StoredPosition } from './model.js';

/**
 * The port of the stock store: what the materializer needs from the database. PostgreSQL
 * implements it today (postgres/); another SQL database implements the same operations and
 * passes test/integration/stock-store.test.ts, which also covers the reads (reads.ts).
 */
export interface StockStore {
  /** Reads the partition's stored positions, creating them at `initial` the first time. */
  claimPosition(partition: PartitionRef, initial: bigint): Promise<StoredPosition>;
  /** The ledger's horizon: events that occurred before it are not applied (null: none). */
  ledgerHorizon(): Promise<string | null>;
  /**
   * Moves the horizon to the start of the month of `before` (never back) and forgets the ledger
   * before it; `dropped`: the months forgotten (YYYY-MM). A batch that races it either committed
   * before (its movements are forgotten with their month) or sees the new horizon.
   */
  advanceLedgerHorizon(before: Date): Promise<{ horizon: string | null; dropped: string[] }>;
  /** Applies one batch and advances the partition's position, atomically. */
  applyBatch(batch: StockBatch): Promise<ApplyResult>;
  /** Current rows, to publish them again after a crash between commit and publish. */
  readRows(keys: StockKey[]): Promise<StockRow[]>;
}
