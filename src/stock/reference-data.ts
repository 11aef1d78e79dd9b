import type { Knex } from 'knex';
import { stockDbError } from './errors.js';
import { Bindings } from './postgres/sql.js';
import { TABLES, UNKNOWN, type LocationKind } from './tables.js';

export interface Location {
  id: string;
  kind: LocationKind;
  region: string;
  dataCenter: string;
  name?: string | null;
}

export interface Item {
  sku: string;
  description?: string | null;
  baseUnit: string;
  barcodes: string[];
}

/**
 * Registers or updates locations. Totals per region and location kind count a row under its
 * location's region and kind, so when a location appears or changes, the stock already
 * counted under the old region and kind (or under "unknown") moves with it.
 *
 * It takes a SHARE ROW EXCLUSIVE lock on the stock table (PostgreSQL): that waits for the
 * materializer's batches in flight and holds new ones back for the moment it takes, so no
 * batch counts a row under a region that is changing.
 */
export async function upsertLocations(db: Knex, locations: Location[]): Promise<{ movedRows: number }> {
  if (locations.length === 0) return { movedRows: 0 };
  try {
    return await db.transaction(async (trx) => {
      await trx.raw(`LOCK TABLE ${TABLES.stock} IN SHARE ROW EXCLUSIVE MODE`);
      const before = new Map(
        (
          await trx(TABLES.locations)
            .select<{ id: string; region: string; kind: string }[]>('id', 'region', 'kind')
            .whereIn(
              'id',
              locations.map((l) => l.id),
            )
        ).map((r) => [r.id, r]),
      );
      await trx(TABLES.locations)
        .insert(
          locations.map((l) => ({
            id: l.id,
            kind: l.kind,
            region: l.region,
            data_center: l.dataCenter,
            name: l.name ?? null,
            updated_at: trx.fn.now(),
          })),
        )
        .onConflict('id')
        .merge();
      const moves = locations.flatMap((l) => {
        const old = before.get(l.id) ?? { region: UNKNOWN, kind: UNKNOWN };
        return old.region === l.region && old.kind === l.kind ? [] : [{ id: l.id, old, now: l }];
      });
      if (moves.length === 0) return { movedRows: 0 };
      const b = new Bindings();
      const { rows } = await trx.raw<{ rows: { moved: string }[] }>(
        `WITH c AS (
           SELECT * FROM unnest(${b.bind(
             moves.map((m) => m.id),
             'text[]',
           )}, ${b.bind(
             moves.map((m) => m.old.region),
             'text[]',
           )}, ${b.bind(
             moves.map((m) => m.now.region),
             'text[]',
           )}, ${b.bind(
             moves.map((m) => m.old.kind),
             'text[]',
           )}, ${b.bind(
             moves.map((m) => m.now.kind),
             'text[]',
           )}) AS c(id, old_region, new_region, old_kind, new_kind)
         ),
         moved AS (
           SELECT s.sku, s.on_hand, CASE WHEN s.negative THEN 1 ELSE 0 END AS neg, c.*
             FROM ${TABLES.stock} s JOIN c ON s.location = c.id
         ),
         ${moveTotals('by_region', TABLES.totalsByRegion, 'region')},
         ${moveTotals('by_kind', TABLES.totalsByKind, 'location_kind', 'kind')}
         SELECT count(*)::text AS moved FROM moved`,
        b.values,
      );
      // Totals that no row counts any more (typically "unknown" after registering) go away.
      const movedSkus = trx(TABLES.stock)
        .distinct('sku')
        .whereIn(
          'location',
          moves.map((m) => m.id),
        );
      for (const table of [TABLES.totalsByRegion, TABLES.totalsByKind])
        await trx(table).where('locations', 0).whereIn('sku', movedSkus).delete();
      return { movedRows: Number(rows[0]!.moved) };
    });
  } catch (e) {
    throw stockDbError('registering locations', e);
  }
}

/** Subtracts each moved row from its old region (kind) total and adds it to the new one. */
function moveTotals(name: string, table: string, column: string, field = column): string {
  return `${name} AS (
    INSERT INTO ${table} AS t (sku, ${column}, on_hand, locations, negative_locations, updated_at)
    SELECT sku, g, sum(d), sum(n), sum(neg), now() FROM (
      SELECT sku, old_${field} AS g, -on_hand AS d, -1 AS n, -neg AS neg FROM moved WHERE old_${field} <> new_${field}
      UNION ALL
      SELECT sku, new_${field}, on_hand, 1, neg FROM moved WHERE old_${field} <> new_${field}
    ) x GROUP BY sku, g ORDER BY sku, g
    ON CONFLICT (sku, ${column}) DO UPDATE SET
      on_hand = t.on_hand + excluded.on_hand, locations = t.locations + excluded.locations,
      negative_locations = t.negative_locations + excluded.negative_locations, updated_at = excluded.updated_at
  )`;
}

/** Registers or updates items and replaces their barcodes. Portable (knex's query builder). */
export async function upsertItems(db: Knex, items: Item[]): Promise<void> {
  if (items.length === 0) return;
  try {
    await db.transaction(async (trx) => {
      await trx(TABLES.items)
        .insert(
          items.map((i) => ({
            sku: i.sku,
            description: i.description ?? null,
            base_unit: i.baseUnit,
            updated_at: trx.fn.now(),
          })),
        )
        .onConflict('sku')
        .merge();
      await trx(TABLES.itemBarcodes)
        .whereIn(
          'sku',
          items.map((i) => i.sku),
        )
        .delete();
      const barcodes = items.flatMap((i) => i.barcodes.map((barcode) => ({ barcode, sku: i.sku })));
      if (barcodes.length > 0) await trx(TABLES.itemBarcodes).insert(barcodes).onConflict('barcode').merge();
    });
  } catch (e) {
    throw stockDbError('registering items', e);
  }
}
