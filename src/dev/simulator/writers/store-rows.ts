// The store tables' rows of a batch of writes, grouped by statement and with times in the
// database's notation. Shared by the PostgreSQL and MariaDB writers, which differ in SQL only.
import type { Micros } from '../source-time.js';
import type { SourceWrite, TransferLineRow } from '../writes.js';

export interface StoreStatements {
  saleLines: Record<string, unknown>[];
  receipts: Record<string, unknown>[];
  shipped: Record<string, unknown>[];
  received: { transfer_id: number; line_no: number; received_at: string }[];
  /** Counts in write order; the same row may be counted more than once in a batch. */
  counts: Record<string, unknown>[];
}

export function storeStatements(
  writes: readonly SourceWrite[],
  time: (us: Micros) => string,
): StoreStatements {
  const s: StoreStatements = { saleLines: [], receipts: [], shipped: [], received: [], counts: [] };
  const shipped = (row: TransferLineRow) => ({
    ...row,
    shipped_at: time(row.shipped_at),
    received_at: row.received_at === null ? null : time(row.received_at),
  });
  for (const w of writes) {
    switch (w.kind) {
      case 'sale_line':
        s.saleLines.push({ ...w.row, sold_at: time(w.row.sold_at) });
        break;
      case 'goods_receipt':
        s.receipts.push({ ...w.row, received_at: time(w.row.received_at) });
        break;
      case 'transfer_shipped':
        s.shipped.push(shipped(w.row));
        break;
      case 'transfer_received':
        // Ids stay below 2^53 (world.ts runNumber): numbers here keep the join on the key's types.
        s.received.push({
          transfer_id: Number(w.row.transfer_id),
          line_no: w.row.line_no,
          received_at: time(w.row.received_at ?? w.at),
        });
        break;
      case 'stock_count':
        s.counts.push({ ...w.row, counted_at: time(w.row.counted_at), updated_at: time(w.row.updated_at) });
        break;
      default:
        throw new Error(`a store database does not take ${w.kind} writes`);
    }
  }
  return s;
}

/** Splits rows so that no chunk has more than `maxValues` bound values (PostgreSQL allows 65535). */
export function chunks<T extends object>(rows: readonly T[], maxValues = 30_000): T[][] {
  const columns = rows[0] ? Object.keys(rows[0]).length : 1;
  const size = Math.max(1, Math.floor(maxValues / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Splits rows into rounds in which each key appears once, keeping their order: PostgreSQL's
 * INSERT ... ON CONFLICT DO UPDATE cannot touch one row twice in a statement.
 */
export function roundsOfDistinctKeys<T>(rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const rounds: T[][] = [];
  const lastRound = new Map<string, number>();
  for (const row of rows) {
    const key = keyOf(row);
    const round = (lastRound.get(key) ?? -1) + 1;
    lastRound.set(key, round);
    (rounds[round] ??= []).push(row);
  }
  return rounds;
}
