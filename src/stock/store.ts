import type { ApplyResult, PartitionRef, StockBatch, StockKey, StockRow, StoredPosition } from './model.js';

/**
 * The port of the stock store: what the materializer needs from the database. PostgreSQL
 * implements it today (postgres/); another SQL database implements the same three operations.
 */
export interface StockStore {
  /** Reads the partition's stored positions, creating them at `initial` the first time. */
  claimPosition(partition: PartitionRef, initial: bigint): Promise<StoredPosition>;
  /** The ledger's horizon: events that occurred before it are not applied (null: none). */
  ledgerHorizon(): Promise<string | null>;
  /** Applies one batch and advances the partition's position, atomically. */
  applyBatch(batch: StockBatch): Promise<ApplyResult>;
  /** Current rows, to publish them again after a crash between commit and publish. */
  readRows(keys: StockKey[]): Promise<StockRow[]>;
}
