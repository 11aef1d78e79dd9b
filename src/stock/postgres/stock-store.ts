import type { Knex } from 'knex';
import { stockDbError } from '../errors.js';
import type { ApplyResult, PartitionRef, StockBatch, StockKey, StockRow, StoredPosition } from '../model.js';
import type { StockStore } from '../store.js';
import { TABLES } from '../tables.js';
import { applyBatchPostgres, normalizeRow } from './apply-batch.js';
import { Bindings, isoUtc } from './sql.js';

/** The stock store on PostgreSQL. The caller owns `db` (and destroys it). */
export function postgresStockStore(db: Knex): StockStore {
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

    async applyBatch(batch: StockBatch): Promise<ApplyResult> {
      try {
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

/** Removes applied event ids (the benchmark's, after a run); a re-delivery of them applies again. */
export async function forgetEventIds(db: Knex, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db(TABLES.appliedEvents).whereIn('event_id', ids).delete();
}

/**
 * Forgets the applied event ids older than `before` (the dedup window), in chunks of `chunk`
 * ids, each its own short statement: one DELETE of an hour of ids (millions at high rates) held
 * its locks and wrote its WAL in one transaction beside the batches. Uses the applied_at index.
 */
export async function purgeAppliedEvents(
  db: Knex,
  before: Date,
  options: { chunk?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const chunk = options.chunk ?? 10_000;
  let total = 0;
  try {
    while (!options.signal?.aborted) {
      const oldest = db(TABLES.appliedEvents)
        .select('event_id')
        .where('applied_at', '<', before)
        .orderBy('applied_at')
        .limit(chunk);
      const deleted = await db(TABLES.appliedEvents).whereIn('event_id', oldest).delete();
      total += deleted;
      if (deleted < chunk) break;
    }
    return total;
  } catch (e) {
    throw stockDbError('forgetting applied event ids', e, { forgotten: total });
  }
}
