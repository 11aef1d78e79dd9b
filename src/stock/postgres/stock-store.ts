import type { Knex } from 'knex';
import { stockDbError } from '../errors.js';
import type { ApplyResult, PartitionRef, StockBatch, StockKey, StockRow, StoredPosition } from '../model.js';
import type { StockStore } from '../store.js';
import { TABLES } from '../tables.js';
import { applyBatchPostgres, normalizeRow } from './apply-batch.js';
import { advanceLedgerHorizon, LedgerPartitions, ledgerHorizon } from './ledger.js';
import { Bindings, isoUtc } from './sql.js';

/** The stock store on PostgreSQL. The caller owns `db` (and destroys it). */
export function postgresStockStore(db: Knex): StockStore {
  const partitions = new LedgerPartitions(db);
  return {
    async claimPosition(partition: PartitionRef, initial: bigint): Promise<StoredPosition> {
      const where = {
        group_id: partition.groupId,
        topic: partition.topic,
        kafka_partition: partition.partition,
      };
      try {
        await db(TABLES.positions)
          .insert({
            ...where,
            next_offset: String(initial),
            published_offset: String(initial),
            updated_at: db.fn.now(),
          })
          .onConflict(['group_id', 'topic', 'kafka_partition'])
          .ignore();
        const row = await db(TABLES.positions)
          .first<{ next_offset: string; published_offset: string }>('next_offset', 'published_offset')
          .where(where);
        return { next: BigInt(row.next_offset), published: BigInt(row.published_offset) };
      } catch (e) {
        throw stockDbError('reading the stored position', e, { ...partition });
      }
    },

    async ledgerHorizon(): Promise<string | null> {
      try {
        return await ledgerHorizon(db);
      } catch (e) {
        throw stockDbError('reading the ledger horizon', e);
      }
    },

    advanceLedgerHorizon: (before: Date) => advanceLedgerHorizon(db, before),

    async applyBatch(batch: StockBatch): Promise<ApplyResult> {
      try {
        await partitions.ensureFor(batch.ledger);
        return await applyBatchPostgres(db, batch);
      } catch (e) {
        throw stockDbError('applying a batch', e, {
          ...batch.partition,
          offset: String(batch.expectedNext),
          events: batch.changes.length,
        });
      }
    },

    async readRows(keys: StockKey[]): Promise<StockRow[]> {
      if (keys.length === 0) return [];
      const b = new Bindings();
      try {
        const { rows } = await db.raw<{ rows: StockRow[] }>(
          `SELECT s.sku, s.location, s.on_hand::text AS "onHand", s.unit, s.version::text AS version, s.negative,
                  ${isoUtc('s.level_as_of')} AS "levelAsOf", ${isoUtc('s.last_event_at')} AS "lastEventAt",
                  s.last_event_id AS "lastEventId", ${isoUtc('s.updated_at')} AS "updatedAt"
             FROM unnest(${b.bind(
               keys.map((k) => k.sku),
               'text[]',
             )}, ${b.bind(
               keys.map((k) => k.location),
               'text[]',
             )}) AS k(sku, location)
             JOIN ${TABLES.stock} s ON s.sku = k.sku AND s.location = k.location`,
          b.values,
        );
        return rows.map(normalizeRow);
      } catch (e) {
        throw stockDbError('reading stock rows', e);
      }
    },
  };
}

/**
 * Forgets the ledger rows of SKUs starting with `skuPrefix` (the benchmark's, after a run): a
 * re-delivery of their events applies again.
 */
export async function forgetLedger(db: Knex, skuPrefix: string): Promise<void> {
  await db(TABLES.ledger)
    .where('sku', 'like', `${skuPrefix.replace(/[\\%_]/g, '\\$&')}%`)
    .delete();
}
