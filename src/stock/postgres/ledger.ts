import type { Knex } from 'knex';
import { stockDbError } from '../errors.js';
import type { LedgerInsert } from '../model.js';
import { TABLES } from '../tables.js';
import { isoUtc } from './sql.js';

/**
 * The ledger's monthly partitions and its horizon (migration 0005). The batch statement writes
 * the ledger; this module makes sure the partitions it writes into exist, and forgets whole
 * months once they are older than the horizon.
 */

const PARTITION = /^stock_ledger_(\d{4})_(\d{2})$/;

/** "2024-05" of an instant "2024-05-01T10:00:00.000000Z". */
const monthOf = (instant: string): string => instant.slice(0, 7);

const partitionName = (month: string): string => `${TABLES.ledger}_${month.replace('-', '_')}`;

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Creates the partitions a batch's ledger rows need, once per month and process. */
export class LedgerPartitions {
  private readonly known = new Set<string>();

  constructor(private readonly db: Knex) {}

  async ensureFor(rows: readonly LedgerInsert[]): Promise<void> {
    const months = new Set<string>();
    for (const r of rows) {
      if (!r.record) continue;
      const month = monthOf(r.occurredAt);
      if (!this.known.has(month)) months.add(month);
    }
    for (const month of months) {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
        throw new Error(`an instant outside the years 0000-9999 reached the ledger (${month})`);
      await this.create(month);
      this.known.add(month);
    }
  }

  private async create(month: string): Promise<void> {
    const sql = `CREATE TABLE IF NOT EXISTS ${partitionName(month)} PARTITION OF ${TABLES.ledger}
      FOR VALUES FROM ('${month}-01T00:00:00Z') TO ('${nextMonth(month)}-01T00:00:00Z')`;
    try {
      await this.db.raw(sql);
    } catch (e) {
      // Another process created it at the same moment (IF NOT EXISTS is not atomic).
      const code = (e as { code?: string }).code;
      if (code !== '42P07' && code !== '23505')
        throw stockDbError('creating a ledger partition', e, { month });
    }
  }
}

/** The ledger's horizon: events that occurred before it are not applied. Null: none. */
export async function ledgerHorizon(db: Knex): Promise<string | null> {
  const { rows } = await db.raw<{ rows: { horizon: string | null }[] }>(
    `SELECT ${isoUtc('horizon')} AS horizon FROM ${TABLES.ledgerHorizon} WHERE id = 1`,
  );
  return rows[0]?.horizon ?? null;
}

/**
 * Moves the horizon to the start of the month of `before` (never back) and drops the months
 * before it, whole: no row is deleted one by one. Takes the ledger's lock for the moment of the
 * drop, so a batch either committed before (its rows older than the horizon go with the month)
 * or sees the new horizon and is planned again.
 */
export async function advanceLedgerHorizon(
  db: Knex,
  before: Date,
): Promise<{ horizon: string | null; dropped: string[] }> {
  const target = `${before.toISOString().slice(0, 7)}-01T00:00:00.000000Z`;
  const current = await ledgerHorizon(db);
  const partitions = await ledgerPartitions(db);
  const stale = partitions.filter((p) => `${nextMonth(p)}-01T00:00:00.000000Z` <= target);
  if (current !== null && current >= target && stale.length === 0) return { horizon: current, dropped: [] };
  try {
    await db.transaction(async (trx) => {
      await trx.raw(`LOCK TABLE ${TABLES.ledger} IN ACCESS EXCLUSIVE MODE`);
      await trx.raw(
        `UPDATE ${TABLES.ledgerHorizon} SET horizon = greatest(coalesce(horizon, ?::timestamptz), ?::timestamptz), updated_at = now() WHERE id = 1`,
        [target, target],
      );
      for (const month of stale) await trx.raw(`DROP TABLE IF EXISTS ${partitionName(month)}`);
    });
  } catch (e) {
    throw stockDbError('advancing the ledger horizon', e, { horizon: target });
  }
  return { horizon: await ledgerHorizon(db), dropped: stale };
}

/** The months the ledger has partitions for, oldest first. */
export async function ledgerPartitions(db: Knex): Promise<string[]> {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = ?`,
    [TABLES.ledger],
  );
  return rows
    .map((r) => PARTITION.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}-${m[2]}`)
    .sort();
}
