import type { Knex } from 'knex';
import { formatQuantity, Quantity } from '../stock/quantity.js';
import { TABLES, UNKNOWN } from '../stock/tables.js';
import type { LocationStockQueryT, PagingT, StockAtLocationT, TotalsT } from './schemas.js';

/** The read side of the stock store: every query is by primary key or index, none scans the stock table. */
interface StockDbRow {
  sku: string;
  location: string;
  kind: string | null;
  region: string | null;
  on_hand: string;
  unit: string;
  version: string | number;
  negative: boolean;
  level_as_of: Date | null;
  last_event_at: Date;
  last_event_id: string;
  updated_at: Date;
}

interface TotalsDbRow {
  sku: string;
  on_hand: string;
  locations: number;
  negative_locations: number;
}

const quantity = (text: string) => formatQuantity(new Quantity(text));
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function stockRow(r: StockDbRow): StockAtLocationT {
  return {
    sku: r.sku,
    location: r.location,
    kind: r.kind ?? UNKNOWN,
    region: r.region ?? UNKNOWN,
    onHand: quantity(r.on_hand),
    unit: r.unit,
    version: String(r.version),
    negative: r.negative,
    levelAsOf: iso(r.level_as_of),
    lastEventAt: r.last_event_at.toISOString(),
    lastEventId: r.last_event_id,
    updatedAt: r.updated_at.toISOString(),
  };
}

const totals = (r: TotalsDbRow): TotalsT => ({
  onHand: quantity(r.on_hand),
  locations: r.locations,
  negativeLocations: r.negative_locations,
});

export class StockQueries {
  constructor(private readonly db: Knex) {}

  private stockWithLocation() {
    return this.db(`${TABLES.stock} as s`)
      .leftJoin(`${TABLES.locations} as l`, 'l.id', 's.location')
      .select<StockDbRow[]>(
        's.sku',
        's.location',
        'l.kind',
        'l.region',
        's.on_hand',
        's.unit',
        's.version',
        's.negative',
        's.level_as_of',
        's.last_event_at',
        's.last_event_id',
        's.updated_at',
      );
  }

  async skuStock(sku: string) {
    const [rows, total, byRegion, byKind] = await Promise.all([
      this.stockWithLocation().where('s.sku', sku).orderBy('s.location'),
      this.db<TotalsDbRow>(TABLES.totals).where({ sku }).first(),
      this.db(TABLES.totalsByRegion)
        .where({ sku })
        .orderBy('region')
        .select<(TotalsDbRow & { region: string })[]>('*'),
      this.db(TABLES.totalsByKind)
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
      locations: rows.map(stockRow),
    };
  }

  async single(sku: string, location: string, now = new Date()) {
    const row = await this.stockWithLocation().where({ 's.sku': sku, 's.location': location }).first();
    if (!row) return undefined;
    return {
      ...stockRow(row),
      freshnessSeconds: Math.max(0, (now.getTime() - row.last_event_at.getTime()) / 1000),
    };
  }

  /** A location is known when the reference data names it or stock exists there. */
  async locationKnown(location: string): Promise<boolean> {
    const known: unknown = await this.db(TABLES.locations).where({ id: location }).first('id');
    if (known) return true;
    const stocked: unknown = await this.db(TABLES.stock).where({ location }).first('location');
    return Boolean(stocked);
  }

  async locationStock(location: string, query: LocationStockQueryT) {
    let q = this.stockWithLocation().where('s.location', location);
    if (query.after) q = q.andWhere('s.sku', '>', query.after);
    if (query.skuPrefix) q = q.andWhere('s.sku', 'like', `${query.skuPrefix.replace(/[\\%_]/g, '\\$&')}%`);
    if (query.negative !== undefined) q = q.andWhere('s.negative', query.negative);
    const rows = await q.orderBy('s.sku').limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      location,
      items: page.map(stockRow),
      next: rows.length > query.limit ? (page[page.length - 1]?.sku ?? null) : null,
    };
  }

  async totalsIn(by: 'region' | 'kind', group: string, paging: PagingT) {
    const table = by === 'region' ? TABLES.totalsByRegion : TABLES.totalsByKind;
    const column = by === 'region' ? 'region' : 'location_kind';
    let q = this.db(table).where(column, group);
    if (paging.after) q = q.andWhere('sku', '>', paging.after);
    const rows = await q
      .orderBy('sku')
      .limit(paging.limit + 1)
      .select<TotalsDbRow[]>('*');
    const page = rows.slice(0, paging.limit);
    return {
      group,
      items: page.map((r) => ({ sku: r.sku, ...totals(r) })),
      next: rows.length > paging.limit ? (page[page.length - 1]?.sku ?? null) : null,
    };
  }

  async groupKnown(by: 'region' | 'kind', group: string): Promise<boolean> {
    const column = by === 'region' ? 'region' : 'kind';
    if (await this.db(TABLES.locations).where(column, group).first(column)) return true;
    const table = by === 'region' ? TABLES.totalsByRegion : TABLES.totalsByKind;
    return Boolean(
      await this.db(table)
        .where(by === 'region' ? 'region' : 'location_kind', group)
        .first('sku'),
    );
  }

  async locations() {
    const rows = await this.db(TABLES.locations)
      .orderBy('id')
      .select<{ id: string; kind: string; region: string; data_center: string; name: string | null }[]>('*');
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      region: r.region,
      dataCenter: r.data_center,
      name: r.name,
    }));
  }
}
