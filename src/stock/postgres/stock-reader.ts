import type { Knex } from 'knex';
import type { ErrorContext } from '../../errors.js';
import { stockDbError } from '../errors.js';
import type { StockKey } from '../model.js';
import { formatQuantity, Quantity } from '../quantity.js';
import type {
  ItemStock,
  LocationInfo,
  LocationPageRequest,
  Page,
  PageRequest,
  PartitionOffsets,
  SkuTotals,
  SnapshotRequest,
  StockAtLocation,
  StockReader,
  StockSnapshot,
  StockTotals,
  TotalsGroup,
} from '../reads.js';
import { TABLES, UNKNOWN } from '../tables.js';
import { isoUtc } from './sql.js';

const DEFAULT_SNAPSHOT_PAGE = 1000;

interface TotalsDbRow {
  sku: string;
  on_hand: string;
  locations: number;
  negative_locations: number;
}

const exact = (text: string): string => formatQuantity(new Quantity(text));
const normalize = (row: StockAtLocation): StockAtLocation => ({ ...row, onHand: exact(row.onHand) });
const totals = (r: TotalsDbRow): StockTotals => ({
  onHand: exact(r.on_hand),
  locations: r.locations,
  negativeLocations: r.negative_locations,
});
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

/** The stock rows joined with their location, in the shape of `StockAtLocation` (onHand not normalized yet). */
function stockWithLocation(db: Knex | Knex.Transaction): Knex.QueryBuilder {
  return db(`${TABLES.stock} as s`)
    .leftJoin(`${TABLES.locations} as l`, 'l.id', 's.location')
    .select(
      's.sku',
      's.location',
      db.raw('coalesce(l.kind, ?) AS kind', [UNKNOWN]),
      db.raw('coalesce(l.region, ?) AS region', [UNKNOWN]),
      db.raw('s.on_hand::text AS "onHand"'),
      's.unit',
      db.raw('s.version::text AS version'),
      's.negative',
      db.raw(`${isoUtc('s.level_as_of')} AS "levelAsOf"`),
      db.raw(`${isoUtc('s.last_event_at')} AS "lastEventAt"`),
      db.raw('s.last_event_id AS "lastEventId"'),
      db.raw(`${isoUtc('s.updated_at')} AS "updatedAt"`),
    );
}

/** A page of `limit` from rows read with `limit + 1`: the extra row only says that more follow. */
function pageOf<R extends { sku: string }, T>(rows: R[], limit: number, item: (r: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  return {
    items: page.map(item),
    next: rows.length > limit ? (page[page.length - 1]?.sku ?? null) : null,
  };
}

async function readPositions(
  db: Knex | Knex.Transaction,
  groupId: string,
  topic: string,
): Promise<PartitionOffsets> {
  const rows = await db(TABLES.positions)
    .where({ group_id: groupId, topic })
    .select<{ kafka_partition: number; next_offset: string }[]>(
      'kafka_partition',
      db.raw('next_offset::text AS next_offset'),
    );
  return new Map(rows.map((r) => [r.kafka_partition, BigInt(r.next_offset)]));
}

/** Runs one read, turning a driver error into a StockDbError that says what was read. */
async function reading<T>(doing: string, context: ErrorContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw stockDbError(doing, e, context);
  }
}

/** The stock reads on PostgreSQL. The caller owns `db` (and destroys it). */
export function postgresStockReader(db: Knex): StockReader {
  let cursors = 0;

  /** The snapshot's rows through a server-side cursor: one sorted read, fetched page by page. */
  async function* snapshotPages(
    trx: Knex.Transaction,
    locations: readonly string[],
    pageSize: number,
  ): AsyncGenerator<StockAtLocation[]> {
    if (locations.length === 0) return;
    const cursor = `stock_snapshot_${++cursors}`;
    const rows = stockWithLocation(trx)
      .whereRaw('s.location = ANY(?::text[])', [[...locations]])
      .orderBy(['s.location', 's.sku']);
    await reading('opening the snapshot cursor', {}, () =>
      trx.raw(`DECLARE ${cursor} NO SCROLL CURSOR FOR ?`, [rows]),
    );
    try {
      for (;;) {
        const { rows: page } = await reading('reading a snapshot page', {}, () =>
          trx.raw<{ rows: StockAtLocation[] }>(`FETCH FORWARD ${pageSize} FROM ${cursor}`),
        );
        if (page.length > 0) yield page.map(normalize);
        if (page.length < pageSize) return;
      }
    } finally {
      // Frees the cursor early when the iteration stops; the transaction's end closes it anyway
      // (and when it has ended already, there is nothing left to close).
      if (!trx.isCompleted()) await trx.raw(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  return {
    row: (key: StockKey) =>
      reading('reading a stock row', { ...key }, async () => {
        const row = await stockWithLocation(db)
          .where({ 's.sku': key.sku, 's.location': key.location })
          .first<StockAtLocation | undefined>();
        return row && normalize(row);
      }),

    item: (sku: string) =>
      reading('reading the stock of an item', { sku }, async (): Promise<ItemStock | undefined> => {
        const [rows, total, byRegion, byKind] = await Promise.all([
          stockWithLocation(db).where('s.sku', sku).orderBy('s.location') as Promise<StockAtLocation[]>,
          db(TABLES.totals).where({ sku }).first<TotalsDbRow | undefined>('*'),
          db(TABLES.totalsByRegion)
            .where({ sku })
            .orderBy('region')
            .select<(TotalsDbRow & { region: string })[]>('*'),
          db(TABLES.totalsByKind)
            .where({ sku })
            .orderBy('location_kind')
            .select<(TotalsDbRow & { location_kind: string })[]>('*'),
        ]);
        if (rows.length === 0 && !total) return undefined;
        return {
          sku,
          total: total ? totals(total) : { onHand: '0', locations: 0, negativeLocations: 0 },
          byRegion: byRegion.map((r) => ({ region: r.region, ...totals(r) })),
          byKind: byKind.map((r) => ({ kind: r.location_kind, ...totals(r) })),
          locations: rows.map(normalize),
        };
      }),

    atLocation: (location: string, request: LocationPageRequest) =>
      reading('reading the stock at a location', { location }, async () => {
        let q = stockWithLocation(db).where('s.location', location);
        if (request.after) q = q.andWhere('s.sku', '>', request.after);
        if (request.skuPrefix) q = q.andWhere('s.sku', 'like', `${escapeLike(request.skuPrefix)}%`);
        if (request.negative !== undefined) q = q.andWhere('s.negative', request.negative);
        const rows = (await q.orderBy('s.sku').limit(request.limit + 1)) as StockAtLocation[];
        return pageOf(rows, request.limit, normalize);
      }),

    totalsIn: (by: TotalsGroup, group: string, request: PageRequest) =>
      reading(`reading the totals of a ${by}`, { [by]: group }, async (): Promise<Page<SkuTotals>> => {
        const table = by === 'region' ? TABLES.totalsByRegion : TABLES.totalsByKind;
        const column = by === 'region' ? 'region' : 'location_kind';
        let q = db(table).where(column, group);
        if (request.after) q = q.andWhere('sku', '>', request.after);
        const rows = await q
          .orderBy('sku')
          .limit(request.limit + 1)
          .select<TotalsDbRow[]>('*');
        return pageOf(rows, request.limit, (r) => ({ sku: r.sku, ...totals(r) }));
      }),

    locationKnown: (location: string) =>
      reading('looking a location up', { location }, async () => {
        const known: unknown = await db(TABLES.locations).where({ id: location }).first('id');
        if (known) return true;
        const stocked: unknown = await db(TABLES.stock).where({ location }).first('location');
        return Boolean(stocked);
      }),

    groupKnown: (by: TotalsGroup, group: string) =>
      reading(`looking a ${by} up`, { [by]: group }, async () => {
        const column = by === 'region' ? 'region' : 'kind';
        if (await db(TABLES.locations).where(column, group).first(column)) return true;
        const table = by === 'region' ? TABLES.totalsByRegion : TABLES.totalsByKind;
        return Boolean(
          await db(table)
            .where(by === 'region' ? 'region' : 'location_kind', group)
            .first('sku'),
        );
      }),

    locations: () =>
      reading('reading the locations', {}, async (): Promise<LocationInfo[]> => {
        const rows = await db(TABLES.locations)
          .orderBy('id')
          .select<{ id: string; kind: string; region: string; data_center: string; name: string | null }[]>(
            'id',
            'kind',
            'region',
            'data_center',
            'name',
          );
        return rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          region: r.region,
          dataCenter: r.data_center,
          name: r.name,
        }));
      }),

    storedPositions: (groupId: string, topic: string) =>
      reading('reading the stored positions', { groupId, topic }, () => readPositions(db, groupId, topic)),

    async snapshot<T>(request: SnapshotRequest, read: (snapshot: StockSnapshot) => Promise<T>): Promise<T> {
      const pageSize = request.pageSize ?? DEFAULT_SNAPSHOT_PAGE;
      if (!Number.isInteger(pageSize) || pageSize < 1)
        throw new RangeError(`snapshot pageSize must be a positive integer, got ${pageSize}`);
      const { groupId, topic } = request.positionsOf;
      const trx = await reading('starting a snapshot', { groupId, topic }, () =>
        db.transaction({ isolationLevel: 'repeatable read', readOnly: true }),
      );
      try {
        // The first statement fixes the snapshot (REPEATABLE READ): everything after sees it.
        const { rows: clock } = await reading('starting a snapshot', { groupId, topic }, () =>
          trx.raw<{ rows: { taken_at: string }[] }>(`SELECT ${isoUtc('now()')} AS taken_at`),
        );
        const positions = await reading('reading the stored positions', { groupId, topic }, () =>
          readPositions(trx, groupId, topic),
        );
        const result = await read({
          takenAt: clock[0]!.taken_at,
          positions,
          pages: () => snapshotPages(trx, request.locations, pageSize),
        });
        await trx.commit();
        return result;
      } catch (e) {
        if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
        throw e;
      }
    },
  };
}
